"""100 voters at once, each tapping twice, on real PostgreSQL: every voter is counted exactly
once, and the tally recomputed from the raw ballots equals the published one."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone, translation

from deliberation import actions
from deliberation.models import Ballot, Participation, Status

VOTERS = 100
POOL = 20  # database connections used at once (the server is shared)


@pytest.mark.django_db(transaction=True)
def test_hundred_voters_at_once_each_counted_once(transactional_world):
    w = transactional_world
    staff = w.staff
    voters = w.add_residents(VOTERS)
    matter = actions.raise_matter(
        actor=staff,
        area=w.building,
        kind=w.kind(),
        title="楼道加装扶手",
        description="老人多",
        source="staff",
    )
    actions.accept_matter(matter, actor=staff)
    matter = actions.open_vote(
        matter, actor=staff, closes_at=timezone.now() + timedelta(hours=1), plan="加装扶手"
    )
    choices = {u.pk: ("yes", "yes", "yes", "no", "abstain")[i % 5] for i, u in enumerate(voters)}
    attempts = [u for u in voters for _twice in range(2)]
    barrier = threading.Barrier(POOL)
    outcomes: list[str] = []
    lock = threading.Lock()

    def vote(user):
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=30)
            with translation.override("en"):  # threads do not inherit the test's language
                actions.cast_vote(matter.pk, actor=user, choice=choices[user.pk])
            result = "ok"
        except ValidationError as exc:
            result = " ".join(exc.messages)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    with ThreadPoolExecutor(POOL) as pool:
        list(pool.map(vote, attempts))

    assert len(outcomes) == 2 * VOTERS
    assert outcomes.count("ok") == VOTERS
    assert all("already voted" in o for o in outcomes if o != "ok")
    assert Participation.objects.filter(matter=matter).count() == VOTERS
    assert Ballot.objects.filter(matter=matter).count() == VOTERS
    # Each voter once, with the choice they made.
    by_voter = Counter(Ballot.objects.filter(matter=matter).values_list("voter_id", flat=True))
    assert set(by_voter.values()) == {1} and set(by_voter) == set(choices)

    matter = actions.close_vote(
        matter, actor=staff, early=False, now=timezone.now() + timedelta(hours=2)
    )
    matter = actions.publish_result(matter, actor=staff)
    assert matter.status == Status.EXECUTING
    expected = Counter(choices.values())
    assert (matter.tally["yes"], matter.tally["no"], matter.tally["abstain"]) == (
        expected["yes"],
        expected["no"],
        expected["abstain"],
    )
    # The published tally is what the raw ballots give today.
    assert actions.compute_tally(matter) == matter.tally
    # ... and the electorate (101: the territory's household as well) was frozen at opening.
    assert matter.tally["eligible"] == VOTERS + 1


@pytest.mark.django_db(transaction=True)
def test_two_residents_of_one_household_at_once_count_once(transactional_world):
    from grids.models import Resident, Role
    from tests.territory import assign, make_user

    w = transactional_world
    staff = w.staff
    (first,) = w.add_residents(1)
    household = Resident.objects.get(user=first).household
    second = make_user("second_in_household")
    assign(second, Role.RESIDENT, household=household)
    matter = actions.raise_matter(
        actor=staff, area=w.building, kind=w.kind(), title="t", description="d", source="staff"
    )
    actions.accept_matter(matter, actor=staff)
    actions.open_vote(matter, actor=staff, closes_at=timezone.now() + timedelta(hours=1), plan="p")
    barrier = threading.Barrier(2)
    outcomes = []

    def vote(user):
        try:
            barrier.wait(timeout=10)
            with translation.override("en"):  # threads do not inherit the test's language
                actions.cast_vote(matter.pk, actor=user, choice="yes")
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=vote, args=(u,)) for u in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes.count("ok") == 1
    assert any("household has already voted" in o for o in outcomes)
    assert Ballot.objects.filter(matter=matter).count() == 1


@pytest.mark.django_db(transaction=True)
def test_close_waits_for_votes_being_cast_and_refuses_later_ones(transactional_world):
    """A vote that started before the close is counted in the tally; one after is refused."""
    w = transactional_world
    staff = w.staff
    voters = w.add_residents(10)
    matter = actions.raise_matter(
        actor=staff, area=w.building, kind=w.kind(), title="t", description="d", source="staff"
    )
    actions.accept_matter(matter, actor=staff)
    actions.open_vote(matter, actor=staff, closes_at=timezone.now() + timedelta(hours=1), plan="p")
    later = timezone.now() + timedelta(hours=2)
    barrier = threading.Barrier(len(voters) + 1)
    outcomes = []

    def vote(user):
        try:
            barrier.wait(timeout=10)
            with translation.override("en"):  # threads do not inherit the test's language
                actions.cast_vote(matter.pk, actor=user, choice="yes")
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connections.close_all()

    def close():
        try:
            barrier.wait(timeout=10)
            actions.close_vote(matter.pk, now=later)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=vote, args=(u,)) for u in voters]
    threads.append(threading.Thread(target=close))
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    matter.refresh_from_db()
    assert matter.status == Status.DECIDED
    # Whatever the interleaving: every vote accepted is in the tally, none after it.
    assert (
        matter.tally["voters"]
        == outcomes.count("ok")
        == Ballot.objects.filter(matter=matter).count()
    )
    assert all("closed" in o for o in outcomes if o != "ok")
