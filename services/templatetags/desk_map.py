"""{% map_assets %}: the map library and static/desk/map.js, configured from settings, for any
page with a `<div class="place-map">` (see static/desk/map.js for the contract)."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("desk/_map_assets.html")
def map_assets() -> dict:
    center = settings.LINLI.get("MAP_CENTER") or [24.91, 118.59]
    return {
        "tiles": settings.LINLI.get("MAP_TILES_URL", ""),
        "attribution": settings.LINLI.get("MAP_TILES_ATTRIBUTION", ""),
        "center_lat": center[0],
        "center_lng": center[1],
    }
