"""Shared REST API pieces: pagination and an exception handler under which
every error is JSON: bad input is a 400 naming the field (Django ValidationError and
IntegrityError included), and an unexpected exception a logged JSON 500, never an HTML page.
`json_error_view` does the same for errors raised outside a view (handler404/handler500)."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger("linli.api")


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def validation_error_body(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in errors] for field, errors in exc.message_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return Response(validation_error_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        set_rollback()
        return Response(
            {"non_field_errors": [_("The change conflicts with existing data.")]},
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    request = context.get("request")
    from portal import outage

    if outage.is_database_down(exc):
        # An outage, not a bug: 503 with Retry-After; the transaction saved nothing.
        logger.warning("database unreachable on %s: %s", getattr(request, "path", "?"), exc)
        set_rollback()
        response = Response({"detail": outage.message()}, status=503)
        response["Retry-After"] = str(outage.RETRY_AFTER)
        return response
    # Anything else is a bug or an outage: logged with its traceback like Django's own 500
    # (the "django.request" logger), answered as JSON, and whatever it half wrote rolled back.
    logger.error(
        "Internal Server Error: %s",
        getattr(request, "path", "?"),
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    set_rollback()
    return Response(
        {"detail": _("A server error occurred. It has been logged; try again later.")},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def json_error_view(status_code: int, message):
    """A handler400/403/404/500 that answers JSON under /api/ and Django's page elsewhere."""
    from django.views import defaults

    fallback = {
        400: defaults.bad_request,
        403: defaults.permission_denied,
        404: defaults.page_not_found,
        500: defaults.server_error,
    }[status_code]

    def view(request, exception=None):
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": str(message)}, status=status_code)
        if status_code == 500:
            return fallback(request)
        return fallback(request, exception)

    return view
