"""The periodic tasks: repeated cases on one place and category become one proposed matter
(however often the task or the staff button runs), and votes past their close are counted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from deliberation import actions, tasks
from deliberation.models import Matter, Outcome, Source, Status
from services import actions as case_actions
from services.actions import Intake
from services.models import Category

pytestmark = pytest.mark.django_db


def file_cases(place, category, n):
    for i in range(n):
        case_actions.submit_case(
            Intake(
                case_type="complaint",
                category=category,
                description=f"楼下夜宵摊噪音 {i}",
                place=place,
                reporter_phone=f"1380000{i:04d}",
            ),
            actor=None,
        )


@override_settings(LINLI_DELIB_CASES_MIN=5)
def test_repeated_cases_become_one_proposed_matter(world):
    noise = Category.objects.create(name="噪音扰民", code="noise")
    a1, a2 = world.t.a.buildings
    file_cases(a1, noise, 5)
    file_cases(a2, noise, 4)  # one short of the threshold
    assert actions.propose_from_cases(actor=world.t.user("community_b")) == []  # not theirs
    assert tasks.propose_from_cases() == 1
    assert tasks.propose_from_cases() == 0  # idempotent
    assert actions.propose_from_cases(actor=world.staff) == []
    m = Matter.objects.get()
    assert (m.area, m.source, m.status) == (a1, Source.CASES, Status.PROPOSED)
    assert len(m.case_numbers) == 5 and "噪音扰民" in m.title
    # Once the matter is finished, new repeats may propose a new one.
    actions.decline_matter(m, actor=world.staff, reason="已由城管处理")
    file_cases(a1, noise, 1)
    assert tasks.propose_from_cases() == 1


def test_votes_past_their_close_are_counted(world):
    staff = world.staff
    (voter,) = world.add_residents(1)
    m = actions.raise_matter(
        actor=staff,
        area=world.building,
        kind=world.kind(),
        title="t",
        description="d",
        source="staff",
    )
    actions.accept_matter(m, actor=staff)
    actions.open_vote(m, actor=staff, closes_at=timezone.now() + timedelta(hours=1), plan="p")
    actions.cast_vote(m, actor=voter, choice="yes")
    assert tasks.close_due_votes() == 0  # not due yet
    Matter.objects.filter(pk=m.pk).update(vote_closes_at=timezone.now() - timedelta(seconds=1))
    assert tasks.close_due_votes() == 1
    assert tasks.close_due_votes() == 0
    m.refresh_from_db()
    # 1 of 2 households took part: not more than half → no quorum.
    assert m.status == Status.DECIDED and m.outcome == Outcome.NO_QUORUM


def test_dashboard_figures(world):
    from deliberation.figures import figures

    staff = world.staff
    voters = world.add_residents(3)
    m = actions.raise_matter(
        actor=staff,
        area=world.building,
        kind=world.kind(),
        title="t",
        description="d",
        source="staff",
    )
    actions.raise_matter(
        actor=staff,
        area=world.building,
        kind=world.kind(),
        title="u",
        description="d",
        source="staff",
    )
    actions.accept_matter(m, actor=staff)
    actions.open_vote(m, actor=staff, closes_at=timezone.now() + timedelta(hours=1), plan="p")
    for v in voters[:2]:
        actions.cast_vote(m, actor=v, choice="yes")
    actions.close_vote(m, now=timezone.now() + timedelta(hours=2))
    start, end = timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1)
    got = figures(staff, world.t.a.community, start, end)
    # 2 of 4 households voted (the territory's own and three made here).
    # The decided matter is still open until it is published.
    assert got == {"raised": 2, "open": 2, "decided": 1, "passed": 0, "done": 0, "turnout": 0.5}
    assert figures(world.t.user("community_b"), world.t.b.community, start, end)["raised"] == 0
