"""Fixtures for the centres: a centre on each side of the test territory, with an operator
login, a space, a function and an activity builder."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from centres.models import Activity, Centre, Function, OpeningHours, Space
from grids.models import Resident, Role
from tests.territory import Territory, assign, make_user


def at(days: int, hh: int = 10, mm: int = 0) -> datetime:
    """Local time `days` from today at hh:mm."""
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


@dataclass
class World:
    t: Territory
    a: Centre
    b: Centre
    space_a: Space
    space_b: Space
    users: dict[str, object] = field(default_factory=dict)

    def user(self, key: str):
        return self.users.get(key) or self.t.user(key)

    def function(self, centre: Centre, code: str = "leisure") -> Function:
        return centre.functions.get(code=code)

    def activity(self, centre: Centre | None = None, **extra) -> Activity:
        centre = centre or self.a
        start = extra.pop("starts_at", at(2))
        fields = {
            "title": "太极拳",
            "kind": "class",
            "capacity": 2,
            "starts_at": start,
            "ends_at": start + timedelta(hours=2),
            "function": self.function(centre),
        }
        fields.update(extra)
        return Activity.objects.create(centre=centre, **fields)

    def resident_user(self, username: str, side: str = "a", **resident):
        """A resident account linked to a resident record in the side's first household."""
        user = make_user(username)
        household = getattr(self.t, side).households[0]
        assign(user, Role.RESIDENT, household=household)
        Resident.objects.create(household=household, user=user, name=username, **resident)
        return user


def build_world(t: Territory) -> World:
    centres = {}
    for key, side in (("a", t.a), ("b", t.b)):
        centre = Centre.objects.create(
            name=f"{side.community.name}党群服务中心",
            community=side.community,
            lat=24.90 if key == "a" else 24.95,
            lng=118.58 if key == "a" else 118.63,
        )
        for weekday in range(7):
            OpeningHours.objects.create(
                centre=centre, weekday=weekday, opens=time(8, 0), closes=time(21, 0)
            )
        centres[key] = centre
    w = World(
        t=t,
        a=centres["a"],
        b=centres["b"],
        space_a=Space.objects.create(
            centre=centres["a"], name="多功能厅", kind="hall", capacity=50
        ),
        space_b=Space.objects.create(
            centre=centres["b"], name="多功能厅", kind="hall", capacity=50
        ),
    )
    for key in ("a", "b"):
        op = make_user(f"operator_{key}", staff=True)
        assign(op, Role.CENTRE_OPERATOR, centre_id=getattr(w, key).pk)
        w.users[f"operator_{key}"] = op
    return w


@pytest.fixture
def world(territory) -> World:
    return build_world(territory)


@pytest.fixture
def transactional_world(transactional_territory) -> World:
    return build_world(transactional_territory)


@pytest.fixture(autouse=True)
def _english():
    """Tests read the English source messages; test_i18n checks the Chinese ones."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """Pages in English, like the messages the tests read."""
    from django.test import Client

    return Client(headers={"accept-language": "en"})
