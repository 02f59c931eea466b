"""The territory's write operations: THE one write path for teams, the party organisation and
reveals of private numbers. Admin, API, imports and demo seeds call these functions.

Each operation runs in a transaction, checks that the actor's scope covers what is written
(`actor=None` is the system: seeds, imports already checked), and raises
django.core.exceptions.ValidationError naming the field when it refuses.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Area, GridTeamMember, Role, RoleAssignment, TeamRole
from grids.scope import forget_scope, scope_for


def _check_actor(actor, area: Area, field: str) -> None:
    if actor is None:
        return
    if not scope_for(actor).covers_area(area) or not scope_for(actor).is_staff:
        raise ValidationError({field: _("This lies outside your area.")})


# --- grid teams ------------------------------------------------------------------------------
def _overlapping_full_time(grid: Area, starts_on: date, ends_on: date | None, exclude=None):
    qs = GridTeamMember.objects.filter(grid=grid, role=TeamRole.FULL_TIME).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)
    )
    if ends_on is not None:
        qs = qs.filter(starts_on__lte=ends_on)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs


def appoint_team_member(
    grid: Area,
    *,
    role: str,
    name: str,
    starts_on: date | None = None,
    ends_on: date | None = None,
    user=None,
    phone: str = "",
    organisation: str = "",
    auxiliary_kind: str = "",
    actor=None,
) -> GridTeamMember:
    """Put someone on a grid's team. A full-time worker with an account also gets the
    grid_worker role on the grid for the same period, which gives them the grid's scope.

    Refuses a second full-time worker whose period overlaps another's: checked here under a
    lock on the grid row (so SQLite agrees) and, on PostgreSQL, by the exclusion constraint."""
    starts_on = starts_on or timezone.localdate()
    with transaction.atomic():
        grid = Area.objects.select_for_update().get(pk=grid.pk)
        if grid.kind != "grid":
            raise ValidationError({"grid": _("Teams belong to grids.")})
        _check_actor(actor, grid, "grid")
        if role not in TeamRole.values:
            raise ValidationError({"role": _("Unknown team role.")})
        if ends_on is not None and ends_on < starts_on:
            raise ValidationError({"ends_on": _("The end date is before the start date.")})
        if role != TeamRole.AUXILIARY:
            auxiliary_kind = ""
        if role == TeamRole.FULL_TIME and _overlapping_full_time(grid, starts_on, ends_on).exists():
            raise ValidationError(
                {"starts_on": _("This grid already has a full-time worker in that period.")}
            )
        member = GridTeamMember(
            grid=grid,
            role=role,
            name=name,
            starts_on=starts_on,
            ends_on=ends_on,
            user=user,
            phone=phone,
            organisation=organisation,
            auxiliary_kind=auxiliary_kind,
        )
        member.full_clean(exclude=["grid", "user"])
        if role == TeamRole.FULL_TIME and user is not None:
            member.role_assignment = RoleAssignment.objects.create(
                user=user, role=Role.GRID_WORKER, area=grid, starts_on=starts_on, ends_on=ends_on
            )
            forget_scope(user)
        try:
            with transaction.atomic():
                member.save()
        except IntegrityError as exc:  # the exclusion constraint, under a concurrent writer
            raise ValidationError(
                {"starts_on": _("This grid already has a full-time worker in that period.")}
            ) from exc
    return member


def end_team_membership(member: GridTeamMember, ends_on: date | None = None, *, actor=None):
    """Close a membership (inclusive end date; today by default), and its grid_worker role."""
    ends_on = ends_on or timezone.localdate()
    with transaction.atomic():
        Area.objects.select_for_update().filter(pk=member.grid_id).first()
        member = GridTeamMember.objects.select_for_update().get(pk=member.pk)
        _check_actor(actor, member.grid, "grid")
        if ends_on < member.starts_on:
            raise ValidationError({"ends_on": _("The end date is before the start date.")})
        member.ends_on = ends_on
        member.save(update_fields=["ends_on", "updated_at"])
        if member.role_assignment_id:
            RoleAssignment.objects.filter(pk=member.role_assignment_id).update(ends_on=ends_on)
            if member.user is not None:
                forget_scope(member.user)
    return member
