"""Workforce fixtures: the shared territory with a hand-built ladder on its city."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from grids.models import Role
from tests.services.conftest import _english, client, desk  # noqa: F401
from tests.territory import Territory, assign, make_user
from workforce import actions
from workforce.models import AssessmentResult, Ladder, Position, PromotionRule, Qualification


def build_ladder(city, sequences, grades=18, **extra) -> Ladder:
    """A ladder of `sequences` [(name, cap)], a pay table and the two usual rules."""
    ladder = Ladder.objects.create(
        city=city, name=f"{len(sequences)}×{grades}", grade_count=grades, **extra
    )
    made = [
        ladder.sequences.create(name=name, rank=i, max_grade=cap)
        for i, (name, cap) in enumerate(sequences, 1)
    ]
    rates = {
        (s.pk, g): Decimal(6000 - 800 * s.rank + 100 * g)
        for s in made
        for g in range(1, min(s.max_grade, grades) + 1)
    }
    actions.set_pay_table(ladder, date(2025, 1, 1), rates)
    PromotionRule.objects.create(
        ladder=ladder, name="称职满两年晋一级", min_years_in_grade=2, steps=1
    )
    PromotionRule.objects.create(
        ladder=ladder,
        name="连续两年优秀持证晋两级",
        min_years_in_grade=1,
        min_result=AssessmentResult.EXCELLENT,
        result_years=2,
        min_qualification=Qualification.ASSISTANT,
        steps=2,
    )
    return ladder


PUTIAN = [("主管", 18), ("助理", 18), ("办事员", 18)]
QUANZHOU = [("正职", 18), ("副职", 16), ("专职工作者", 14), ("辅助岗", 10)]


@dataclass
class Staff:
    t: Territory
    ladder: Ladder

    def user(self, key):
        return self.t.user(key)

    def seq(self, rank):
        return self.ladder.sequences.get(rank=rank)

    def worker(self, side="a", *, position=Position.GENERAL, rank=3, grade=3, **kw):
        community = getattr(self.t, side).community
        kw.setdefault("started_on", date(2018, 3, 1))
        kw.setdefault("grade_since", date(2022, 1, 1))
        return actions.create_worker(
            community=community,
            name=kw.pop("name", f"{community.name}社工"),
            position=position,
            sequence=self.seq(rank),
            grade=grade,
            **kw,
        )

    def assess(self, worker, year, score, **kw):
        return actions.record_assessment(
            worker,
            year,
            report="全年工作述职",
            report_score=score,
            residents_score=score,
            street_score=score,
            party_report="党建述职" if worker.is_secretary else "",
            party_score=score if worker.is_secretary else None,
            **kw,
        )


@pytest.fixture
def staff(territory) -> Staff:
    return Staff(t=territory, ladder=build_ladder(territory.city, PUTIAN))


@pytest.fixture
def head(staff):
    """Side a's secretary, with an account: the community's head."""
    user = make_user("secretary_a", staff=True)
    return staff.worker(
        position=Position.SECRETARY_DIRECTOR, rank=1, grade=5, user=user, name="甲书记"
    )


@pytest.fixture
def people(staff, head):
    t = staff.t
    assign(head.user, Role.COMMUNITY_STAFF, area=t.a.community)
    mine = staff.worker(name="甲网格社工", position=Position.GRID, grade=4, user=t.user("grid_a"))
    staff.assess(mine, 2025, 80)
    other = staff.worker("b", name="乙全科社工", grade=2)
    return {"head": head, "mine": mine, "other": other}
