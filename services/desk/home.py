"""The desk's home (/desk/): where staff land after login. Live counts for the user's scope,
each opening the list it counts (services.desk.counts), a search box, and the doors to the
rest of their work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from grids.models.roles import Role
from services.desk.cases import desk_viewer
from services.desk.counts import counts


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    viewer = desk_viewer(request)
    scope = viewer.scope
    counted = counts(request.user, viewer)
    return render(
        request,
        "desk/home.html",
        {
            "desk_section": "home",
            "tiles": counted.tiles,
            "as_of": timezone.localtime(counted.as_of),
            "cached": counted.cached or viewer.scope.has_role(Role.CITY_STAFF),
            "grid_worker": Role.GRID_WORKER in scope.roles,
            "centre_operator": Role.CENTRE_OPERATOR in scope.roles,
            "no_cases": not counted.tiles,
        },
    )
