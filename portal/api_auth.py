"""How API clients authenticate, and how their writes are throttled (DRF loads these classes
while it defines APIView, so this module must not import rest_framework.views).

Authentication: the session (the pages' own calls), a token, or — only when
LINLI_API_BASIC_AUTH turns it on — HTTP Basic. Every door that takes a password goes through
django-axes' lockout and writes the login log (portal.security).

Tokens come from POST /api/auth/token/ (portal.api_token) and expire after
LINLI_API_TOKEN_DAYS.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication, TokenAuthentication
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import SimpleRateThrottle

from portal import security


class LockedOut(exceptions.APIException):
    status_code = 429
    default_code = "locked_out"

    def __init__(self):
        super().__init__(detail=security.lockout_message())


def _expires(token):
    days = settings.LINLI_API_TOKEN_DAYS
    return token.created + timedelta(days=days) if days > 0 else None


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token, refused once older than LINLI_API_TOKEN_DAYS (0: never)."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        expires = _expires(token)
        if expires is not None and expires <= timezone.now():
            raise exceptions.AuthenticationFailed(_("The token has expired. Log in again."))
        return user, token


def check_password(request, username: str, password: str):
    """authenticate() through axes with the Django request (axes flags the lockout on it, and
    AxesMiddleware answers 429). Returns the user, or raises LockedOut / AuthenticationFailed."""
    plain = getattr(request, "_request", request)
    user = authenticate(request=plain, username=username, password=password)
    if getattr(plain, "axes_locked_out", False):
        raise LockedOut()
    if user is None or not user.is_active:
        raise exceptions.AuthenticationFailed(_("The account name or password is wrong."))
    return user


class LockoutBasicAuthentication(BasicAuthentication):
    """HTTP Basic (off by default) behind the same lockout as the login pages."""

    def authenticate_credentials(self, userid, password, request=None):
        return check_password(request, userid, password), None


class WriteThrottle(SimpleRateThrottle):
    """Every write (POST, PUT, PATCH, DELETE) counts against the view's `throttle_scope`
    ("write" unless it names another: intake, login...), per user, or per client address
    (portal.security.client_ip) for anonymous callers. Reads are not throttled here."""

    scope = "write"

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        self.scope = getattr(view, "throttle_scope", None) or "write"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ident = f"u{user.pk}"
        else:
            ident = security.client_ip(request)
        return f"linli:throttle:{self.scope}:{ident}"
