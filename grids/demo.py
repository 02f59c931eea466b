"""The demo city's territory, people and logins (manage.py seed_demo).

A fictional Fujian city, 榕溪市, sized on the real figures in shared/domain.md: one district,
3 streets, 12 communities, grids at three levels, estates, buildings and households. Every
object has a stable code, so a second run finds it and changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth import get_user_model
from django.db import transaction

from grids import actions
from grids.models import (
    Area,
    CoBuildingUnit,
    Department,
    EstateBody,
    EstateBodyKind,
    GridTeamMember,
    Household,
    PartyOrg,
    PartyOrgKind,
    Resident,
    Role,
    RoleAssignment,
    TeamRole,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DEMO_PASSWORD = "linli-demo-2026"

STREETS = ["鲤城街道", "海滨街道", "开元街道"]
COMMUNITIES = [
    ["阔口社区", "南门社区", "西街社区", "新华社区"],
    ["海滨社区", "东湖社区", "浦西社区", "金山社区"],
    ["开元社区", "龙头社区", "凤池社区", "霞洲社区"],
]
ESTATE_NAMES = ["幸福里", "安居苑", "和谐家园", "榕荫小区", "书香苑", "滨江花园"]
SURNAMES = "陈林黄郑王李吴刘蔡张杨许洪周苏"
GIVEN = "秀英建华丽娟志强美玲国平春梅海燕文杰家豪雅婷明辉淑贞"


@dataclass
class DemoContext:
    """What the territory seed made, handed to the other apps' demo hooks."""

    city: Area
    district: Area
    streets: list[Area] = field(default_factory=list)
    communities: list[Area] = field(default_factory=list)
    grids: list[Area] = field(default_factory=list)  # every grid, all levels
    buildings: list[Area] = field(default_factory=list)
    users: dict[str, object] = field(default_factory=dict)
    logins: list[tuple[StrOrPromise, str, str]] = field(
        default_factory=list
    )  # (role, username, where)
    rng: random.Random = field(default_factory=lambda: random.Random(20261124))

    def leaf_grids(self) -> list[Area]:
        return [g for g in self.grids if g.grid_level == 3]


def _node(parent: Area | None, code: str, **fields) -> Area:
    existing = Area.objects.filter(code=code).first()
    if existing:
        return existing
    return actions.add_area(parent, code=code, **fields)  # the system adds: no actor


def _user(
    ctx: DemoContext, username: str, name: str, role_label: StrOrPromise, where: str, **extra
):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, display_name=name, **extra)
        user.set_password(DEMO_PASSWORD)
        user.save()
    ctx.users[username] = user
    ctx.logins.append((role_label, username, where))
    return user


def _assign(user, role: str, **target) -> None:
    RoleAssignment.objects.get_or_create(user=user, role=role, **target)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))


@transaction.atomic
def seed_territory() -> DemoContext:
    city = _node(None, "DEMO", name="榕溪市", kind="city")
    district = _node(city, "DEMO-D1", name="滨海区", kind="district")
    ctx = DemoContext(city=city, district=district)
    for s, street_name in enumerate(STREETS, 1):
        street = _node(district, f"DEMO-S{s}", name=street_name, kind="street")
        ctx.streets.append(street)
        for c, community_name in enumerate(COMMUNITIES[s - 1], 1):
            ccode = f"DEMO-S{s}C{c}"
            community = _node(
                street,
                ccode,
                name=community_name,
                kind="community",
                lat=24.90 + s * 0.01 + c * 0.002,
                lng=118.58 + s * 0.01 + c * 0.002,
            )
            ctx.communities.append(community)
            g1 = _node(
                community,
                f"{ccode}-G",
                name=f"{community_name}一级网格",
                kind="grid",
                grid_level=1,
                grid_kind="comprehensive",
            )
            ctx.grids.append(g1)
            for g in range(1, 3):  # two level-2 grids (300-500 households each)
                g2 = _node(
                    g1,
                    f"{ccode}-G{g}",
                    name=f"{community_name}第{g}网格",
                    kind="grid",
                    grid_level=2,
                    grid_kind="comprehensive",
                    households_planned=400,
                )
                ctx.grids.append(g2)
                assert community.lat is not None and community.lng is not None  # placed above
                for h in range(1, 3):  # two level-3 grids each
                    g3code = f"{ccode}-G{g}-{h}"
                    g3 = _node(
                        g2,
                        g3code,
                        name=f"{community_name}第{g}-{h}网格",
                        kind="grid",
                        grid_level=3,
                        grid_kind="comprehensive",
                        lat=community.lat + g * 0.001,
                        lng=community.lng + h * 0.001,
                    )
                    ctx.grids.append(g3)
                    estate_name = ESTATE_NAMES[(s * 7 + c * 3 + g * 2 + h) % len(ESTATE_NAMES)]
                    estate = _node(
                        g3, f"{g3code}-E", name=f"{community_name}{estate_name}", kind="estate"
                    )
                    for b in range(1, 3):
                        building = _node(
                            estate, f"{g3code}-E-B{b}", name=f"{b}号楼", kind="building"
                        )
                        ctx.buildings.append(building)
            if c == 1:  # a dedicated grid (a school) beside the comprehensive ones
                ctx.grids.append(
                    _node(
                        community,
                        f"{ccode}-GS",
                        name=f"{community_name}学校专属网格",
                        kind="grid",
                        grid_level=1,
                        grid_kind="dedicated",
                        dedicated_kind="school",
                    )
                )
    _seed_households(ctx)
    _seed_organisations_and_users(ctx)
    _seed_teams(ctx)
    _seed_party(ctx)
    _place_buildings(ctx)
    _seed_visits(ctx)
    _seed_boundaries(ctx)
    return ctx


def _seed_boundaries(ctx: DemoContext) -> None:
    """Generated outlines (no survey for a made-up city) around the communities' points, down
    to the level-1 grids, so the dashboard's map draws shapes from the first start."""
    from grids.boundaries import draw

    lats = [c.lat for c in ctx.communities if c.lat is not None]
    lngs = [c.lng for c in ctx.communities if c.lng is not None]
    pad = 0.006
    bbox = (min(lngs) - pad, min(lats) - pad, max(lngs) + pad, max(lats) + pad)
    actions.set_boundaries(draw(ctx.district, bbox, down_to_depth=ctx.district.depth + 3))


def _seed_households(ctx: DemoContext) -> None:
    if Household.objects.filter(building__in=ctx.buildings).exists():
        return
    rng = ctx.rng
    households, residents = [], []
    for building in ctx.buildings:
        for floor in range(1, 4):
            for unit in range(1, 3):
                head = _person(rng)
                households.append(
                    Household(
                        building=building,
                        room=f"{floor}0{unit}",
                        head_name=head,
                        member_count=rng.randint(1, 5),
                        is_party_member_household=rng.random() < 0.15,
                    )
                )
    Household.objects.bulk_create(households)
    for i, hh in enumerate(households):
        residents.append(
            Resident(
                household=hh,
                name=hh.head_name,
                phone=f"139{i:08d}",
                id_number=f"350502{1940 + i % 60}0101{i % 1000:03d}{i % 10}"[:18],
                relation="户主",
                lives_alone=(hh.member_count == 1 and i % 3 == 0),
                subsistence=(i % 17 == 0),
                disabled=(i % 23 == 0),
                verified=True,
            )
        )
    Resident.objects.bulk_create(residents)


def _seed_organisations_and_users(ctx: DemoContext) -> None:
    c1, c2 = ctx.communities[0], ctx.communities[1]
    grid_a = Area.objects.get(code="DEMO-S1C1-G1-1")
    grid_b = Area.objects.get(code="DEMO-S1C1-G1-2")
    dept, _ = Department.objects.get_or_create(
        area=ctx.district, name="区城市管理局", defaults={"phone": "0595-12319"}
    )
    Department.objects.get_or_create(area=ctx.district, name="区住房和城乡建设局")
    unit, _ = CoBuildingUnit.objects.get_or_create(
        name="榕溪供电公司",
        home_community=c1,
        defaults={"contact_name": "郑主任", "contact_phone": "0595-2280000", "has_party_org": True},
    )

    admin = _user(ctx, "admin", "系统管理员", "superuser", "全部", is_staff=True, is_superuser=True)
    del admin
    staff = [
        ("district", "区网格中心 林主任", Role.DISTRICT_STAFF, ctx.district),
        ("street1", "鲤城街道 黄干事", Role.STREET_STAFF, ctx.streets[0]),
        ("community1", f"{c1.name} 陈社工", Role.COMMUNITY_STAFF, c1),
        ("community2", f"{c2.name} 王社工", Role.COMMUNITY_STAFF, c2),
        ("grid1", f"{grid_a.name} 网格员 李", Role.GRID_WORKER, grid_a),
        ("grid2", f"{grid_b.name} 网格员 吴", Role.GRID_WORKER, grid_b),
    ]
    for username, name, role, area in staff:
        user = _user(ctx, username, name, Role(role).label, area.name, is_staff=True)
        _assign(user, role, area=area)
    handler = _user(
        ctx, "dept1", "城管局 张科员", Role.DEPARTMENT_HANDLER.label, dept.name, is_staff=True
    )
    _assign(handler, Role.DEPARTMENT_HANDLER, department=dept)
    unit_user = _user(ctx, "unit1", "供电公司 郑主任", Role.UNIT_MEMBER.label, unit.name)
    _assign(unit_user, Role.UNIT_MEMBER, unit=unit)
    household = (
        Household.objects.filter(building__path__startswith=grid_a.path).order_by("pk").first()
    )
    assert household is not None  # seed_territory put households under grid_a
    resident_user = _user(
        ctx,
        "resident1",
        household.head_name,
        Role.RESIDENT.label,
        str(household),
        phone="13800000001",
    )
    _assign(resident_user, Role.RESIDENT, household=household)
    Resident.objects.filter(household=household, user__isnull=True).update(user=resident_user)


def _seed_teams(ctx: DemoContext) -> None:
    """A 1+1+N+Z team on every level-3 grid; the third street's old lanes use 两长一员."""
    if GridTeamMember.objects.filter(grid__in=ctx.leaf_grids()).exists():
        return
    rng = ctx.rng
    old_street = ctx.streets[-1].path
    for grid in ctx.leaf_grids():

        def appoint(role, grid=grid, **kw):
            actions.appoint_team_member(grid, role=role, name=_person(rng), phone=_phone(rng), **kw)

        appoint(TeamRole.GRID_HEAD)
        appoint(TeamRole.FULL_TIME)
        appoint(TeamRole.INSTRUCTOR, organisation="街道干部")
        appoint(TeamRole.AUXILIARY, auxiliary_kind="police", organisation="城区派出所")
        appoint(TeamRole.AUXILIARY, auxiliary_kind="volunteer")
        if grid.path.startswith(old_street):
            appoint(TeamRole.BUILDING_HEAD)
            appoint(TeamRole.LANE_HEAD)
        else:
            appoint(TeamRole.AUXILIARY, auxiliary_kind="property", organisation="物业服务中心")


def _phone(rng: random.Random) -> str:
    return f"13{rng.randint(500000000, 999999999)}"


def _seed_party(ctx: DemoContext) -> None:
    """大工委 → 大党委 → estate branches (five in six estates) → building party groups, two
    members per branch each keeping 3-5 households, 双报到 members and units, 兼职委员, and
    红色物业 cross-postings in the first community."""
    if PartyOrg.objects.filter(area=ctx.streets[0]).exists():
        return
    rng = ctx.rng
    estate_no = 0
    for street in ctx.streets:
        committee = actions.create_party_org(
            street, kind=PartyOrgKind.WORKING_COMMITTEE, name=f"{street.name}大工委"
        )
        for community in Area.objects.filter(
            path__startswith=street.path, kind="community"
        ).order_by("path"):
            big = actions.create_party_org(
                community,
                kind=PartyOrgKind.COMMUNITY_COMMITTEE,
                name=f"{community.name}大党委",
                parent=committee,
                secretary=_person(rng),
            )
            for unit in CoBuildingUnit.objects.filter(home_community=community):
                actions.add_concurrent_member(
                    big, name=unit.contact_name or _person(rng), unit=unit
                )
                actions.report_in_service_member(
                    community, name=_person(rng), workplace=unit, phone=_phone(rng)
                )
            actions.report_in_service_member(
                community, name=_person(rng), workplace_name="市教育局", phone=_phone(rng)
            )
            estates = Area.objects.filter(path__startswith=community.path, kind="estate")
            for estate in estates.order_by("path"):
                estate_no += 1
                if estate_no % 6 == 0:
                    continue  # not every estate has its branch yet: coverage below 100%
                _seed_branch(ctx, big, estate, first_community=community == ctx.communities[0])


def _seed_branch(ctx: DemoContext, big: PartyOrg, estate: Area, first_community: bool) -> None:
    rng = ctx.rng
    branch = actions.create_party_org(
        estate,
        kind=PartyOrgKind.BRANCH,
        name=f"{estate.name}党支部",
        parent=big,
        secretary=_person(rng),
    )
    building = Area.objects.filter(path__startswith=estate.path, kind="building").order_by("path")[
        0
    ]
    actions.create_party_org(
        building, kind=PartyOrgKind.GROUP, name=f"{estate.name}{building.name}党小组", parent=branch
    )
    households = list(
        Household.objects.filter(building__path__startswith=estate.path).order_by("pk")
    )
    residents = {r.household_id: r for r in Resident.objects.filter(household__in=households[:2])}
    members = []
    for household in households[:2]:
        resident = residents.get(household.pk)
        members.append(
            actions.add_party_member(
                branch,
                name=resident.name if resident else _person(rng),
                phone=resident.phone if resident else "",
                resident=resident,
            )
        )
    others = households[2:]
    for member in members:
        for household in rng.sample(others, min(len(others), rng.randint(3, 5))):
            if not member.contacts.filter(household=household).exists():
                actions.link_contact_household(member, household)
    if first_community:
        committee, _ = EstateBody.objects.get_or_create(
            estate=estate, kind=EstateBodyKind.OWNERS_COMMITTEE, name=f"{estate.name}业委会"
        )
        company, _ = EstateBody.objects.get_or_create(
            estate=estate, kind=EstateBodyKind.PROPERTY_COMPANY, name=f"{estate.name}物业服务中心"
        )
        actions.cross_post(members[0], committee, position="业委会主任")
        actions.cross_post(members[1], company, position="物业党员项目经理")


def _place_buildings(ctx: DemoContext) -> None:
    """Coordinates for buildings that have none, a few metres apart around their grid's centre
    (the grid worker's map draws them)."""
    grids = {g.path: g for g in ctx.grids}
    for building in ctx.buildings:
        if building.lat is not None:
            continue
        grid = grids.get(building.path[: -2 * Area.steplen])
        if grid is None or grid.lat is None or grid.lng is None:
            continue
        step = int(building.code.rsplit("B", 1)[-1] or 1)
        actions.update_area(building, lat=grid.lat + step * 0.0003, lng=grid.lng + 0.0002)


def _seed_visits(ctx: DemoContext) -> None:
    """A few visits by grid1 in their grid, so the visit log and the households due a visit
    first have something to show; the rest of the grid is due."""
    from datetime import timedelta

    from django.utils import timezone

    from grids.models import HouseholdVisit

    worker = cast(Any, ctx.users.get("grid1"))
    if worker is None or HouseholdVisit.objects.filter(worker=worker).exists():
        return
    grid = Area.objects.get(code="DEMO-S1C1-G1-1")
    households = Household.objects.filter(building__path__startswith=grid.path).order_by("pk")
    today = timezone.localdate()
    notes = [
        "家中一切正常，宣传了反诈知识",
        "老人血压偏高，提醒按时服药",
        "电话回访，已解决楼道照明问题",
    ]
    for i, household in enumerate(households[:3]):
        actions.record_visit(
            household,
            actor=worker,
            kind=("home", "regular", "phone")[i],
            note=notes[i],
            visited_on=today - timedelta(days=10 + 40 * i),
        )
