"""The territory's write operations: THE one write path for teams, the party organisation and
reveals of private numbers. Admin, API, imports and demo seeds call these functions.

Each operation runs in a transaction, checks that the actor's scope covers what is written
(`actor=None` is the system: seeds, imports already checked), and raises
django.core.exceptions.ValidationError naming the field when it refuses.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import (
    Area,
    CoBuildingUnit,
    ConcurrentMember,
    ContactHousehold,
    CrossPosting,
    EstateBody,
    GridTeamMember,
    Household,
    MemberKind,
    PartyMember,
    PartyOrg,
    PartyOrgKind,
    Resident,
    Role,
    RoleAssignment,
    TeamRole,
)
from grids.models.party import MAX_CONTACT_HOUSEHOLDS, ORG_PARENT_KIND
from grids.scope import forget_scope, invalidate_scopes, scope_for


def path_prefixes(path: str) -> list[str]:
    """The paths of a node's ancestors and itself (for one `path IN (...)` query)."""
    step = Area.steplen
    return [path[:i] for i in range(step, len(path) + 1, step)]


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
    lock on the grid row (to name the field in the error) and by the exclusion constraint."""
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
            invalidate_scopes()  # an update() sends no signal
            if member.user is not None:
                forget_scope(member.user)
    return member


# --- party organisation ----------------------------------------------------------------------
def create_party_org(
    area: Area,
    *,
    kind: str,
    name: str,
    parent: PartyOrg | None = None,
    secretary: str = "",
    founded_on: date | None = None,
    actor=None,
) -> PartyOrg:
    """Attach a party organisation to an area (a 大工委 to a street, a 大党委 to a community, a
    branch to a grid or estate, a party group to a building). Without `parent`, the nearest
    organisation of the right kind above the area is used."""
    with transaction.atomic():
        _check_actor(actor, area, "area")
        if parent is None and ORG_PARENT_KIND.get(kind):
            parent = (
                PartyOrg.objects.filter(
                    kind=ORG_PARENT_KIND[kind], area__path__in=path_prefixes(area.path)
                )
                .order_by("-area__depth")
                .first()
            )
        org = PartyOrg(
            area=area,
            kind=kind,
            name=name,
            parent=parent,
            secretary=secretary,
            founded_on=founded_on,
        )
        org.full_clean()
        org.save()
    return org


def add_party_member(
    branch: PartyOrg,
    *,
    name: str,
    phone: str = "",
    resident: Resident | None = None,
    user=None,
    actor=None,
) -> PartyMember:
    """Enrol a member in a local branch or party group; their area is the branch's."""
    with transaction.atomic():
        _check_actor(actor, branch.area, "branch")
        if branch.kind not in (PartyOrgKind.BRANCH, PartyOrgKind.GROUP):
            raise ValidationError({"branch": _("Members belong to a branch or a party group.")})
        member = PartyMember(
            name=name,
            kind=MemberKind.LOCAL,
            branch=branch,
            area=branch.area,
            phone=phone,
            resident=resident,
            user=user,
        )
        member.full_clean()
        member.save()
    return member


def report_in_service_member(
    community: Area,
    *,
    name: str,
    workplace: CoBuildingUnit | None = None,
    workplace_name: str = "",
    phone: str = "",
    reported_on: date | None = None,
    user=None,
    actor=None,
) -> PartyMember:
    """双报到: an in-service party member reports to their home community."""
    with transaction.atomic():
        if community.kind != "community":
            raise ValidationError({"community": _("Members report to a community.")})
        _check_actor(actor, community, "community")
        member = PartyMember(
            name=name,
            kind=MemberKind.IN_SERVICE,
            area=community,
            workplace=workplace,
            workplace_name=workplace_name or (workplace.name if workplace else ""),
            phone=phone,
            reported_on=reported_on or timezone.localdate(),
            user=user,
        )
        member.full_clean()
        member.save()
    return member


def link_contact_household(member: PartyMember, household: Household, *, actor=None):
    """Make `household` one of the member's contact households, in the lowest free of the ten
    slots. The member row is locked, so two links at once cannot take the same slot; the
    database refuses an eleventh in any case."""
    with transaction.atomic():
        member = PartyMember.objects.select_for_update().get(pk=member.pk)
        _check_actor(actor, household.building, "household")
        taken = set(ContactHousehold.objects.filter(member=member).values_list("slot", flat=True))
        if ContactHousehold.objects.filter(member=member, household=household).exists():
            raise ValidationError({"household": _("This member already keeps in touch with it.")})
        free = [s for s in range(1, MAX_CONTACT_HOUSEHOLDS + 1) if s not in taken]
        if not free:
            raise ValidationError({"household": _("A party member keeps at most 10 households.")})
        return ContactHousehold.objects.create(member=member, household=household, slot=free[0])


def unlink_contact_household(link: ContactHousehold, *, actor=None) -> None:
    with transaction.atomic():
        _check_actor(actor, link.household.building, "household")
        link.delete()


def add_concurrent_member(
    committee: PartyOrg, *, name: str, unit: CoBuildingUnit, position: str = "", actor=None
) -> ConcurrentMember:
    """兼职委员: a person from a unit based in the area joins a 大工委 or 大党委."""
    with transaction.atomic():
        _check_actor(actor, committee.area, "party_org")
        if committee.kind not in (PartyOrgKind.WORKING_COMMITTEE, PartyOrgKind.COMMUNITY_COMMITTEE):
            raise ValidationError(
                {"party_org": _("Concurrent members sit on a 大工委 or a 大党委.")}
            )
        if not unit.home_community.path.startswith(committee.area.path):
            raise ValidationError({"unit": _("The unit is not based in the committee's area.")})
        return ConcurrentMember.objects.create(
            party_org=committee, name=name, unit=unit, position=position
        )


def cross_post(member: PartyMember, body: EstateBody, *, position: str, actor=None):
    """红色物业 / 红色业委会: record a party member sitting on an estate's owners' committee or in
    its property company."""
    with transaction.atomic():
        _check_actor(actor, body.estate, "body")
        if CrossPosting.objects.filter(member=member, body=body).exists():
            raise ValidationError({"member": _("This member already sits there.")})
        return CrossPosting.objects.create(member=member, body=body, position=position)


# --- residents -------------------------------------------------------------------------------
@transaction.atomic
def verify_resident(resident: Resident, *, actor=None, verified: bool = True) -> Resident:
    """Staff confirm (or withdraw) that a registered resident lives in their household.

    Verifying gives the resident's account the resident role on the household, which is what
    opens household-only things to them (their household's record, its cases); withdrawing
    ends that role today. Idempotent: verifying twice leaves one current assignment."""
    resident = (
        Resident.objects.select_for_update()
        .select_related("household__building")
        .get(pk=resident.pk)
    )
    _check_actor(actor, resident.household.building, "verified")
    resident.verified = verified
    resident.save(update_fields=["verified"])
    if resident.user_id is None:
        return resident
    today = timezone.localdate()
    current = RoleAssignment.objects.filter(
        user_id=resident.user_id, role=Role.RESIDENT, household_id=resident.household_id
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    if verified and not current.exists():
        RoleAssignment.objects.create(
            user_id=resident.user_id,
            role=Role.RESIDENT,
            household_id=resident.household_id,
            starts_on=today,
        )
    elif not verified:
        # An assignment that began today is simply removed; older ones end yesterday, so the
        # history of when the resident could act stays on record.
        current.filter(starts_on__gte=today).delete()
        current.update(ends_on=today - timedelta(days=1))
    invalidate_scopes()
    return resident
