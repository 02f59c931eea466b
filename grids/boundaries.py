"""Area outlines (Area.boundary): reading a GeoJSON file, simplifying for the map, and the
generated outlines of the demo city.

A boundary is a GeoJSON geometry (Polygon or MultiPolygon) in WGS-84, coordinates as
[lng, lat] like every GeoJSON. The file an administrator imports is a FeatureCollection whose
features name their area by `properties.code` (Area.code) or `properties.id` (Area.pk);
grids.actions.import_boundaries writes them, all or nothing.

The dashboard asks for the outlines of one area's children; `simplify` drops points closer
than a tolerance to the line (Douglas–Peucker, per ring) and rounds to 1e-5° (about a metre),
so a district's streets stay well under 200 KB however detailed the surveyed file was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.utils.translation import gettext as _

POLYGONS = ("Polygon", "MultiPolygon")
DIGITS = 5


@dataclass(frozen=True)
class Problem:
    feature: int  # 1-based, as a person counts
    name: str
    message: str

    def __str__(self) -> str:
        return _("Feature %(n)s (%(name)s): %(message)s") % {
            "n": self.feature,
            "name": self.name or "—",
            "message": self.message,
        }


def _ring_ok(ring) -> bool:
    if not isinstance(ring, list) or len(ring) < 4:
        return False
    for point in ring:
        if not (isinstance(point, list | tuple) and len(point) >= 2):
            return False
        lng, lat = point[0], point[1]
        if not all(isinstance(v, int | float) for v in (lng, lat)):
            return False
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            return False
    return list(ring[0][:2]) == list(ring[-1][:2])


def geometry_problem(geometry) -> str | None:
    """Why a geometry cannot be an area's outline, or None when it can."""
    if not isinstance(geometry, dict) or geometry.get("type") not in POLYGONS:
        return _("the geometry must be a Polygon or a MultiPolygon.")
    coords = geometry.get("coordinates")
    polygons = [coords] if geometry["type"] == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        return _("the geometry has no coordinates.")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon or not all(_ring_ok(r) for r in polygon):
            return _(
                "each ring needs at least four [longitude, latitude] points within range, "
                "the last equal to the first."
            )
    return None


def parse_collection(raw: bytes | str) -> tuple[list[dict], list[Problem]]:
    """The features of a GeoJSON FeatureCollection, or the problem with the file itself."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return [], [Problem(0, "", _("the file is not valid JSON."))]
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return [], [Problem(0, "", _("the file must be a GeoJSON FeatureCollection."))]
    features = data.get("features")
    if not isinstance(features, list) or not features:
        return [], [Problem(0, "", _("the collection has no features."))]
    return features, []


# --- simplification ------------------------------------------------------------------------
def _perpendicular(p, a, b) -> float:
    (x, y), (x1, y1), (x2, y2) = p[:2], a[:2], b[:2]
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / (dx * dx + dy * dy) ** 0.5


def _douglas_peucker(points: list, tolerance: float) -> list:
    # Iterative (a surveyed ring may have tens of thousands of points: no deep recursion).
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        best, index = 0.0, 0
        for i in range(first + 1, last):
            d = _perpendicular(points[i], points[first], points[last])
            if d > best:
                best, index = d, i
        if best > tolerance:
            keep[index] = True
            stack.extend(((first, index), (index, last)))
    return [p for p, k in zip(points, keep, strict=True) if k]


def _ring(ring: list, tolerance: float) -> list:
    out = _douglas_peucker(ring, tolerance) if len(ring) > 4 else ring
    if len(out) < 4:  # too small to simplify: keep a quadrilateral of the original
        step = max(1, (len(ring) - 1) // 3)
        out = [*ring[: len(ring) - 1 : step][:3], ring[0]]
    return [[round(p[0], DIGITS), round(p[1], DIGITS)] for p in out]


def simplify(geometry: dict, tolerance: float) -> dict:
    """The geometry with fewer points (none further than `tolerance` degrees from the
    original line) and coordinates rounded to 1e-5°."""
    if geometry["type"] == "Polygon":
        return {
            "type": "Polygon",
            "coordinates": [_ring(r, tolerance) for r in geometry["coordinates"]],
        }
    return {
        "type": "MultiPolygon",
        "coordinates": [[_ring(r, tolerance) for r in poly] for poly in geometry["coordinates"]],
    }


def extent(geometry: dict) -> tuple[float, float, float, float]:
    """(min lng, min lat, max lng, max lat)."""
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    xs = [p[0] for poly in polygons for ring in poly for p in ring]
    ys = [p[1] for poly in polygons for ring in poly for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


# --- generated outlines (the demo city) ---------------------------------------------------
def box(west: float, south: float, east: float, north: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[west, south], [east, south], [east, north], [west, north], [west, south]]
        ],
    }


def tile(west: float, south: float, east: float, north: float, n: int) -> list[tuple]:
    """`n` boxes tiling the box, in rows of ⌈√n⌉ columns (the last row may be shorter and
    its boxes wider), a small gap between them so the map shows the borders."""
    import math

    if n <= 0:
        return []
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / cols)
    height = (north - south) / rows
    out = []
    for i in range(n):
        r, c = divmod(i, cols)
        in_row = min(cols, n - r * cols)
        width = (east - west) / in_row
        gap_x, gap_y = width * 0.02, height * 0.02
        top = north - r * height
        out.append(
            (
                west + c * width + gap_x,
                top - height + gap_y,
                west + (c + 1) * width - gap_x,
                top - gap_y,
            )
        )
    return out


def draw(root, bbox: tuple[float, float, float, float], down_to_depth: int) -> dict[int, dict]:
    """Generated outlines for `root` (the box `bbox`) and its subtree down to
    `down_to_depth`: each node's children tile its box. For seeds with no survey: the demo
    city's map is never empty. One query."""
    from grids.models import Area

    nodes = list(
        Area.objects.filter(path__startswith=root.path, depth__lte=down_to_depth)
        .order_by("path")
        .only("pk", "path", "depth")
    )
    children: dict[str, list] = {}
    for node in nodes:
        children.setdefault(node.path[: -Area.steplen], []).append(node)
    out: dict[int, dict] = {root.pk: box(*bbox)}
    stack = [(root, bbox)]
    while stack:
        node, b = stack.pop()
        kids = children.get(node.path, [])
        for kid, kb in zip(kids, tile(*b, len(kids)), strict=True):
            out[kid.pk] = box(*kb)
            stack.append((kid, kb))
    return out
