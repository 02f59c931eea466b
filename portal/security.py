"""Login security (等保 2.0 level 2, GB/T 22239-2019 §8.1.4; docs/operations.md, "Security").

- `client_ip`: the client's address, from a configured number of trusted proxies
  (LINLI_TRUSTED_PROXY_COUNT) through django-ipware, never from a header alone.
- The lockout is django-axes (the AxesStandaloneBackend runs before any password is checked):
  `LockoutHandler` counts failures per account and per client address with separate limits,
  `lockout_response` answers in Chinese (JSON under /api/), `attempted_username` normalises
  what was typed so one account has one counter whichever door was used.
- The login log is `portal.LoginEvent` (who, when, from where, through which door, success or
  not), written by the receivers below for every login, failure, lockout and logout.
- `StaffIdleTimeoutMiddleware` ends a staff session after LINLI_STAFF_IDLE_MINUTES idle.
- `CharacterClassesValidator` is the password-complexity rule.
"""

from __future__ import annotations

import logging
import re
import time

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from ipware import get_client_ip

logger = logging.getLogger("linli.security")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


# --- client address -------------------------------------------------------------------------------


def client_ip(request) -> str:
    """The client's address. With no trusted proxy configured: the socket's peer (REMOTE_ADDR),
    whatever X-Forwarded-For says. With N proxies in front (nginx, an SLB): the address the
    outermost of them appended to X-Forwarded-For, so entries a client wrote itself are
    skipped; a request that arrived with fewer hops than configured falls back to the peer."""
    meta = request.META
    proxies = settings.LINLI_TRUSTED_PROXY_COUNT
    if proxies > 0 and meta.get("HTTP_X_FORWARDED_FOR"):
        # ipware counts the proxies listed inside the header: the nearest one is the peer.
        ip, _routable = get_client_ip(
            request,
            proxy_count=proxies - 1,
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,
        )
        if ip:
            return ip
    return meta.get("REMOTE_ADDR", "") or ""


# --- the lockout (django-axes) ---------------------------------------------------------------------


def attempted_username(request, credentials: dict | None) -> str | None:
    """What axes counts failures under: the typed username, trimmed, without control
    characters (they would not survive the database), at most 150 characters."""
    value = (credentials or {}).get("username")
    if value is None:
        return None
    return _CONTROL.sub("", str(value)).strip()[:150] or None


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with two limits: AXES_FAILURE_LIMIT failures on one account, or
    LINLI_LOGIN_CLIENT_LIMIT from one address, within the cool-off time. axes compares one
    number with one limit, so the address's count is scaled onto the account's limit."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        counts = [
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        per_account, per_client = (counts + [0, 0])[:2]  # AXES_LOCKOUT_PARAMETERS' order
        limit = get_failure_limit(request, credentials)
        client_limit = max(1, settings.LINLI_LOGIN_CLIENT_LIMIT)
        return max(per_account, per_client * limit // client_limit)


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    return _(
        "Too many failed logins: this account or this network is locked for %(minutes)d "
        "min. Try again later, or ask an administrator to unlock it."
    ) % {"minutes": lockout_minutes()}


def wants_json(request) -> bool:
    path = getattr(request, "path", "") or ""
    return path.startswith("/api/") or "application/json" in request.META.get("HTTP_ACCEPT", "")


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """What a locked-out login attempt gets: 429, in Chinese, as JSON for the API."""
    message = lockout_message()
    if wants_json(request):
        return JsonResponse(
            {"detail": message, "code": "locked_out", "minutes": lockout_minutes()},
            status=429,
        )
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


def is_locked(request: HttpRequest, username: str | None) -> bool:
    """Would axes refuse a login as `username` from this request's client now?"""
    from axes.handlers.proxy import AxesProxyHandler

    return not AxesProxyHandler.is_allowed(request, {"username": username})


# --- the login log -------------------------------------------------------------------------------


def _plain(request) -> HttpRequest | None:
    """The Django request under a DRF one (axes and the log read its META)."""
    return getattr(request, "_request", request)


def record(request, outcome: str, *, username: str | None = None, user=None) -> None:
    """Append one row to the login log. Never lets a logging problem break a login."""
    from portal.models import LoginEvent

    request = _plain(request)
    meta = getattr(request, "META", {}) if request is not None else {}
    name = username if username is not None else (user.get_username() if user else "")
    try:
        LoginEvent.objects.create(
            outcome=outcome,
            username=attempted_username(None, {"username": name}) or "",
            user_id=getattr(user, "pk", None),
            ip=(client_ip(request) or None) if request is not None else None,
            user_agent=_CONTROL.sub("", meta.get("HTTP_USER_AGENT", ""))[:255],
            door=_CONTROL.sub("", getattr(request, "path", "") or "")[:100],
        )
    except Exception:  # the log must not turn a login into a 500; the failure is logged
        logger.exception("login log: could not record %s for %r", outcome, name)


STAFF_SESSION_KEY = "_linli_staff"
SEEN_SESSION_KEY = "_linli_seen"


def _is_staff(user) -> bool:
    from grids.scope import scope_for

    return bool(user.is_staff or user.is_superuser or scope_for(user).is_staff)


@receiver(user_logged_in, dispatch_uid="linli-login-log-in")
def _logged_in(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    record(request, "success", user=user)
    session = getattr(request, "session", None)
    if session is not None:
        # Decided once per login (one scope read), so the idle check costs no query later.
        session[STAFF_SESSION_KEY] = _is_staff(user)
        session[SEEN_SESSION_KEY] = int(time.time())


@receiver(user_login_failed, dispatch_uid="linli-login-log-failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    if request is None:
        return
    from portal.models import User

    username = attempted_username(request, credentials)
    user = User.objects.filter(username=username).first() if username else None
    record(request, "failure", username=username or "", user=user)


@receiver(user_locked_out, dispatch_uid="linli-login-log-locked")
def _locked_out(sender, request=None, username=None, **kwargs) -> None:
    if request is not None:
        record(request, "locked", username=username or "")


@receiver(user_logged_out, dispatch_uid="linli-login-log-out")
def _logged_out(sender, request, user, **kwargs) -> None:
    if request is not None and user is not None:
        record(request, "logout", user=user)


# --- staff idle timeout ----------------------------------------------------------------------------


class StaffIdleTimeoutMiddleware:
    """Log a staff member out after LINLI_STAFF_IDLE_MINUTES without a request. The last-seen
    time is kept in the session and written at most once a minute (a session write is a
    database write); whether the account is staff was decided at login."""

    REFRESH = 60  # seconds

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        idle = settings.LINLI_STAFF_IDLE_MINUTES * 60
        session = getattr(request, "session", None)
        if idle > 0 and session is not None and session.get(STAFF_SESSION_KEY):
            now = int(time.time())
            seen = session.get(SEEN_SESSION_KEY) or now
            if now - seen > idle:
                logout(request)
                logger.info("staff session ended after %s idle seconds", now - seen)
                if not wants_json(request):
                    from django.contrib import messages

                    messages.info(
                        request,
                        _("You were logged out after %(minutes)d min without activity.")
                        % {"minutes": settings.LINLI_STAFF_IDLE_MINUTES},
                    )
                    return redirect_to_login(request.get_full_path())
            elif now - seen >= self.REFRESH:
                session[SEEN_SESSION_KEY] = now
        return self.get_response(request)


# --- password complexity ----------------------------------------------------------------------------


class CharacterClassesValidator:
    """At least `min_classes` of four kinds of character: lower-case letters, capitals, digits,
    anything else (等保's 口令复杂度: "数字、大小写字母、特殊字符中至少三种")."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def _classes(self, password: str) -> int:
        kinds = (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
        return sum(kinds)

    def validate(self, password: str, user=None) -> None:
        if self._classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _(
            "Your password must mix at least %(n)d of: lower-case letters, capital letters, "
            "digits and other characters."
        ) % {"n": self.min_classes}
