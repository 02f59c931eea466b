"""Who is taking part: a resident's account, their resident record (age, priority tags) and
where they live (for "residents of the centre's communities only").

Read with `values()` queries: a sign-up asks this for every person, and model instances with
their joins cost more to build than the two rows are worth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from grids.models import Resident, Role, RoleAssignment
from portal.models import User


@dataclass
class Person:
    user: User | None
    resident_id: int | None
    name: str
    birth_date: date | None
    area_path: str | None  # the building (or grid) they live in
    is_priority: bool  # elderly living alone, 低保 or disabled: may take reserved places

    @property
    def label(self) -> str:
        return self.name


def person_for_resident(resident: Resident) -> Person:
    return Person(
        user=resident.user,
        resident_id=resident.pk,
        name=resident.name,
        birth_date=resident.birth_date,
        area_path=resident.household.building.path,
        is_priority=resident.lives_alone or resident.subsistence or resident.disabled,
    )


def person_for_user(user) -> Person:
    """The person behind an account: their resident record when linked, else the household
    their resident role sits on (no age known then)."""
    row = (
        Resident.objects.filter(user=user)
        .values(
            "pk",
            "name",
            "birth_date",
            "lives_alone",
            "subsistence",
            "disabled",
            "household__building__path",
        )
        .first()
        if user is not None
        else None
    )
    if row is not None:
        return Person(
            user=user,
            resident_id=row["pk"],
            name=row["name"],
            birth_date=row["birth_date"],
            area_path=row["household__building__path"],
            is_priority=row["lives_alone"] or row["subsistence"] or row["disabled"],
        )
    path = (
        RoleAssignment.objects.current()
        .filter(user=user, role=Role.RESIDENT)
        .values_list("household__building__path", flat=True)
        .first()
    )
    return Person(
        user=user,
        resident_id=None,
        name=str(user),
        birth_date=None,
        area_path=path,
        is_priority=False,
    )
