"""/dashboard/ (一屏观): the page in three layouts and the JSON it reads.

- /dashboard/?area=<id>&month=YYYY-MM&layout=desk|phone|screen&colour=…: the page; its
  figures are embedded with json_script (no inline script: the page's JS is static/dashboard/)
- /dashboard/data/: the same figures as JSON (the big screen's cycle, the live refresh)
- /dashboard/geo/: the child areas' outlines (GeoJSON, simplified on the server)
- /dashboard/points/: open cases and centres for the map
- /dashboard/stream/: the newest and the latest overdue cases (refreshed every minute)
- /dashboard/reports/…: the monthly report (dashboard.reports_views)

Every one resolves the viewer's target through dashboard.scope.resolve: 404 outside the scope.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from dashboard import geo, panels
from dashboard.scope import breadcrumb, month_choices, resolve
from portal.readdb import reading_from, replica_alias
from services import figures as case_figures

LAYOUTS = {"desk": _("Desk layout"), "phone": _("Phone layout"), "screen": _("Big-screen layout")}
COLOURS = {
    "overdue": _("Overdue cases"),
    "satisfaction": _("Satisfaction rate"),
    "per_1000": _("Cases per 1,000 households"),
}


def _json(data) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    view = resolve(request)
    layout = request.GET.get("layout", "desk")
    layout = layout if layout in LAYOUTS else "desk"
    colour = request.GET.get("colour", "overdue")
    colour = colour if colour in COLOURS else "overdue"
    with reading_from(replica_alias()):
        data = panels.build(view, request.user)
    query = {"area": view.area.pk} if view.area is not None else {}
    centre = settings.LINLI.get("MAP_CENTER") or [24.91, 118.59]
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "view": view,
            "data": data,
            "cases": data["cases"],
            "k": data["cases"]["kpis"],
            "crumbs": breadcrumb(view),
            "layout": layout,
            "layouts": LAYOUTS,
            "months": month_choices(view.month),
            "colour": colour,
            "colours": COLOURS,
            "area_query": "&".join(f"{k}={v}" for k, v in query.items()),
            "config": {
                "geo": reverse("dashboard:geo") + (f"?area={view.area.pk}" if view.area else ""),
                "points": reverse("dashboard:points")
                + (f"?area={view.area.pk}" if view.area else ""),
                "stream": reverse("dashboard:stream")
                + (f"?area={view.area.pk}" if view.area else ""),
                "data": reverse("dashboard:data"),
                "home": reverse("dashboard:home"),
                "tiles": settings.LINLI.get("MAP_TILES_URL", ""),
                "tiles_crs": settings.LINLI.get("MAP_TILES_CRS", "wgs84"),
                "attribution": settings.LINLI.get("MAP_TILES_ATTRIBUTION", ""),
                "center": centre,
                "colour": colour,
                "layout": layout,
                "month": data["month"],
                "cycle_seconds": 20,
            },
        },
    )


@login_required
@require_GET
def data(request: HttpRequest) -> JsonResponse:
    view = resolve(request)
    with reading_from(replica_alias()):
        return _json(panels.build(view, request.user))


@login_required
@require_GET
def geojson(request: HttpRequest) -> JsonResponse:
    view = resolve(request)
    with reading_from(replica_alias()):
        return _json(geo.outlines(view))


@login_required
@require_GET
def points(request: HttpRequest) -> JsonResponse:
    view = resolve(request)
    with reading_from(replica_alias()):
        return _json(geo.points(view, request.user))


@login_required
@require_GET
def stream(request: HttpRequest) -> JsonResponse:
    view = resolve(request)
    with reading_from(replica_alias()):
        return _json(case_figures.stream(request.user, view.target))
