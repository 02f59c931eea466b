"""Figures per community equal hand counts; the list's search, sort and empty states; the
ledger export; bad input answered in words, never a 500, nothing half written; query counts
pinned."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from mediation import actions, figures
from mediation.actions import PartyIn
from mediation.models import Dispute, Party

pytestmark = pytest.mark.django_db


def _settle(med, dispute, days_ago: float):
    mediator = med.user("mediator_a" if dispute.community == med.t.a.community else "mediator_b")
    office = med.user("community_a" if dispute.community == med.t.a.community else "community_b")
    actions.assign_mediator(dispute, actor=office, user=mediator, kind="community")
    actions.record_agreement(dispute, actor=mediator, terms="条款")
    for p in dispute.parties.all():
        actions.record_signature(dispute, actor=mediator, party=p)
    created = timezone.now() - timedelta(days=days_ago)
    Dispute.objects.filter(pk=dispute.pk).update(created_at=created)


def test_figures_equal_hand_counts(med):
    a1, a2, a3, a4 = (med.dispute() for _ in range(4))
    b1 = med.dispute(actor=med.user("community_b"), place=med.t.b.buildings[0])
    _settle(med, a1, 2)
    _settle(med, a2, 4)
    actions.assign_mediator(
        a3, actor=med.user("community_a"), user=med.user("mediator_a"), kind="community"
    )
    actions.refer(a3, actor=med.user("mediator_a"), to="court")
    _settle(med, b1, 10)
    start = timezone.now() - timedelta(days=30)
    end = timezone.now() + timedelta(minutes=1)
    rows = {r["name"]: r for r in figures.per_community(med.user("street"), None, start, end)}
    # a1 and a2 were "created" 2 and 4 days ago, still in the window; a4 is open.
    a = rows["甲社区"]
    assert (a["disputes"], a["settled"], a["referred"], a["open"]) == (4, 2, 1, 1)
    assert a["settled_share"] == round(2 / 3, 3)
    assert a["days_to_settle"] == pytest.approx(3.0, abs=0.05)
    b = rows["乙社区"]
    assert (b["disputes"], b["settled"], b["settled_share"]) == (1, 1, 1.0)
    assert b["days_to_settle"] == pytest.approx(10.0, abs=0.05)
    totals = figures.totals(list(rows.values()))
    assert (totals["disputes"], totals["settled"], totals["referred"]) == (5, 3, 1)
    assert totals["days_to_settle"] == pytest.approx((2 + 4 + 10) / 3, abs=0.1)
    # Scope: community a's staff count only their own.
    mine = figures.per_community(med.user("community_a"), None, start, end)
    assert [r["name"] for r in mine] == ["甲社区"]
    assert a4.status == "received"


def test_the_dashboard_shows_the_figures(client, med):
    _settle(med, med.dispute(), 1)
    client.force_login(med.user("community_a"))
    response = client.get(reverse("dashboard:home"), {"area": med.t.a.community.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mediation this month" in html and 'id="mediation-table"' in html
    data = client.get(reverse("dashboard:data"), {"area": med.t.a.community.pk}).json()
    assert data["mediation"]["totals"]["settled"] == 1
    assert data["mediation"]["totals"]["settled_share"] == 1.0


def test_list_search_sort_and_empty_states(client, med):
    client.force_login(med.user("community_a"))
    response = client.get(reverse("mediation:list"))
    assert "No disputes yet" in response.content.decode()
    first = med.dispute(summary="楼上漏水纠纷")
    second = med.dispute(summary="宠物扰民纠纷")
    html = client.get(reverse("mediation:list"), {"q": "宠物"}).content.decode()
    assert second.number in html and first.number not in html
    html = client.get(reverse("mediation:list"), {"q": "没有这种"}).content.decode()
    assert "No dispute matches these filters" in html
    html = client.get(reverse("mediation:list"), {"sort": "created"}).content.decode()
    assert html.index(first.number) < html.index(second.number)
    html = client.get(reverse("mediation:list"), {"sort": "-created"}).content.decode()
    assert html.index(second.number) < html.index(first.number)
    # Bad filter values are ignored, not a 500.
    assert client.get(reverse("mediation:list"), {"status": "x", "page": "zz"}).status_code == 200


def test_the_ledger_export_masks_unless_mediator_and_logs(client, med):
    from openpyxl import load_workbook

    from grids.models import AccessLog

    d = med.dispute()
    actions.assign_mediator(
        d, actor=med.user("community_a"), user=med.user("mediator_a"), kind="community"
    )
    client.force_login(med.user("community_a"))
    book = load_workbook(io.BytesIO(client.get(reverse("mediation:export")).content))
    rows = list(book.active.values)
    assert rows[0][0] == "Number" and rows[1][0] == d.number
    assert "王*" in rows[1][6] and "王秀英" not in rows[1][6]
    assert not AccessLog.objects.exists()
    client.force_login(med.user("mediator_a"))
    rows = list(
        load_workbook(io.BytesIO(client.get(reverse("mediation:export")).content)).active.values
    )
    assert "王秀英" in rows[1][6]
    assert AccessLog.objects.filter(viewer=med.user("mediator_a")).count() == 2


@pytest.mark.parametrize(
    "parties, field",
    [
        ([PartyIn(side="applicant", name="王秀英")], "parties"),  # no respondent
        ([PartyIn(side="applicant", name=""), PartyIn(side="respondent", name="李")], "parties"),
        (
            [
                PartyIn(side="applicant", name="王", phone="12"),
                PartyIn(side="respondent", name="李"),
            ],
            "parties",
        ),
    ],
)
def test_bad_parties_are_refused_whole(med, parties, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        med.dispute(parties=parties)
    assert field in exc.value.message_dict
    assert not Dispute.objects.exists() and not Party.objects.exists()


def test_bad_form_input_is_a_message_not_a_500(client, med):
    client.force_login(med.user("community_a"))
    response = client.post(
        reverse("mediation:new"),
        {"place": "", "kind": "nonsense", "summary": "", "facts": "", "party-TOTAL_FORMS": "x"},
    )
    assert response.status_code == 400 and not Dispute.objects.exists()
    d = med.dispute()
    for step, data in [
        ("assign", {"username": "nobody", "kind": "community"}),
        ("session", {"space": "999", "starts_at": "bad"}),
        ("terms", {"terms": ""}),
        ("sign", {"party": "abc"}),
        ("refer", {"referred_to": "moon"}),
        ("follow_up", {"visited_on": "2020-13-01", "result": "kept"}),
        ("unassign", {"mediator": "zz"}),
        ("nonsense", {}),
    ]:
        response = client.post(reverse("mediation:step", args=[d.pk, step]), data, follow=True)
        assert response.status_code in (200, 404), step
        if step != "nonsense":
            assert response.context["messages"], step
    assert d.events.count() == 1


def test_a_session_outside_the_space_hours_is_refused_in_words(client, med):
    from tests.mediation.conftest import at

    d = med.dispute()
    actions.assign_mediator(
        d, actor=med.user("community_a"), user=med.user("mediator_a"), kind="community"
    )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        actions.book_session(
            d,
            actor=med.user("mediator_a"),
            space=med.w.space_a,
            starts_at=at(2, 22),
            ends_at=at(2, 23),
        )
    assert "between" in str(exc.value)
    with pytest.raises(ValidationError) as exc:  # the other community's centre
        actions.book_session(
            d,
            actor=med.user("mediator_a"),
            space=med.w.space_b,
            starts_at=at(2, 10),
            ends_at=at(2, 11),
        )
    assert "serving this community" in str(exc.value)
    assert not d.sessions.exists()


def test_query_counts_are_pinned(client, med, django_assert_max_num_queries):
    for _ in range(3):
        d = med.dispute()
        actions.assign_mediator(
            d, actor=med.user("community_a"), user=med.user("mediator_a"), kind="community"
        )
    client.force_login(med.user("community_a"))
    client.get(reverse("mediation:list"))  # warm the scope cache
    with django_assert_max_num_queries(4):
        assert client.get(reverse("mediation:list")).status_code == 200
    for _ in range(5):
        med.dispute()
    with django_assert_max_num_queries(4):  # the same with more rows
        assert client.get(reverse("mediation:list")).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("mediation:dispute", args=[d.pk])).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get("/api/mediation/disputes/").status_code == 200


def test_a_step_cannot_reach_another_disputes_session(client, med):
    from tests.mediation.conftest import at

    first, second = med.dispute(), med.dispute()
    mediator = med.user("mediator_a")
    for d in (first, second):
        actions.assign_mediator(d, actor=med.user("community_a"), user=mediator, kind="community")
    session = actions.book_session(
        second, actor=mediator, space=med.w.space_a, starts_at=at(3, 10), ends_at=at(3, 11)
    )
    client.force_login(mediator)
    response = client.post(
        reverse("mediation:step", args=[first.pk, "cancel_session"]),
        {"session": session.pk},
        follow=True,
    )
    assert "this dispute's own" in str(list(response.context["messages"])[0])
    session.refresh_from_db()
    assert not session.cancelled
    response = client.post(
        reverse("mediation:step", args=[second.pk, "cancel_session"]), {"session": session.pk}
    )
    session.refresh_from_db()
    assert session.cancelled and session.booking.status == "cancelled"
