"""Fixtures for mediation: the shared territory, a centre with a bookable room on each side,
a neighbour-dispute category, a community head, a community mediator and a lawyer on duty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from grids import actions as grid_actions
from grids.models import Area, Role
from mediation import actions
from mediation.actions import PartyIn
from services.models import Category
from tests.centres.conftest import World, at, build_world
from tests.territory import Territory, assign, make_user

__all__ = ["at"]


@dataclass
class Med:
    w: World
    t: Territory
    neighbours: Category
    pets: Category
    potholes: Category

    def user(self, key: str):
        return self.w.user(key)

    def dispute(self, actor=None, place=None, **extra):
        """A dispute taken in at the desk of side a (two parties)."""
        return actions.open_dispute(
            actor=actor or self.user("community_a"),
            place=place or self.t.a.buildings[0],
            kind=extra.pop("kind", "neighbour"),
            summary=extra.pop("summary", "楼上漏水纠纷"),
            facts=extra.pop("facts", "楼上卫生间漏水，楼下天花板受损，要求赔偿维修费用。"),
            parties=extra.pop(
                "parties",
                [
                    PartyIn(
                        side="applicant", name="王秀英", phone="13812345678", address="甲1号楼101"
                    ),
                    PartyIn(
                        side="respondent", name="李建国", phone="13987654321", address="甲1号楼201"
                    ),
                ],
            ),
        )


def level_one_grid(community: Area) -> Area:
    return Area.objects.get(path__startswith=community.path, kind="grid", grid_level=1)


def build_med(t: Territory) -> Med:
    w = build_world(t)
    for key, side in (("a", t.a), ("b", t.b)):
        head = make_user(f"head_{key}", staff=True, display_name=f"{key}书记")
        assign(head, Role.COMMUNITY_STAFF, area=side.community)
        grid_actions.appoint_team_member(
            level_one_grid(side.community),
            role="grid_head",
            name=f"{key}书记",
            user=head,
            starts_on=timezone.localdate() - timedelta(days=100),
        )
        w.users[f"head_{key}"] = head
        mediator = make_user(f"mediator_{key}", staff=True, display_name=f"{key}调解员")
        assign(mediator, Role.COMMUNITY_STAFF, area=side.community)
        w.users[f"mediator_{key}"] = mediator
    neighbours = Category.objects.create(name="邻里纠纷", code="neighbours")
    pets = Category.objects.create(name="宠物扰民", code="pets", parent=neighbours)
    roads = Category.objects.create(name="市政设施", code="roads")
    potholes = Category.objects.create(name="道路坑洼", code="potholes", parent=roads)
    return Med(w=w, t=t, neighbours=neighbours, pets=pets, potholes=potholes)


@pytest.fixture
def med(territory) -> Med:
    return build_med(territory)


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client():
    from django.test import Client

    return Client(headers={"accept-language": "en"})
