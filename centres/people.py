"""Who is taking part: a resident's account, their resident record (age, priority tags) and
where they live (for "residents of the centre's communities only")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from grids.models import Resident, Role, RoleAssignment


@dataclass
class Person:
    user: object | None
    resident: Resident | None
    name: str
    birth_date: date | None
    area_path: str | None  # the building (or grid) they live in
    is_priority: bool  # elderly living alone, 低保 or disabled: may take reserved places

    @property
    def label(self) -> str:
        return self.name


def _from_resident(resident: Resident, user=None) -> Person:
    building = resident.household.building
    return Person(
        user=user or resident.user,
        resident=resident,
        name=resident.name,
        birth_date=resident.birth_date,
        area_path=building.path,
        is_priority=resident.lives_alone or resident.subsistence or resident.disabled,
    )


def person_for_resident(resident: Resident) -> Person:
    return _from_resident(resident)


def person_for_user(user) -> Person:
    """The person behind an account: their resident record when linked, else the household
    their resident role sits on (no age known then)."""
    resident = (
        Resident.objects.filter(user=user).select_related("household__building").first()
        if user is not None
        else None
    )
    if resident is not None:
        return _from_resident(resident, user)
    assignment = (
        RoleAssignment.objects.filter(user=user, role=Role.RESIDENT)
        .select_related("household__building")
        .first()
    )
    path = assignment.household.building.path if assignment else None
    return Person(
        user=user,
        resident=None,
        name=str(user),
        birth_date=None,
        area_path=path,
        is_priority=False,
    )
