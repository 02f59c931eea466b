"""The database not answering (restarting, failing over, out of connections): every request
gets a clear 503 — JSON under /api/ and for scripts, a small page for people — never Django's
500 page, and a `Retry-After`.

Every write runs in a transaction (the intake with its idempotency key row in the same one),
so a request cut off by the outage saved nothing, and its retry with the same
`Idempotency-Key` files it once. The page is built here without templates, context
processors or the session: each of those reads the database, which is what is missing.

Two ways in: `process_exception` for an error in a view (answered directly), and the
`got_request_exception` signal for one raised in a middleware (the session saved to the
database, the user loaded for a permission check): Django has answered it with a 500 by the
time it reaches the outermost middleware, which swaps that answer for the 503."""

from __future__ import annotations

import logging
import sys
from html import escape

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger("linli.outage")

RETRY_AFTER = 30  # seconds: a restart or a fail-over takes about that
_FLAG = "_linli_database_down"


def is_database_down(exc: BaseException | None) -> bool:
    """An error that says the database cannot be reached (not a bad query): Django's
    OperationalError or InterfaceError ("connection already closed"), or one caused by it.
    A statement cancelled by `statement_timeout` is an OperationalError too: an overloaded
    server, for which "try again in a minute" is also the right answer."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, (OperationalError, InterfaceError)):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def wants_json(request) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "")
    return (
        request.path.startswith("/api/")
        or request.META.get("HTTP_X_REQUESTED_WITH") == "fetch"
        or ("application/json" in accept and "text/html" not in accept)
    )


def message() -> str:
    return _(
        "The portal cannot reach its database for a moment. Please try again in a minute; "
        "what you send again is saved only once."
    )


def _stylesheet() -> str:
    """The page's look from a static file (the CSP allows no inline style); none if the
    static files cannot name it (a missing manifest entry must not turn the 503 into a 500)."""
    try:
        return f'<link rel="stylesheet" href="{escape(static("portal/outage.css"))}">'
    except Exception:  # noqa: BLE001 - the outage page must always answer
        return ""


def unavailable(request) -> HttpResponse:
    """The 503 answer for `request`."""
    if wants_json(request):
        response: HttpResponse = JsonResponse({"detail": message()}, status=503)
    else:
        lang = translation.get_language() or "zh-hans"
        title = _("Service briefly unavailable")
        page = (
            f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title>{_stylesheet()}</head><body>"
            f"<main><h1>{escape(title)}</h1><p>{escape(message())}</p></main></body></html>"
        )
        response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


def _mark(sender, request=None, **kwargs) -> None:
    if request is not None and is_database_down(sys.exc_info()[1]):
        setattr(request, _FLAG, True)


got_request_exception.connect(_mark, dispatch_uid="linli.outage")


class DatabaseUnavailableMiddleware:
    """First in MIDDLEWARE: answers requests the database outage broke with a 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _FLAG, False):
            return unavailable(request)
        return response

    def process_exception(self, request, exception):
        if is_database_down(exception):
            logger.warning("database unreachable on %s: %s", request.path, exception)
            return unavailable(request)
        return None
