"""Fixtures for the case engine: the shared territory plus categories, rules and a builder."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from services import actions
from services.actions import Intake
from services.models import Category, RoutingRule
from tests.territory import Territory


@dataclass
class Desk:
    """The territory plus a category tree and a helper to file cases."""

    t: Territory
    roads: Category
    potholes: Category
    noise: Category
    water: Category

    def user(self, key: str):
        return self.t.user(key)

    def file(self, *, actor=None, place=None, category=None, case_type="help", **extra):
        """Submit a case (as a resident of side a by default) and return it."""
        actor = actor if actor is not None else self.t.user("resident_a")
        intake = Intake(
            case_type=case_type,
            category=category or self.potholes,
            description=extra.pop("description", "路面有坑，老人容易摔倒"),
            place=place or self.t.a.buildings[0],
            **extra,
        )
        return actions.submit_case(intake, actor=actor)

    def dispatched(self, **kwargs):
        case = self.file(**kwargs)
        return actions.dispatch(case, actor=None)


def build_desk(t: Territory) -> Desk:
    roads = Category.objects.create(name="市政设施", code="roads")
    potholes = Category.objects.create(name="道路坑洼", code="potholes", parent=roads)
    noise = Category.objects.create(name="噪音扰民", code="noise")
    water = Category.objects.create(name="供水", code="water")
    # Water goes straight to the district's 住建局 (a department-level matter).
    RoutingRule.objects.create(category=water, level="department", department=t.other_department)
    return Desk(t=t, roads=roads, potholes=potholes, noise=noise, water=water)


@pytest.fixture
def desk(territory) -> Desk:
    return build_desk(territory)


@pytest.fixture
def transactional_desk(transactional_territory) -> Desk:
    return build_desk(transactional_territory)


@pytest.fixture(autouse=True)
def _english():
    """Tests read the English source messages; test_i18n checks the Chinese ones."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client():
    from django.test import Client

    return Client(headers={"accept-language": "en"})


@pytest.fixture(autouse=True)
def _fresh_calendar():
    from services import actions, calendar

    calendar.clear_cache()
    actions.clear_limits_cache()
    yield
    calendar.clear_cache()
    actions.clear_limits_cache()


@pytest.fixture
def clean_cache():
    """An empty cache before and after (the grid pages cache counts and scopes)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def worker(client, desk):
    """Side a's grid worker, logged in on `client`."""
    client.force_login(desk.user("grid_a"))
    return desk.user("grid_a")
