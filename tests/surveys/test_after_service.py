"""After-service surveys on the surveys engine: an activity's follow-up (answered by those
who came, once) and the community's rating of a co-building order (once per order, in the
transaction that closes it), with the figures and the unit's desk reading them back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from centres import actions as centre_actions
from centres import figures
from centres.models import Centre, ListItem, Order
from grids.models import CoBuildingUnit
from surveys import actions
from surveys.models import Kind, Participation, Questionnaire, Response
from tests.centres.conftest import build_world


@pytest.mark.django_db
def test_activity_follow_up_for_those_who_came(sw, client):
    world = build_world(sw.t)
    now = timezone.now()
    activity = world.activity(title="太极课", capacity=10, survey_question="下次想学什么？")
    came, absent = sw.resident("came"), sw.resident("absent")
    s1 = centre_actions.sign_up(activity, actor=came)
    centre_actions.sign_up(activity, actor=absent)
    type(activity).objects.filter(pk=activity.pk).update(
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    centre_actions.check_in(s1.code, actor=sw.t.user("community_a"))
    assert centre_actions.send_survey(activity, actor=sw.t.user("community_a")) == 1
    round = activity.questionnaire.rounds.get()
    score, text = activity.questionnaire.questions.order_by("position")
    client.force_login(came)
    assert "太极课" in client.get("/surveys/").text
    r = client.post(f"/surveys/{round.pk}/", {f"q{score.pk}": "5", f"q{text.pk}": "八段锦"})
    assert r.status_code == 302
    answer = Response.objects.get(round=round).answers.order_by("question__position")
    assert [(a.number, a.text) for a in answer] == [(5, ""), (None, "八段锦")]
    with pytest.raises(ValidationError) as refused:
        actions.submit_phone(round, absent, {f"q{score.pk}": 3})
    assert refused.value.messages == ["这份问卷只请参加了活动的居民填写。"]
    client.force_login(absent)
    page = client.get(f"/surveys/{round.pk}/")
    assert "这份问卷只请参加了活动的居民填写。" in page.text and "提交答卷" not in page.text


@pytest.mark.django_db
def test_order_rating_goes_through_the_engine_once(sw):
    centre = Centre.objects.create(name="甲中心", community=sw.t.a.community)
    unit = CoBuildingUnit.objects.get(name="共建单位a")
    item = ListItem.objects.create(
        kind="service", centre=centre, unit=unit, title="修电路", quota=3
    )
    staff = sw.t.user("community_a")
    orders = []
    for score in (4, 5):
        order = centre_actions.request_order(item, actor=sw.t.user("resident_a"), note="插座")
        centre_actions.place_order(order, actor=staff)
        centre_actions.accept_order(order, actor=sw.t.user("unit_a"))
        centre_actions.complete_order(order, actor=staff, promise_kept=True, satisfaction=score)
        orders.append(order)
    questionnaire = Questionnaire.objects.get(kind=Kind.ORDER, area=sw.t.a.community)
    assert questionnaire.rounds.count() == 1
    assert sorted(Participation.objects.values_list("key", flat=True)) == sorted(
        f"o:{o.pk}" for o in orders
    )
    assert actions.order_scores([o.pk for o in orders]) == {orders[0].pk: 4, orders[1].pk: 5}
    with pytest.raises(ValidationError) as twice:
        actions.rate_order(orders[0], actor=staff, score=1)
    assert twice.value.messages == ["这张订单已经评价过了。"]
    # An out-of-range score is refused and the order stays open (one transaction).
    third = centre_actions.request_order(item, actor=sw.t.user("resident_a"), note="灯")
    centre_actions.place_order(third, actor=staff)
    centre_actions.accept_order(third, actor=sw.t.user("unit_a"))
    with pytest.raises(ValidationError):
        centre_actions.complete_order(third, actor=staff, promise_kept=True, satisfaction=9)
    third.refresh_from_db()
    assert third.status == "accepted" and not Response.objects.filter(order=third).exists()
    now = timezone.now()
    rows = figures.unit_evaluation(staff, now - timedelta(days=1), now + timedelta(days=1))
    assert [(r["completed"], r["kept"], float(r["satisfaction"])) for r in rows] == [(2, 2, 4.5)]
    # The rating questionnaire is not answerable on the phone.
    round = questionnaire.rounds.get()
    with pytest.raises(ValidationError):
        actions.submit_phone(round, sw.resident("x"), {})
    assert Order.objects.filter(status="completed").count() == 2


@pytest.mark.django_db
def test_dashboard_figures_count_open_surveys_and_the_months_answers(sw, client):
    from surveys import figures as survey_figures

    q = sw.questionnaire()
    round = sw.round(q)
    sw.round(sw.questionnaire(), days_ago=30, days=7)  # closed: not open now
    q1, q2, q3, *_ = q.questions.order_by("position")
    for i in range(3):
        actions.submit_phone(
            round, sw.resident(f"d{i}"), {f"q{q1.pk}": 3, f"q{q2.pk}": 3, f"q{q3.pk}": 0}
        )
    paper = {f"q{q1.pk}": 2, f"q{q2.pk}": 2, f"q{q3.pk}": 1}
    actions.submit_paper(round, sw.t.user("community_a"), paper, area=sw.level1)
    now = timezone.now()
    figures_a = survey_figures.for_area(
        sw.t.user("street"), sw.t.street, now - timedelta(days=1), now + timedelta(days=1)
    )
    assert (figures_a["open"], figures_a["responses"]) == (1, 4)
    assert [c["n"] for c in figures_a["channels"]] == [3, 1]
    figures_b = survey_figures.for_area(
        sw.t.user("community_b"), sw.t.b.community, now - timedelta(days=1), now + timedelta(days=1)
    )
    assert (figures_b["open"], figures_b["responses"]) == (0, 0)
    client.force_login(sw.t.user("street"))
    page = client.get(f"/dashboard/?area={sw.t.street.pk}")
    assert "进行中的问卷：1 份；本月答卷：4 份" in page.text
