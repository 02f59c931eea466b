"""The territory's write operations: THE one write path for the area tree, grid teams and the
party organisation. Admin, API, Excel imports and demo seeds call these functions; the models
they own say so (`written_by = "grids.actions"`), which keeps the generic admin off them
(portal.write_path). Reveals of private numbers are grids.privacy.reveal.

Each operation runs in a transaction, checks that the actor's scope covers what is written
(`actor=None` is the system: seeds, imports already checked), and raises
django.core.exceptions.ValidationError naming the field when it refuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from treebeard.exceptions import InvalidMoveToDescendant, InvalidPosition, PathOverflow

from grids.models import (
    Area,
    CoBuildingUnit,
    ConcurrentMember,
    ContactHousehold,
    CrossPosting,
    EstateBody,
    GridTeamMember,
    Household,
    HouseholdVisit,
    MemberKind,
    PartyMember,
    PartyOrg,
    PartyOrgKind,
    Resident,
    Role,
    RoleAssignment,
    TeamRole,
    VisitKind,
)
from grids.models.areas import validate_placement
from grids.models.party import MAX_CONTACT_HOUSEHOLDS, ORG_PARENT_KIND
from grids.models.visits import NOTE_MAX as VISIT_NOTE_MAX
from grids.scope import forget_scope, invalidate_scopes, may_act_on, scope_for

KEEP = object()  # "leave as it is", where None is a value (an open end)


def path_prefixes(path: str) -> list[str]:
    """The paths of a node's ancestors and itself (for one `path IN (...)` query)."""
    step = Area.steplen
    return [path[:i] for i in range(step, len(path) + 1, step)]


def _check_actor(actor, area: Area, field: str) -> None:
    if actor is None:
        return
    if not may_act_on(actor, area):
        raise ValidationError({field: _("This lies outside your area.")})


# --- the area tree ---------------------------------------------------------------------------
# What describes a node; its place (path, depth, numchild) belongs to treebeard.
AREA_FIELDS = (
    "name",
    "kind",
    "code",
    "grid_level",
    "grid_kind",
    "dedicated_kind",
    "households_planned",
    "lat",
    "lng",
)
_AREA_BLANKS = {"code": "", "grid_kind": "", "dedicated_kind": "", "households_planned": 0}


def _area_values(values: dict) -> dict:
    unknown = set(values) - set(AREA_FIELDS)
    if unknown:
        raise TypeError(f"not area fields: {sorted(unknown)}")
    return {
        k: (_AREA_BLANKS[k] if v is None and k in _AREA_BLANKS else v) for k, v in values.items()
    }


def parent_of(area: Area) -> Area | None:
    return Area.objects.filter(path=area.path[: -Area.steplen]).first() if area.depth > 1 else None


def add_area(parent: Area | None, *, actor=None, **values) -> Area:
    """Add a node under `parent` (None: a new root, for superusers and seeds only).

    The placement is checked (a building sits under an estate or a grid, a grid's level follows
    its parent's), the actor's scope must cover the parent, and the parent row is locked so two
    adds under it take distinct paths."""
    values = _area_values(values)
    with transaction.atomic():
        if parent is None:
            if actor is not None and not scope_for(actor).is_superuser:
                raise ValidationError({"parent": _("Choose where the new area sits.")})
        else:
            parent = Area.objects.select_for_update().get(pk=parent.pk)  # fresh numchild
            _check_actor(actor, parent, "parent")
        node = Area(**values)
        node._pending_parent = parent  # Area.clean checks the placement under it
        node.full_clean(exclude=["path", "depth", "numchild"])
        return (
            Area.objects.add_root(values)
            if parent is None
            else Area.objects.add_child(parent, values)
        )


def update_area(area: Area, *, actor=None, **values) -> Area:
    """Change what describes a node (name, code, kind, grid level...), never where it sits
    (move_area does that). The new kind and level must still fit under the node's parent."""
    values = _area_values(values)
    with transaction.atomic():
        area = Area.objects.select_for_update().get(pk=area.pk)
        _check_actor(actor, area, "name")
        for name, value in values.items():
            setattr(area, name, value)
        area.full_clean(exclude=["path", "depth", "numchild"])  # Area.clean: the placement
        area.save()
    return area


def move_area(node: Area, target: Area, *, as_child: bool, actor=None) -> Area:
    """Move a node with its subtree: as the last child of `target`, or as its left sibling.

    The actor's scope must cover the node and its new parent, and the node must be able to sit
    there; households, teams and organisations follow because they hang on the nodes."""
    with transaction.atomic():
        node = Area.objects.select_for_update().get(pk=node.pk)
        target = Area.objects.get(pk=target.pk)
        _check_actor(actor, node, "node")
        new_parent = target if as_child else parent_of(target)
        if new_parent is None:
            if actor is not None and not scope_for(actor).is_superuser:
                raise ValidationError({"target": _("This lies outside your area.")})
        else:
            _check_actor(actor, new_parent, "target")
        validate_placement(node.kind, new_parent, node.grid_level)
        try:
            Area.objects.move(node, target, pos="last-child" if as_child else "left")
        except (InvalidMoveToDescendant, InvalidPosition, PathOverflow) as exc:
            raise ValidationError({"target": _("An area cannot move there.")}) from exc
        invalidate_scopes()  # paths changed by update(): no signal was sent
        node.refresh_from_db()
    return node


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


def update_team_member(
    member: GridTeamMember,
    *,
    name: str | None = None,
    phone: str | None = None,
    organisation: str | None = None,
    auxiliary_kind: str | None = None,
    ends_on: date | None | object = KEEP,
    actor=None,
) -> GridTeamMember:
    """Correct a member's contact details, and set or clear the end of their period. The grid,
    team role, account and start stay (end the membership and appoint again to change them).

    The end date goes through the same rule as end_team_membership: the linked grid_worker
    role ends (or reopens) with it, so the account's scope follows the roster. Reopening a
    full-time period is refused when it would overlap another full-time worker. `ends_on`
    left out keeps the end as it is (None reopens the period)."""
    with transaction.atomic():
        Area.objects.select_for_update().filter(pk=member.grid_id).first()
        member = GridTeamMember.objects.select_for_update().select_related("grid").get(pk=member.pk)
        _check_actor(actor, member.grid, "grid")
        for field_name, value in (
            ("name", name),
            ("phone", phone),
            ("organisation", organisation),
            ("auxiliary_kind", auxiliary_kind),
        ):
            if value is not None:
                setattr(member, field_name, value)
        if member.role != TeamRole.AUXILIARY:
            member.auxiliary_kind = ""
        if ends_on is not KEEP:
            end = cast(date | None, ends_on)
            if end is not None and end < member.starts_on:
                raise ValidationError({"ends_on": _("The end date is before the start date.")})
            if (
                member.role == TeamRole.FULL_TIME
                and _overlapping_full_time(member.grid, member.starts_on, end, member).exists()
            ):
                raise ValidationError(
                    {"ends_on": _("This grid already has a full-time worker in that period.")}
                )
            member.ends_on = end
        member.full_clean(exclude=["grid", "user"], validate_constraints=False)
        member.save()
        if ends_on is not KEEP and member.role_assignment_id:
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


def update_party_org(
    org: PartyOrg,
    *,
    name: str,
    secretary: str = "",
    founded_on: date | None = None,
    actor=None,
) -> PartyOrg:
    """Rename an organisation or record its secretary and founding date. Its kind, area and
    place in the chain are fixed: they are what create_party_org checked."""
    with transaction.atomic():
        org = PartyOrg.objects.select_for_update().select_related("area").get(pk=org.pk)
        _check_actor(actor, org.area, "name")
        org.name, org.secretary, org.founded_on = name, secretary, founded_on
        org.full_clean()
        org.save()
    return org


def update_party_member(
    member: PartyMember,
    *,
    name: str,
    phone: str = "",
    resident: Resident | None = None,
    user=None,
    workplace: CoBuildingUnit | None = None,
    workplace_name: str = "",
    actor=None,
) -> PartyMember:
    """Correct a member's details. Where they belong (branch or reporting community, hence
    their area and who sees them) is fixed by add_party_member / report_in_service_member."""
    with transaction.atomic():
        member = PartyMember.objects.select_for_update().select_related("area").get(pk=member.pk)
        _check_actor(actor, member.area, "name")
        if resident is not None:
            _check_actor(actor, resident.household.building, "resident")
        member.name, member.phone, member.resident, member.user = name, phone, resident, user
        if member.kind == MemberKind.IN_SERVICE:
            member.workplace = workplace
            member.workplace_name = workplace_name or (workplace.name if workplace else "")
        member.full_clean()
        member.save()
    return member


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
    """The member no longer keeps in touch with the household; its slot is free again."""
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


def remove_concurrent_member(member: ConcurrentMember, *, actor=None) -> None:
    """A concurrent member leaves the committee."""
    with transaction.atomic():
        member = ConcurrentMember.objects.select_related("party_org__area").get(pk=member.pk)
        _check_actor(actor, member.party_org.area, "party_org")
        member.delete()


def cross_post(member: PartyMember, body: EstateBody, *, position: str, actor=None):
    """红色物业 / 红色业委会: record a party member sitting on an estate's owners' committee or in
    its property company."""
    with transaction.atomic():
        _check_actor(actor, body.estate, "body")
        if CrossPosting.objects.filter(member=member, body=body).exists():
            raise ValidationError({"member": _("This member already sits there.")})
        return CrossPosting.objects.create(member=member, body=body, position=position)


def remove_cross_posting(posting: CrossPosting, *, actor=None) -> None:
    """A party member leaves an owners' committee or property company."""
    with transaction.atomic():
        posting = CrossPosting.objects.select_related("body__estate").get(pk=posting.pk)
        _check_actor(actor, posting.body.estate, "body")
        posting.delete()


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


# --- the visit log ---------------------------------------------------------------------------
@transaction.atomic
def record_visit(
    household: Household | int,
    *,
    actor,
    kind: str,
    note: str,
    visited_on: date | None = None,
    follow_up_case: str = "",
) -> HouseholdVisit:
    """A grid worker records a visit to a household (入户走访, 电话回访, or 经常访 for a priority
    household): when (today unless said, never in the future nor more than a year back), how,
    what was found, and the number of a case raised after it (the caller, which reads cases,
    has checked that the actor sees it). Only territorial staff whose scope covers the
    household's building record one; a household outside the scope is refused as if it did
    not exist. The household row is locked so two visits sent at once are both kept in order."""
    found = (
        Household.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("building")
        .filter(pk=getattr(household, "pk", household))
        .first()
    )
    if found is None:
        raise ValidationError({"household": _("No such household in your area.")})
    _check_actor(actor, found.building, "household")
    today = timezone.localdate()
    visited_on = visited_on or today
    errors: dict[str, list[str]] = {}
    if kind not in VisitKind.values:
        errors["kind"] = [_("Choose how the household was visited.")]
    if not (note or "").strip():
        errors["note"] = [_("Write what you found.")]
    elif len(note.strip()) > VISIT_NOTE_MAX:
        errors["note"] = [_("Keep it to %(max)s characters.") % {"max": VISIT_NOTE_MAX}]
    if visited_on > today:
        errors["visited_on"] = [_("A visit cannot be in the future.")]
    elif visited_on < today - timedelta(days=366):
        errors["visited_on"] = [_("Record visits of the past year only.")]
    if errors:
        raise ValidationError(errors)
    return HouseholdVisit.objects.create(
        household=found,
        worker=actor,
        visited_on=visited_on,
        kind=kind,
        note=note.strip(),
        follow_up_case=(follow_up_case or "").strip()[:16],
    )


# --- area outlines -----------------------------------------------------------------------------
def import_boundaries(raw: bytes | str, *, actor=None) -> int:
    """Set the outlines (Area.boundary) of the areas named in a GeoJSON FeatureCollection:
    all or nothing. Each feature names its area by `properties.code` or `properties.id`; the
    area must lie in the actor's scope and the geometry be a valid (Multi)Polygon. Any problem
    refuses the whole file with one error per feature (grids.boundaries.Problem); else every
    outline is written in one transaction. Returns the number of areas written."""
    from grids.boundaries import Problem, geometry_problem, parse_collection

    features, problems = parse_collection(raw)
    wanted: list[tuple[int, str, object, dict]] = []  # (n, name, key, geometry)
    for n, feature in enumerate(features, 1):
        props = (feature.get("properties") or {}) if isinstance(feature, dict) else {}
        name = str(props.get("name") or props.get("code") or props.get("id") or "")[:60]
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(Problem(n, name, _("not a GeoJSON Feature.")))
            continue
        key = props.get("code") or props.get("id")
        if key in (None, ""):
            problems.append(Problem(n, name, _("it names no area: give properties.code or id.")))
            continue
        why = geometry_problem(feature.get("geometry"))
        if why:
            problems.append(Problem(n, name, why))
            continue
        wanted.append((n, name, key, feature["geometry"]))
    codes = {str(k) for _n, _name, k, _g in wanted}
    ids = {int(k) for k in codes if k.isdigit()}
    found = Area.objects.filter(Q(code__in=codes) | Q(pk__in=ids)).only("pk", "code", "path")
    by_code = {a.code: a for a in found if a.code}
    by_id = {a.pk: a for a in found}
    writes: dict[int, dict] = {}
    for n, name, key, geometry in wanted:
        area = by_code.get(str(key)) or (by_id.get(int(str(key))) if str(key).isdigit() else None)
        if area is None:
            problems.append(Problem(n, name, _("no area has this code or id.")))
        elif actor is not None and not may_act_on(actor, area):
            problems.append(Problem(n, name, _("This lies outside your area.")))
        elif area.pk in writes:
            problems.append(Problem(n, name, _("the area appears twice in the file.")))
        else:
            writes[area.pk] = geometry
    if problems:
        raise ValidationError({"file": [str(p) for p in problems]})
    with transaction.atomic():
        for pk in sorted(writes):  # a fixed order: two imports never deadlock
            Area.objects.filter(pk=pk).update(boundary=writes[pk])
    return len(writes)


def set_boundaries(geometries: Mapping[int, dict | None], *, actor=None) -> None:
    """Set or clear the outlines of many areas by id (the demo seeds draw generated ones),
    in one transaction; each geometry is checked as import_boundaries checks a feature's."""
    from grids.boundaries import geometry_problem

    for geometry in geometries.values():
        why = geometry_problem(geometry) if geometry is not None else None
        if why:
            raise ValidationError({"boundary": why})
    areas = list(Area.objects.filter(pk__in=geometries).only("pk", "path"))
    for area in areas:
        _check_actor(actor, area, "boundary")
        area.boundary = geometries[area.pk]
    with transaction.atomic():
        Area.objects.bulk_update(areas, ["boundary"], batch_size=1000)
