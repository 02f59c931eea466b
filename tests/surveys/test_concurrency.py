"""Many answers at once on real PostgreSQL connections: each person (and each household) is
counted once, whatever the timing; an anonymous questionnaire is held to the same rule by
its participation rows."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from surveys import actions
from surveys.models import Participation, Response

pytestmark = pytest.mark.django_db(transaction=True)


def race(n: int, fn) -> list:
    barrier = threading.Barrier(n)
    results: list[object] = []
    lock = threading.Lock()

    def run(i):
        try:
            barrier.wait()
            try:
                outcome = fn(i)
            except ValidationError as exc:
                outcome = exc
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    close_old_connections()
    return results


def _full(q) -> dict:
    q1, q2, q3, *_ = q.questions.order_by("position")
    return {f"q{q1.pk}": 5, f"q{q2.pk}": 4, f"q{q3.pk}": 2}


def test_forty_residents_and_repeats_at_once_each_counted_once(tsw):
    q = tsw.questionnaire(anonymous=True)
    round = tsw.round(q)
    users = [tsw.resident(f"c{i}", building=i % 2) for i in range(20)]
    # Every resident submits twice at the same moment: 40 submissions, 20 people.
    outcomes = race(40, lambda i: actions.submit_phone(round, users[i % 20], _full(q)))
    saved = [o for o in outcomes if isinstance(o, Response)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(outcomes) == 40 and len(saved) == 20 and len(refused) == 20
    assert {tuple(e.messages) for e in refused} == {("您已回答过这份问卷，每人只计一份。",)}
    assert Response.objects.filter(round=round).count() == 20
    assert Participation.objects.filter(round=round).count() == 20
    assert not Response.objects.filter(round=round, user__isnull=False).exists()


def test_one_household_many_members_at_once_counts_one(tsw):
    q = tsw.questionnaire(audience="households")
    round = tsw.round(q)
    head = tsw.resident("head")
    members = [head] + [tsw.resident(f"m{i}", household=head.resident.household) for i in range(9)]
    outcomes = race(10, lambda i: actions.submit_phone(round, members[i], _full(q)))
    assert sum(isinstance(o, Response) for o in outcomes) == 1
    assert Response.objects.filter(round=round).count() == 1
    assert Participation.objects.get(round=round).key == f"h:{head.resident.household_id}"
