"""Fixtures for the volunteers app: the shared territory plus a relative of resident_a."""

from __future__ import annotations

import pytest

from grids.models import Resident, Role
from tests.territory import assign, make_user


def add_relative(t):
    """A second account holder in resident_a's household (gifts go to relatives)."""
    household = t.a.households[0]
    Resident.objects.filter(household=household).update(user=None)
    first = Resident.objects.filter(household=household).first()
    first.user = t.user("resident_a")
    first.save()
    relative = make_user("relative_a", phone="13900000009")
    assign(relative, Role.RESIDENT, household=household)
    Resident.objects.create(household=household, name="甲亲属", user=relative)
    t.users["relative_a"] = relative
    return relative


@pytest.fixture
def family(territory):
    add_relative(territory)
    return territory
