"""A map of the grid on the grid worker's phone: the grid's buildings (their coordinates in the
area tree) and the open cases in it as points, drawn by static/services/grid-map.js with the
vendored Leaflet; base tiles from settings.LINLI["MAP_TILES_URL"] or none (a plain grid, the
points still drawn). The points come from /cases/grid/map.json, read through the scope; the
page lists the same places and cases in words, for a phone without the script or the tiles."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from grids.models import Area, Household
from services import actions
from services.choices import OPEN_STATES
from services.models import Case
from services.views.worker import LIST_LIMIT, _staff_scope

BUILDINGS_MAX = 500  # a grid has tens; a community worker's map stops here


def _points(request: HttpRequest) -> dict:
    _staff_scope(request)
    user = request.user
    buildings = list(
        Area.objects.visible_to(user)
        .filter(kind="building")
        .only("pk", "name", "lat", "lng")
        .order_by("path")[:BUILDINGS_MAX]
    )
    counts = dict(
        Household.objects.visible_to(user)
        .filter(building_id__in=[b.pk for b in buildings])
        .values("building_id")
        .annotate(n=Count("id"))
        .values_list("building_id", "n")
    )
    cases = list(
        Case.objects.visible_to(user)
        .filter(state__in=OPEN_STATES)
        .select_related("category", "place", "handling_area", "handling_department")
        .annotate(y=Coalesce("lat", "place__lat"), x=Coalesce("lng", "place__lng"))
        .order_by("-card_level", "resolve_due", "id")[:LIST_LIMIT]
    )
    return {
        "buildings": [
            {
                "id": b.pk,
                "name": b.name,
                "lat": b.lat,
                "lng": b.lng,
                "households": counts.get(b.pk, 0),
                "url": reverse("services:grid-building", args=[b.pk]),
            }
            for b in buildings
        ],
        "cases": [
            {
                "number": c.number,
                "category": c.category.name,
                "state": c.get_state_display(),
                "place": c.place.name,
                "card": c.card_level,
                "mine": actions.may_handle(user, c),
                "lat": c.y,
                "lng": c.x,
                "url": reverse("services:worker-case", args=[c.number]),
            }
            for c in cases
        ],
    }


@login_required
def grid_map(request: HttpRequest) -> HttpResponse:
    """The map page: the points drawn from map.json, and the same in words below."""
    data = _points(request)
    center = settings.LINLI.get("MAP_CENTER") or [24.91, 118.59]
    return render(
        request,
        "services/worker/map.html",
        {
            "data": data,
            "placed": sum(1 for b in data["buildings"] if b["lat"] is not None),
            "tiles": settings.LINLI.get("MAP_TILES_URL", ""),
            "attribution": settings.LINLI.get("MAP_TILES_ATTRIBUTION", ""),
            "center_lat": center[0],
            "center_lng": center[1],
        },
    )


@login_required
def grid_map_json(request: HttpRequest) -> JsonResponse:
    """The grid's buildings and open cases with their coordinates (null when unknown)."""
    return JsonResponse(_points(request))
