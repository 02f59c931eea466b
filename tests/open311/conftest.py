"""Fixtures for Open311: the territory with categories (tests.services), positions on the
buildings, and keys."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from open311 import actions
from tests.services.conftest import build_desk


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_catalogue():
    actions.clear_catalogue()  # ids are not reused, but a memo must not outlive its test
    yield
    actions.clear_catalogue()


@pytest.fixture
def desk(territory):
    d = build_desk(territory)
    for i, building in enumerate([*territory.a.buildings, *territory.b.buildings]):
        building.lat, building.lng = 24.90 + i * 0.001, 118.59
        building.save(update_fields=["lat", "lng"])
    return d


@pytest.fixture
def issue(desk):
    def make(name="FixMyStreet", area=None, **kw):
        return actions.issue_key(name=name, actor=desk.user("superuser"), area=area, **kw)

    return make


@pytest.fixture
def key(issue):
    return issue()


@pytest.fixture
def client():
    from django.test import Client

    return Client(headers={"accept-language": "en"})
