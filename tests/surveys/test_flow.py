"""A survey end to end: built by community staff, answered on the phone and on paper in two
rounds, the index 安全 computed by the system equal to the same sum done by hand, per round
and per area, with the results page, the trend page and the Excel showing it."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from grids.models import Area
from surveys import actions, results
from surveys.models import Channel, Participation, Response


def _score(values: list[int], lo: int = 1, hi: int = 5) -> float:
    """A scale question's 0-100 score, by hand."""
    return (sum(values) / len(values) - lo) / (hi - lo) * 100


def _index(parts: list[tuple[float, list[int]]]) -> float:
    """A weighted index by hand: Σ weight × score / Σ weight."""
    return round(sum(w * _score(v) for w, v in parts) / sum(w for w, _ in parts), 1)


@pytest.mark.django_db
def test_survey_with_its_index_over_two_rounds(sw, client):
    staff = sw.t.user("community_a")
    q = sw.questionnaire()
    q1, q2, q3, q4, q5 = q.questions.order_by("position")
    safety = actions.define_index(q, staff, name="安全", weights={q1.pk: 2, q2.pk: "1"})
    actions.define_index(q, staff, name="健康", weights={q2.pk: 1, q1.pk: ""})
    first = sw.round(q, days_ago=20, days=7, label="第一轮")
    second = sw.round(q)
    assert (first.number, second.number) == (1, 2)

    grid1_a, grid1_b = sw.resident("g1a", building=0), sw.resident("g1b", building=0)
    grid2 = sw.resident("g2a", building=1)
    during_first = first.opens_at + timedelta(days=1)

    def answer(user, round, s1, s2, **more):
        return actions.submit_phone(
            round,
            user,
            {f"q{q1.pk}": s1, f"q{q2.pk}": str(s2), f"q{q3.pk}": "1", **more},
            now=during_first if round == first else None,
        )

    answer(grid1_a, first, 5, 3, **{f"q{q4.pk}": ["0", "2"], f"q{q5.pk}": "多办讲座"})
    answer(grid1_b, first, 4, 2)
    answer(grid2, first, 2, 5)
    # Round 2: one resident on the phone, one paper form keyed in for the second grid.
    answer(grid1_a, second, 5, 5)
    grid2_area = Area.objects.get(name="甲网格2")
    actions.submit_paper(
        second,
        staff,
        {f"q{q1.pk}": 3, f"q{q2.pk}": 4, f"q{q3.pk}": 2},
        area=grid2_area,
        paper_number="P-001",
    )

    # By hand, round 1: 安全 = (2 × score(q1) + 1 × score(q2)) / 3.
    hand_1 = _index([(2, [5, 4, 2]), (1, [3, 2, 5])])
    hand_1_grid1 = _index([(2, [5, 4]), (1, [3, 2])])
    hand_1_grid2 = _index([(2, [2]), (1, [5])])
    hand_2 = _index([(2, [5, 3]), (1, [5, 4])])
    hand_2_grid1 = _index([(2, [5]), (1, [5])])
    hand_2_grid2 = _index([(2, [3]), (1, [4])])
    assert (hand_1, hand_1_grid1, hand_1_grid2) == (63.9, 70.8, 50.0)
    assert (hand_2, hand_2_grid1, hand_2_grid2) == (79.2, 100.0, 58.3)

    trend = results.trend(q)
    assert trend["rounds"][0] == "第一轮" and len(trend["rounds"]) == 2
    by_name = {i["name"]: i for i in trend["indices"]}
    assert by_name["安全"]["overall"] == [hand_1, hand_2]
    assert [a["values"] for a in by_name["安全"]["areas"]] == [
        [hand_1_grid1, hand_2_grid1],
        [hand_1_grid2, hand_2_grid2],
    ]
    assert by_name["健康"]["overall"] == [round(_score([3, 2, 5]), 1), round(_score([5, 4]), 1)]

    rows, _ = results.by_area(first)
    assert [(r.area.name, r.responses, r.indices["安全"]) for r in rows] == [
        ("甲网格1", 2, hand_1_grid1),
        ("甲网格2", 1, hand_1_grid2),
    ]
    summary = results.summary(first)
    assert summary["responses"] == 3 and summary["channels"] == {"phone": 3}
    choice = next(x for x in summary["questions"] if x["id"] == q3.pk)
    assert [o["count"] for o in choice["options"]] == [0, 3, 0]
    multi = next(x for x in summary["questions"] if x["id"] == q4.pk)
    assert [o["count"] for o in multi["options"]] == [1, 0, 1] and multi["n"] == 1
    assert next(x for x in summary["questions"] if x["id"] == q5.pk)["texts"] == ["多办讲座"]
    assert results.summary(second)["channels"] == {"phone": 1, "paper": 1}
    paper = Response.objects.get(channel=Channel.PAPER)
    assert paper.keyed_by == staff and paper.user is None and paper.paper_number == "P-001"
    assert safety.weights.count() == 2

    # The staff pages show the same figures; the Excel carries every answer.
    client.force_login(staff)
    page = client.get(f"/surveys/staff/rounds/{first.pk}/")
    assert page.status_code == 200 and "70.8" in page.text and "survey-chart" in page.text
    assert "手机作答 3" in page.text
    assert "79.2" in client.get(f"/surveys/staff/{q.pk}/trend/").text
    xlsx = client.get(f"/surveys/staff/rounds/{second.pk}/export/")
    book = load_workbook(io.BytesIO(xlsx.content))
    raw = list(book.worksheets[0].values)
    assert len(raw) == 3 and raw[0][7].startswith("1.")
    assert sorted(r[7] for r in raw[1:]) == [3, 5]
    assert [r[5] for r in raw[1:] if r[4] == "P-001"] == [str(staff)]
    summary_rows = list(book.worksheets[1].values)
    assert any(row[2] == "食堂" and row[3] == 0 for row in summary_rows[1:])
    assert any(row[2] == "医疗" and row[3] == 1 for row in summary_rows[1:])
    assert Participation.objects.filter(round=first).count() == 3


@pytest.mark.django_db
def test_a_resident_answers_on_the_phone_page(sw, client):
    q = sw.questionnaire(anonymous=True)
    round = sw.round(q)
    user = sw.resident("phone")
    client.force_login(user)
    listed = client.get("/surveys/")
    assert q.title in listed.text
    q1, q2, q3, *_ = q.questions.order_by("position")
    r = client.post(f"/surveys/{round.pk}/", {f"q{q1.pk}": "4", f"q{q2.pk}": "5", f"q{q3.pk}": "0"})
    assert r.status_code == 302 and r.url == "/surveys/"
    response = Response.objects.get(round=round)
    # Anonymous: the response keeps no person; the participation keeps the once-only rule.
    assert response.user is None and response.household is None
    assert Participation.objects.get(round=round).key == f"u:{user.pk}"
    again = client.get(f"/surveys/{round.pk}/")
    assert "您已回答过这份问卷" in again.text or "已回答" in again.text
    assert "已回答" in client.get("/surveys/").text
    assert timezone.now() > round.opens_at
