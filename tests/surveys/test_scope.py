"""Scope: staff see and change only the questionnaires of their area (others are 404, in the
pages and the API); residents never reach the staff pages. Query counts are pinned."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from surveys import actions


def _answered(sw, q, n: int):
    round = sw.round(q)
    q1, q2, q3, *_ = q.questions.order_by("position")
    for i in range(n):
        actions.submit_phone(
            round,
            sw.resident(f"s{q.pk}-{i}", building=i % 2),
            {f"q{q1.pk}": 1 + i % 5, f"q{q2.pk}": 3, f"q{q3.pk}": i % 3},
        )
    return round


@pytest.mark.django_db
def test_other_community_staff_get_404_everywhere(sw, client):
    q = sw.questionnaire()
    round = _answered(sw, q, 2)
    question = q.questions.first()
    other = sw.t.user("community_b")
    client.force_login(other)
    for url in (
        f"/surveys/staff/{q.pk}/",
        f"/surveys/staff/{q.pk}/trend/",
        f"/surveys/staff/rounds/{round.pk}/",
        f"/surveys/staff/rounds/{round.pk}/export/",
        f"/surveys/staff/rounds/{round.pk}/paper/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/surveys/staff/{q.pk}/questions/",
        f"/surveys/staff/{q.pk}/questions/{question.pk}/remove/",
        f"/surveys/staff/{q.pk}/rounds/",
        f"/surveys/staff/{q.pk}/indices/",
        f"/surveys/staff/rounds/{round.pk}/close/",
    ):
        assert client.post(url, {}).status_code == 404, url
    assert q.title not in client.get("/surveys/staff/").text
    api = APIClient()
    api.force_authenticate(other)
    assert api.get(f"/api/surveys/questionnaires/{q.pk}/").status_code == 404
    assert api.get(f"/api/surveys/rounds/{round.pk}/results/").status_code == 404
    assert api.get("/api/surveys/questionnaires/").json()["count"] == 0
    # A resident is no staff member: the staff pages do not exist for them.
    client.force_login(sw.t.user("resident_a"))
    assert client.get("/surveys/staff/").status_code == 404
    assert client.get(f"/surveys/staff/rounds/{round.pk}/").status_code == 404
    # The questionnaire's own staff see it all.
    api.force_authenticate(sw.t.user("street"))
    body = api.get(f"/api/surveys/rounds/{round.pk}/results/").json()
    assert body["responses"] == 2 and [a["responses"] for a in body["areas"]] == [1, 1]


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_query_counts_do_not_grow_with_answers(sw, client):
    staff = sw.t.user("community_a")
    client.force_login(staff)
    api = APIClient()
    api.force_authenticate(staff)
    small = sw.questionnaire()
    actions.define_index(small, staff, name="安全", weights={small.questions.first().pk: 1})
    small_round = _answered(sw, small, 2)
    client.get("/surveys/staff/")  # warm the session and scope caches
    counts_small = (
        _count(lambda: client.get("/surveys/staff/")),
        _count(lambda: client.get(f"/surveys/staff/rounds/{small_round.pk}/")),
        _count(lambda: api.get("/api/surveys/questionnaires/")),
    )
    big = sw.questionnaire()
    q1 = big.questions.first()
    actions.define_index(big, staff, name="安全", weights={q1.pk: 1})
    big_round = _answered(sw, big, 12)
    client.get("/surveys/staff/")  # new households invalidated the cached scopes: warm again
    counts_big = (
        _count(lambda: client.get("/surveys/staff/")),
        _count(lambda: client.get(f"/surveys/staff/rounds/{big_round.pk}/")),
        _count(lambda: api.get("/api/surveys/questionnaires/")),
    )
    # The list, the results page (summary, per area, index) and the API list: 2 and 12
    # answers (and 1 and 2 questionnaires) cost the same.
    assert counts_small == counts_big == (3, 15, 6)
    user = sw.resident("phone-user")
    client.force_login(user)
    q1, q2, q3, *_ = small.questions.order_by("position")
    posted = {f"q{q1.pk}": "5", f"q{q2.pk}": "5", f"q{q3.pk}": "1"}
    # Answering on the phone: the page, then the submission (checks, participation, response,
    # answers in one insert, the idempotency key).
    assert _count(lambda: client.get(f"/surveys/{small_round.pk}/")) == 6
    assert _count(lambda: client.post(f"/surveys/{small_round.pk}/", posted)) == 13
