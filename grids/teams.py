"""Reading grid teams: who serves a grid now. Writes go through grids.actions."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from grids.models import Area, GridTeamMember, Role, RoleAssignment, TeamRole


def current_team(grid: Area, on: date | None = None):
    """The grid's team on a date (today by default), heads first, in one query."""
    return (
        GridTeamMember.objects.current(on)
        .filter(grid=grid)
        .select_related("user")
        .order_by("role", "starts_on", "pk")
    )


def current_full_time_worker(grid: Area, on: date | None = None):
    """The grid's current full-time worker's account (a User), or None.

    services.routing calls this as `current_full_time_worker(grid)` to send cases to the grid.
    A roster entry without an account falls back to a grid_worker role on the grid, so grids
    whose roster is not yet kept still route as before."""
    on = on or timezone.localdate()
    User = get_user_model()
    user_id = (
        GridTeamMember.objects.current(on)
        .filter(grid=grid, role=TeamRole.FULL_TIME, user__isnull=False)
        .values_list("user_id", flat=True)
        .first()
    )
    if user_id is None:
        user_id = (
            RoleAssignment.objects.filter(role=Role.GRID_WORKER, area=grid)
            .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=on))
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
            .order_by("pk")
            .values_list("user_id", flat=True)
            .first()
        )
    return User.objects.filter(pk=user_id).first() if user_id else None
