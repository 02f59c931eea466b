"""Reading grid teams: who serves a grid now. Writes go through grids.actions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.contrib.auth import get_user_model
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


def full_time_worker_ids(grid_ids: Iterable[int], on: date | None = None) -> dict[int, int | None]:
    """Each grid's current full-time worker (user id, or None), for many grids in two queries.

    The roster's full-time member with an account (the latest start wins); failing that, the
    first grid_worker role on the grid, so grids whose roster is not yet kept still route."""
    on = on or timezone.localdate()
    ids = set(grid_ids)
    found: dict[int, int | None] = dict.fromkeys(ids)
    rows = (
        GridTeamMember.objects.current(on)
        .filter(grid_id__in=ids, role=TeamRole.FULL_TIME, user__isnull=False)
        .order_by("grid_id", "-starts_on", "pk")
        .values_list("grid_id", "user_id")
    )
    for grid_id, user_id in rows:
        if found[grid_id] is None:
            found[grid_id] = user_id
    missing = [pk for pk, user_id in found.items() if user_id is None]
    if missing:
        roles = (
            RoleAssignment.objects.current(on)
            .filter(role=Role.GRID_WORKER, area_id__in=missing)
            .order_by("area_id", "pk")
            .values_list("area_id", "user_id")
        )
        for area_id, user_id in roles:
            if found[area_id] is None:
                found[area_id] = user_id
    return found


def current_full_time_worker(grid: Area, on: date | None = None):
    """The grid's current full-time worker's account (a User), or None (full_time_worker_ids
    holds the rule)."""
    user_id = full_time_worker_ids([grid.pk], on)[grid.pk]
    return get_user_model().objects.filter(pk=user_id).first() if user_id else None
