"""A small territory for tests: two sibling communities, each with two sibling grids, and a
user for every role on each side. Permission tests across all apps use it to assert that
nothing crosses from one sibling to the other."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from grids.models import Area, CoBuildingUnit, Department, Household, Resident, Role, RoleAssignment

PASSWORD = "test-pass-123"


@dataclass
class Side:
    """One community with its grids, buildings and users."""

    community: Area
    grids: list[Area]
    buildings: list[Area]
    households: list[Household]
    users: dict[str, object] = field(default_factory=dict)


@dataclass
class Territory:
    city: Area
    district: Area
    street: Area
    a: Side
    b: Side
    department: Department
    other_department: Department
    users: dict[str, object] = field(default_factory=dict)

    def user(self, key: str):
        return self.users[key]


def make_user(username: str, *, staff: bool = False, superuser: bool = False, **extra):
    User = get_user_model()
    user = User(username=username, is_staff=staff or superuser, is_superuser=superuser, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def assign(user, role: str, **target) -> RoleAssignment:
    return RoleAssignment.objects.create(user=user, role=role, **target)


def add(parent: Area, **fields) -> Area:
    parent.refresh_from_db()  # numchild moves as siblings are added
    return Area.objects.add_child(parent, fields)


def _side(street: Area, label: str) -> Side:
    community = add(street, name=f"{label}社区", kind="community", code=f"T-{label}")
    g1 = add(community, name=f"{label}一级网格", kind="grid", grid_level=1)
    grids, buildings, households = [], [], []
    for i in (1, 2):
        g1.refresh_from_db()
        g2 = add(g1, name=f"{label}网格{i}", kind="grid", grid_level=2)
        g3 = add(g2, name=f"{label}网格{i}-1", kind="grid", grid_level=3)
        estate = add(g3, name=f"{label}小区{i}", kind="estate")
        building = add(estate, name=f"{label}{i}号楼", kind="building")
        hh = Household.objects.create(building=building, room="101", head_name=f"{label}户主{i}")
        Resident.objects.create(
            household=hh,
            name=f"{label}居民{i}",
            phone=f"1380000{i}{ord(label[0]) % 10}01",
            id_number=f"35050219800101{i}23X"[:18],
        )
        grids.append(g3)
        buildings.append(building)
        households.append(hh)
    return Side(community=community, grids=grids, buildings=buildings, households=households)


def build_territory() -> Territory:
    city = Area.objects.add_root({"name": "测试市", "kind": "city", "code": "T-CITY"})
    district = add(city, name="测试区", kind="district")
    street = add(district, name="测试街道", kind="street")
    a = _side(street, "甲")
    street.refresh_from_db()
    b = _side(street, "乙")
    dept = Department.objects.create(name="城管局", area=district)
    other = Department.objects.create(name="住建局", area=district)
    t = Territory(
        city=city,
        district=district,
        street=street,
        a=a,
        b=b,
        department=dept,
        other_department=other,
    )
    t.users["superuser"] = make_user("root", superuser=True)
    t.users["district"] = make_user("district", staff=True)
    assign(t.users["district"], Role.DISTRICT_STAFF, area=district)
    t.users["street"] = make_user("street", staff=True)
    assign(t.users["street"], Role.STREET_STAFF, area=street)
    t.users["dept"] = make_user("dept", staff=True)
    assign(t.users["dept"], Role.DEPARTMENT_HANDLER, department=dept)
    t.users["anonymous"] = None
    for key, side in (("a", a), ("b", b)):
        community_user = make_user(f"community_{key}", staff=True)
        assign(community_user, Role.COMMUNITY_STAFF, area=side.community)
        grid_user = make_user(f"grid_{key}", staff=True)
        assign(grid_user, Role.GRID_WORKER, area=side.grids[0])
        resident = make_user(f"resident_{key}", phone=f"1390000000{1 if key == 'a' else 2}")
        assign(resident, Role.RESIDENT, household=side.households[0])
        unit = CoBuildingUnit.objects.create(name=f"共建单位{key}", home_community=side.community)
        unit_user = make_user(f"unit_{key}")
        assign(unit_user, Role.UNIT_MEMBER, unit=unit)
        side.users.update(
            community=community_user, grid=grid_user, resident=resident, unit=unit_user
        )
        for role, user in side.users.items():
            t.users[f"{role}_{key}"] = user
    return t
