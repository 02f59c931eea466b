"""Exactly-once POSTs for clients that retry (grid workers in basements, residents on 3G).

The client sends a random key with each submission (form field `idempotency_key` or header
`Idempotency-Key`; static/portal/offline.js does it). The first request with a key inserts an
IdempotencyKey row in the same transaction as the write it guards; a retry, even one racing
the first, hits the unique index, waits for the first to commit, and gets the first response
replayed. A request that fails validation leaves no row, so the corrected form can be sent
with the same key.
"""

from __future__ import annotations

import functools
import re

from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseRedirect

from portal.models import IdempotencyKey

FIELD = "idempotency_key"
HEADER = "HTTP_IDEMPOTENCY_KEY"
_VALID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class _Discard(Exception):
    """Rolls back the key row when the guarded view did not accept the submission."""

    def __init__(self, response):
        self.response = response


def key_from(request) -> str | None:
    key = request.META.get(HEADER) or request.POST.get(FIELD)
    if key and _VALID.match(key):
        return key
    return None


def _replay(row: IdempotencyKey) -> HttpResponse:
    if row.location:
        return HttpResponseRedirect(row.location)
    response = HttpResponse(
        row.body,
        status=row.status_code or 200,
        content_type=row.content_type or "text/html; charset=utf-8",
    )
    response["Idempotent-Replay"] = "true"
    return response


def idempotent(view):
    """Decorate a POST view so each idempotency key is accepted once. Requests with no (or a
    malformed) key run normally: the guarantee is for clients that ask for it."""

    scope_name = f"{view.__module__}.{view.__qualname__}"

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = key_from(request) if request.method == "POST" else None
        if key is None:
            return view(request, *args, **kwargs)
        user = request.user if request.user.is_authenticated else None
        existing = IdempotencyKey.objects.filter(key=key).first()
        if existing is not None:
            return _replay(existing)
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(key=key, scope=scope_name, user=user)
                response = view(request, *args, **kwargs)
                if response.status_code >= 400:
                    raise _Discard(response)
                _record(row, response)
                return response
        except _Discard as discarded:
            return discarded.response
        except IntegrityError:
            # A twin request committed first: replay what it answered.
            row = IdempotencyKey.objects.filter(key=key).first()
            if row is None:
                raise
            return _replay(row)

    return wrapper


def _record(row: IdempotencyKey, response) -> None:
    if isinstance(response, HttpResponseRedirect) or response.status_code in (301, 302, 303):
        row.location = response["Location"]
    elif not getattr(response, "streaming", False):
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        row.body = response.content.decode(response.charset or "utf-8", errors="replace")
        row.content_type = response.get("Content-Type", "")
    row.status_code = response.status_code
    row.save(update_fields=["location", "body", "content_type", "status_code"])


__all__ = ["FIELD", "idempotent", "key_from"]
