"""Exactly-once POSTs for clients that retry (grid workers in basements, residents on 3G, API
clients retrying a timeout).

The client sends a random key with each submission (form field `idempotency_key` or header
`Idempotency-Key`; static/portal/offline.js does it). The first request with a key inserts an
IdempotencyKey row in the same transaction as the write it guards; a retry, even one racing
the first, hits the unique index, waits for the first to commit, and gets the first response
replayed, with the confirmation the first one gave and a note that nothing was saved twice. A
request that fails validation leaves no row, so the corrected form can be sent with the same key.

offline.js posts with `X-Requested-With: fetch`. Such a request gets its redirect as JSON
(`{"ok", "location", "messages", "replayed"}`) instead of a 302 that fetch would follow, so the
confirmation is not spent on a page nobody sees: a submission sent while the user waits leaves
the messages for the page the script then opens; one sent later from the phone's outbox
(`X-Linli-Queued: 1`) takes them in the JSON, for the outbox list to show.

A key is bound to whoever sent it and where: the row's `key` is a digest of the owner (the
account; for an anonymous browser its CSRF cookie, which it holds from the form page on and
keeps across a lost answer, else its session), the URL path and the client's key. The same
key from another person or on another page is a different key: it never replays someone
else's answer. A request with no owner at all (no account, no cookie) is not guarded.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.translation import gettext as _

from portal.models import IdempotencyKey

FIELD = "idempotency_key"
HEADER = "HTTP_IDEMPOTENCY_KEY"
_VALID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_REDIRECTS = (301, 302, 303, 307, 308)
FETCH = "HTTP_X_REQUESTED_WITH"  # "fetch" from static/portal/offline.js
QUEUED = "HTTP_X_LINLI_QUEUED"  # "1" when sent from the phone's outbox after a wait


class _Discard(Exception):
    """Rolls back the key row when the guarded view did not accept the submission."""

    def __init__(self, response):
        self.response = response


def key_from(request) -> str | None:
    key = request.META.get(HEADER) or request.POST.get(FIELD)
    if key and _VALID.match(key):
        return key
    return None


def _hash(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def owner_of(request) -> str | None:
    """Who a key belongs to: "u<id>" for an account, else the anonymous browser (a keyed hash
    of its CSRF secret, or of its session key), else None."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u{user.pk}"
    csrf = request.META.get("CSRF_COOKIE")
    if csrf:
        return "c" + _hash(csrf)
    session = getattr(request, "session", None)
    session_key = getattr(session, "session_key", None)
    if session_key:
        return "s" + _hash(session_key)
    return None


def bound_key(owner: str, path: str, key: str) -> str:
    """The stored key: one per owner, URL path and client key (64 hex characters)."""
    return hashlib.sha256(f"{owner}\n{path}\n{key}".encode()).hexdigest()


def is_fetch(request) -> bool:
    return request.META.get(FETCH) == "fetch"


def _queued_messages(request) -> list[dict[str, Any]]:
    """The messages this request added (not older ones waiting in the session)."""
    storage = getattr(request, "_messages", None)
    queued = getattr(storage, "_queued_messages", None) or []
    return [{"level": m.level, "text": str(m.message)} for m in queued]


def _replay(request, row: IdempotencyKey) -> HttpResponse:
    if row.location and row.status_code in _REDIRECTS + (0,):
        # The first answer's confirmation again, and why nothing new happened.
        for m in row.messages or []:
            messages.add_message(request, m["level"], m["text"], fail_silently=True)
        messages.info(
            request,
            _("We had already received this. Nothing was saved a second time."),
            fail_silently=True,
        )
        response: HttpResponse = HttpResponseRedirect(row.location)
    else:
        response = HttpResponse(
            row.body,
            status=row.status_code or 200,
            content_type=row.content_type or "text/html; charset=utf-8",
        )
        if row.location:
            response["Location"] = row.location
    response["Idempotent-Replay"] = "true"
    return response


def _as_json(request, response: HttpResponse) -> HttpResponse:
    """A redirect answered to offline.js: where to go and what to say, as JSON."""
    if not (is_fetch(request) and response.status_code in (301, 302, 303)):
        return response
    said = _queued_messages(request)
    if request.META.get(QUEUED) == "1":
        # The outbox list shows them; reading the storage marks them used so no later page
        # shows them a second time.
        list(messages.get_messages(request))
    body = {
        "ok": True,
        "location": response["Location"],
        "messages": [
            {"level": m["level"], "tags": _tag(m["level"]), "text": m["text"]} for m in said
        ],
        "replayed": response.get("Idempotent-Replay") == "true",
    }
    return JsonResponse(body)


def _tag(level: int) -> str:
    return messages.DEFAULT_TAGS.get(level, "info")


def run_once(request, scope_name: str, run: Callable[[], HttpResponse]) -> HttpResponse:
    """Run `run()` once per idempotency key of this owner and URL; replay its answer to every
    retry. Without a usable key or owner, just run it."""
    key = key_from(request) if request.method == "POST" else None
    owner = owner_of(request) if key is not None else None
    if key is None or owner is None:
        return _as_json(request, run())
    stored = bound_key(owner, request.path, key)
    existing = IdempotencyKey.objects.filter(key=stored).first()
    if existing is not None:
        return _as_json(request, _replay(request, existing))
    user = request.user if request.user.is_authenticated else None
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(key=stored, scope=scope_name[:80], user=user)
            response = run()
            if response.status_code >= 400:
                raise _Discard(response)
            _record(request, row, response)
    except _Discard as discarded:
        return discarded.response
    except IntegrityError:
        # A twin request committed first: replay what it answered.
        twin = IdempotencyKey.objects.filter(key=stored).first()
        if twin is None:
            raise
        return _as_json(request, _replay(request, twin))
    return _as_json(request, response)


def idempotent(view):
    """Decorate a POST view so each idempotency key is accepted once. Requests with no (or a
    malformed) key run normally: the guarantee is for clients that ask for it."""

    scope_name = f"{view.__module__}.{view.__qualname__}"

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        return run_once(request, scope_name, lambda: view(request, *args, **kwargs))

    return wrapper


def _record(request, row: IdempotencyKey, response) -> None:
    if response.status_code in _REDIRECTS or response.has_header("Location"):
        row.location = response["Location"][:500]
    if response.status_code not in _REDIRECTS and not getattr(response, "streaming", False):
        data = getattr(response, "data", None)
        if data is not None and not getattr(response, "is_rendered", True):
            # A DRF Response not rendered yet (the view runs inside APIView.dispatch): keep
            # its data as the JSON the client was answered with.
            from rest_framework.renderers import JSONRenderer

            row.body = JSONRenderer().render(data).decode()
            row.content_type = "application/json"
        else:
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            row.body = response.content.decode(response.charset or "utf-8", errors="replace")
            row.content_type = response.get("Content-Type", "")
    row.status_code = response.status_code
    row.messages = _queued_messages(request)
    row.save(update_fields=["location", "messages", "body", "content_type", "status_code"])


__all__ = ["FIELD", "idempotent", "is_fetch", "key_from", "owner_of", "run_once"]
