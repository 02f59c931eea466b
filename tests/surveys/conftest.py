"""A survey world on the test territory: residents with accounts in side a's two grids and a
questionnaire for side a's level-1 grid with a scale question or two."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count

import pytest
from django.utils import timezone

from grids.models import Household, Resident
from surveys import actions
from tests.territory import Territory, make_user

_rooms = count(200)


@dataclass
class SurveyWorld:
    t: Territory

    @property
    def level1(self):
        from grids.models import Area

        return Area.objects.get(name="甲一级网格")

    def resident(self, name: str, *, building: int = 0, side: str = "a", household=None, born=None):
        s = self.t.a if side == "a" else self.t.b
        if household is None:
            household = Household.objects.create(
                building=s.buildings[building], room=str(next(_rooms)), head_name=name
            )
        user = make_user(name)
        Resident.objects.create(
            household=household, user=user, name=name, birth_date=born or date(1980, 1, 1)
        )
        return user

    def questionnaire(self, *, area=None, questions=None, **extra):
        staff = self.t.user("community_a")
        q = actions.create_questionnaire(
            staff, title="居民满意度测评", area=area or self.level1, **extra
        )
        for spec in questions or [
            {"kind": "scale", "text": "治安满意吗？"},
            {"kind": "scale", "text": "看病方便吗？"},
            {"kind": "single", "text": "最需要什么？", "options": ["食堂", "医疗", "停车"]},
            {
                "kind": "multiple",
                "text": "参加过哪些？",
                "options": ["书法", "太极", "合唱"],
                "required": False,
            },
            {"kind": "text", "text": "还有什么建议？", "required": False},
        ]:
            actions.add_question(q, staff, **spec)
        return q

    def round(self, questionnaire, *, days_ago: int = 1, days: int = 7, **extra):
        now = timezone.now()
        return actions.open_round(
            questionnaire,
            self.t.user("community_a"),
            opens_at=now - timedelta(days=days_ago),
            closes_at=now - timedelta(days=days_ago) + timedelta(days=days),
            **extra,
        )


@pytest.fixture
def sw(territory) -> SurveyWorld:
    return SurveyWorld(territory)


@pytest.fixture
def tsw(transactional_territory) -> SurveyWorld:
    return SurveyWorld(transactional_territory)
