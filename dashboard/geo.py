"""The map's data: the child areas' outlines as GeoJSON, simplified on the server (a
district's streets stay well under 200 KB), and the points (open cases, centres)."""

from __future__ import annotations

from centres.models import Centre
from dashboard.scope import DRILL_KINDS, View
from grids.boundaries import extent, simplify
from grids.models import Area
from services import figures as case_figures

# Keep detail down to 1/1500 of the shown area's width: invisible on a 1920-pixel screen.
DETAIL = 1500


def outlines(view: View) -> dict:
    """A FeatureCollection of the shown area's children that have an outline; properties
    carry the id and name (figures come with the panels, keyed by id)."""
    area = view.area
    if area is None:
        return {"type": "FeatureCollection", "features": []}
    rows = list(
        Area.objects.filter(
            path__startswith=area.path,
            depth=area.depth + 1,
            kind__in=DRILL_KINDS,
            boundary__isnull=False,
        )
        .order_by("path")
        .values_list("pk", "name", "boundary")
    )
    if not rows:
        return {"type": "FeatureCollection", "features": []}
    boxes = [extent(b) for _pk, _name, b in rows]
    width = max(max(b[2] for b in boxes) - min(b[0] for b in boxes), 1e-6)
    height = max(max(b[3] for b in boxes) - min(b[1] for b in boxes), 1e-6)
    tolerance = max(width, height) / DETAIL
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": pk,
                "properties": {"id": pk, "name": name},
                "geometry": simplify(boundary, tolerance),
            }
            for pk, name, boundary in rows
        ],
    }


def points(view: View, user, now=None) -> dict:
    """Open cases with coordinates (services.figures.open_points) and the centres, in the
    viewer's scope."""
    cases = case_figures.open_points(user, view.target, now=now)
    centres = []
    if view.area is not None:
        centres = [
            {"id": pk, "name": name, "lat": lat, "lng": lng}
            for pk, name, lat, lng in Centre.objects.visible_to(user)
            .filter(
                community__path__startswith=view.area.path, lat__isnull=False, lng__isnull=False
            )
            .values_list("pk", "name", "lat", "lng")[:500]
        ]
    return {**cases, "centres": centres}
