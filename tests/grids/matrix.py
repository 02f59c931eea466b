"""grids' models in the permission matrix (tests/matrix.py)."""

from __future__ import annotations

from grids import actions
from grids.models import (
    AccessLog,
    Area,
    CoBuildingUnit,
    ConcurrentMember,
    ContactHousehold,
    CrossPosting,
    Department,
    EstateBody,
    GridTeamMember,
    Household,
    HouseholdVisit,
    PartyMember,
    PartyOrg,
    PartyOrgKind,
    Resident,
    Role,
    RoleAssignment,
)
from grids.privacy import reveal
from tests.matrix import Place, register, register_page
from tests.territory import make_user


def _estate(p: Place) -> Area:
    p.grid.refresh_from_db()
    return Area.objects.add_child(p.grid, {"name": p.label, "kind": "estate", "code": p.label})


def _household(p: Place) -> Household:
    return Household.objects.create(building=p.building, room=p.label, head_name=p.label)


def _branch(p: Place) -> PartyOrg:
    org = PartyOrg.objects.filter(area=p.estate, kind=PartyOrgKind.BRANCH).first()
    return org or actions.create_party_org(p.estate, kind=PartyOrgKind.BRANCH, name=p.label)


def _member(p: Place) -> PartyMember:
    return actions.add_party_member(_branch(p), name=p.label)


def _contact(p: Place) -> ContactHousehold:
    return actions.link_contact_household(_member(p), p.household)


def _committee(p: Place) -> PartyOrg:
    org = PartyOrg.objects.filter(area=p.community, kind=PartyOrgKind.COMMUNITY_COMMITTEE).first()
    return org or actions.create_party_org(
        p.community, kind=PartyOrgKind.COMMUNITY_COMMITTEE, name=f"{p.community.name}大党委"
    )


def _concurrent(p: Place) -> ConcurrentMember:
    unit = CoBuildingUnit.objects.filter(home_community=p.community).first()
    return actions.add_concurrent_member(_committee(p), name=p.label, unit=unit)


def _body(p: Place) -> EstateBody:
    return EstateBody.objects.create(estate=p.estate, kind="owners_committee", name=p.label)


def _posting(p: Place) -> CrossPosting:
    return actions.cross_post(_member(p), _body(p), position="委员")


def _role(p: Place) -> RoleAssignment:
    user = make_user(f"m-{p.label}", staff=True)
    return RoleAssignment.objects.create(user=user, role=Role.GRID_WORKER, area=p.grid)


def _log(p: Place) -> AccessLog:
    reveal(p.territory.user("superuser"), p.resident, "phone", p.label)
    return AccessLog.objects.filter(reason=p.label).get()


register(Area, _estate, api="/api/grids/areas/", list_params={"q": "矩阵"})
register(Household, _household)
register(Resident, lambda p: Resident.objects.create(household=p.household, name=p.label))
register(
    GridTeamMember,
    lambda p: actions.appoint_team_member(p.grid, role="instructor", name=p.label),
    api="/api/grids/teams/",
)
register(PartyOrg, _branch, api="/api/grids/party-orgs/")
register(PartyMember, _member, api="/api/grids/party-members/")
register(ContactHousehold, _contact)
register(EstateBody, _body)
register(CrossPosting, _posting)
# Community-level objects: the community sees them, a grid worker does not.
register(ConcurrentMember, _concurrent, viewers=("community",), grid_level=False)
register(
    CoBuildingUnit,
    lambda p: CoBuildingUnit.objects.create(name=p.label, home_community=p.community),
    viewers=("community",),
    grid_level=False,
)
register(
    Department,
    lambda p: Department.objects.create(name=p.label, area=p.community),
    viewers=("community",),
    grid_level=False,
)
# Held on a grid, but only community staff and above read role assignments and the log.
register(RoleAssignment, _role, viewers=("community",))
register(AccessLog, _log, viewers=("community",))


def _visit(p: Place) -> HouseholdVisit:
    worker = p.territory.user("superuser")
    return actions.record_visit(p.household, actor=worker, kind="home", note=p.label)


# The visit log: territorial staff read it (grid workers their own grid's); nobody edits it.
# Its phone pages: the household page with the timeline, the visit form's POST and the
# audited reveal of a resident's number there, 404 wherever the role does not see it.
register(
    HouseholdVisit,
    _visit,
    pages=(lambda v: f"/cases/grid/places/h/{v.household_id}/",),
    posts=(
        lambda v: f"/cases/grid/places/h/{v.household_id}/visit/",
        lambda v: f"/cases/grid/places/r/{v.household.residents.order_by('pk').first().pk}/reveal/",
    ),
)
# The grid worker's lists of places and the map's points: never a sibling's building.
for _name, _url in (
    ("grid:places", "/cases/grid/places/"),
    ("grid:map", "/cases/grid/map/"),
    ("grid:map.json", "/cases/grid/map.json"),
):
    register_page(
        _name,
        lambda p, url=_url: url,
        viewers=("community", "grid"),
        secret=lambda p: p.building.name,
    )
register_page(
    "grid:building",
    lambda p: f"/cases/grid/places/b/{p.building.pk}/",
    viewers=("community", "grid"),
    secret=lambda p: p.household.head_name,
)
