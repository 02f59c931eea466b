"""Fixtures for deliberation: the test territory, a 议事厅 in side a's centre, and residents
with accounts in side a's first building (one household each, or several per household)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from centres.models import Centre, OpeningHours, Space
from deliberation.models import MatterKind
from grids.models import Household, Resident, Role
from tests.territory import Territory, assign, make_user


def at(days: int, hh: int = 10, mm: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


@dataclass
class World:
    t: Territory
    hall: Space
    residents: list = field(default_factory=list)

    def kind(self, code: str = "public-affairs") -> MatterKind:
        return MatterKind.objects.get(code=code)

    @property
    def building(self):
        return self.t.a.buildings[0]

    @property
    def staff(self):
        return self.t.user("community_a")

    def add_residents(self, n: int, *, building=None, prefix: str = "r", start: int = 0) -> list:
        """`n` residents with accounts, each in a household of their own."""
        building = building or self.building
        made = []
        for i in range(start, start + n):
            hh = Household.objects.create(building=building, room=f"{prefix}{i:04d}")
            user = make_user(f"{prefix}{building.pk}_{i}")
            assign(user, Role.RESIDENT, household=hh)
            Resident.objects.create(household=hh, user=user, name=f"居民{prefix}{i}")
            made.append(user)
        self.residents.extend(made)
        return made


def build_world(t: Territory) -> World:
    # A transactional test's flush removes the rows the data migration seeded: put them back.
    import importlib

    from django.apps import apps

    importlib.import_module("deliberation.migrations.0002_presets_and_kinds").seed(apps, None)
    centre = Centre.objects.create(name="甲社区党群服务中心", community=t.a.community)
    for weekday in range(7):
        OpeningHours.objects.create(
            centre=centre, weekday=weekday, opens=time(8, 0), closes=time(21, 0)
        )
    hall = Space.objects.create(centre=centre, name="邻里议事厅", kind="deliberation", capacity=40)
    return World(t=t, hall=hall)


@pytest.fixture
def world(territory) -> World:
    return build_world(territory)


@pytest.fixture
def transactional_world(transactional_territory) -> World:
    return build_world(transactional_territory)


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield
