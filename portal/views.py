from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from portal.celery import app as celery_app


class HomeView(TemplateView):
    """The public home page; signed-in users also get the doors to their own work (a grid
    worker's grid, a unit's co-building desk, the admin for staff), read from their scope."""

    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        from grids.models.roles import Role
        from grids.scope import scope_for

        context = super().get_context_data(**kwargs)
        scope = scope_for(self.request.user)
        context["work"] = {
            "grid": scope.has_role(Role.GRID_WORKER) and not scope.is_superuser,
            "unit": bool(scope.unit_ids),
            "admin": self.request.user.is_staff,
        }
        return context


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:  # any failure means "not reachable": report, never raise
        return False, exc.__class__.__name__


def _broker_ok() -> tuple[bool, str]:
    try:
        with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            conn.default_channel  # noqa: B018 - opening the channel proves the broker answers
        return True, "ok"
    except Exception as exc:
        return False, exc.__class__.__name__


def _calendar_ok() -> dict:
    """Whether this and (near the year's end) next year have holiday data (services.calendar):
    a warning for monitoring, not a failure of the portal (the status stays 200)."""
    from services import calendar

    try:
        gaps = calendar.years_needing_data()
    except Exception as exc:
        return {"ok": False, "detail": exc.__class__.__name__}
    return {"ok": not gaps, "years_without_data": {str(y): status for y, status in gaps}}


@never_cache
def healthz(request):
    """200 when the database and the broker answer, 503 (with which one failed) otherwise.
    `calendar` says whether the holiday data covers this year and the next (never a 503)."""
    db_ok, db_detail = _database_ok()
    broker_ok, broker_detail = _broker_ok()
    ok = db_ok and broker_ok
    body = {
        "status": "ok" if ok else "unavailable",
        "database": {"ok": db_ok, "detail": db_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
        "calendar": _calendar_ok() if db_ok else {"ok": False, "detail": "database"},
    }
    return JsonResponse(body, status=200 if ok else 503)


@require_POST
def toggle_elder_mode(request):
    """Elder mode (large type, high contrast) stays on in a cookie, and on the account."""
    on = request.POST.get("on") == "1"
    if request.user.is_authenticated and request.user.elder_mode != on:
        request.user.elder_mode = on
        request.user.save(update_fields=["elder_mode"])
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = redirect(target)
    response.set_cookie("elder", "1" if on else "0", max_age=10 * 365 * 86400, samesite="Lax")
    return response
