"""Bad input never counts and never fails with a 500: an empty or oversized answer, a
second answer, answering before the opening, after the close or outside the target group,
a paper form keyed twice, the kiosk's rate limit — each a clear Chinese message."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from grids.models import PartyMember
from surveys import actions
from surveys.models import Participation, Response


def _first(q):
    return q.questions.order_by("position")[0]


def _full(q) -> dict:
    q1, q2, q3, *_ = q.questions.order_by("position")
    return {f"q{q1.pk}": 4, f"q{q2.pk}": 3, f"q{q3.pk}": 0}


@pytest.mark.django_db
def test_bad_answers_are_refused_whole_with_a_message_per_question(sw):
    q = sw.questionnaire()
    round = sw.round(q)
    user = sw.resident("r1")
    q1, q2, q3, q4, q5 = q.questions.order_by("position")
    with pytest.raises(ValidationError) as empty:
        actions.submit_phone(round, user, {})
    assert empty.value.message_dict[f"q{q1.pk}"] == ["请回答这一题。"]
    with pytest.raises(ValidationError) as wrong:
        actions.submit_phone(
            round,
            user,
            {
                f"q{q1.pk}": 9,
                f"q{q2.pk}": "abc",
                f"q{q3.pk}": ["0", "1"],
                f"q{q4.pk}": ["7"],
                f"q{q5.pk}": "长" * 1001,
            },
        )
    errors = wrong.value.message_dict
    assert errors[f"q{q1.pk}"] == ["请选择 1 至 5 之间的分数。"]
    assert errors[f"q{q2.pk}"] == ["请选择一个分数。"]
    assert errors[f"q{q3.pk}"] == ["这一题只能选一项。"]
    assert errors[f"q{q4.pk}"] == ["请从选项中选择。"]
    assert errors[f"q{q5.pk}"] == ["最多 1,000 个字符。"]
    with pytest.raises(ValidationError) as nul:
        actions.submit_phone(round, user, {**_full(q), f"q{q5.pk}": "a\x00b"})
    assert f"q{q5.pk}" in nul.value.message_dict
    assert not Response.objects.exists() and not Participation.objects.exists()


@pytest.mark.django_db
def test_all_optional_and_nothing_answered_is_empty(sw):
    q = sw.questionnaire(questions=[{"kind": "text", "text": "建议？", "required": False}])
    round = sw.round(q)
    with pytest.raises(ValidationError) as exc:
        actions.submit_phone(round, sw.resident("r"), {"q0": "x"})
    assert exc.value.messages == ["答卷是空的：请至少回答一题。"]


@pytest.mark.django_db
def test_second_answer_person_and_household(sw):
    q = sw.questionnaire()
    round = sw.round(q)
    user = sw.resident("r1")
    actions.submit_phone(round, user, _full(q))
    with pytest.raises(ValidationError) as again:
        actions.submit_phone(round, user, _full(q))
    assert again.value.messages == ["您已回答过这份问卷，每人只计一份。"]
    # One per household: a second member of the same household is refused too.
    per_household = sw.questionnaire(audience="households")
    hround = sw.round(per_household)
    member = user.resident.household
    spouse = sw.resident("r1-spouse", household=member)
    actions.submit_phone(hround, user, _full(per_household))
    with pytest.raises(ValidationError) as household:
        actions.submit_phone(hround, spouse, _full(per_household))
    assert household.value.messages == ["您家已经回答过这份问卷，每户只计一份。"]
    assert Response.objects.filter(round=hround).count() == 1
    assert Response.objects.get(round=hround).household == member


@pytest.mark.django_db
def test_before_opening_after_close_and_outside_the_target(sw):
    q = sw.questionnaire()
    now = timezone.now()
    staff = sw.t.user("community_a")
    later = actions.open_round(
        q, staff, opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=3)
    )
    user = sw.resident("r1")
    with pytest.raises(ValidationError) as early:
        actions.submit_phone(later, user, _full(q))
    assert early.value.messages[0].startswith("这份问卷将于")
    with pytest.raises(ValidationError) as late:
        actions.submit_phone(later, user, _full(q), now=now + timedelta(days=4))
    assert late.value.messages == ["这份问卷已截止，不再接受作答。"]
    # Overlapping rounds are refused by the database's exclusion constraint.
    with pytest.raises(ValidationError) as overlap:
        actions.open_round(
            q, staff, opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=5)
        )
    assert overlap.value.messages == ["同一问卷的各轮时间不能重叠。"]
    round = sw.round(q, days_ago=5, days=2)
    outsider = sw.resident("b-resident", side="b")
    with pytest.raises(ValidationError) as outside:
        actions.submit_phone(round, outsider, _full(q), now=round.opens_at + timedelta(hours=1))
    assert outside.value.messages == ["这份问卷只请甲一级网格的居民填写。"]
    nobody = sw.t.user("unit_a")
    with pytest.raises(ValidationError) as unregistered:
        actions.submit_phone(round, nobody, _full(q), now=round.opens_at + timedelta(hours=1))
    assert unregistered.value.messages == ["请先在社区登记您的住户信息。"]
    assert not Response.objects.exists()


@pytest.mark.django_db
def test_elderly_and_party_member_groups(sw):
    elderly_q = sw.questionnaire(audience="elderly")
    er = sw.round(elderly_q)
    young, old = sw.resident("young"), sw.resident("old", born=date(1950, 3, 1))
    with pytest.raises(ValidationError) as exc:
        actions.submit_phone(er, young, _full(elderly_q))
    assert exc.value.messages == ["这份问卷只请 60 岁及以上的居民填写。"]
    actions.submit_phone(er, old, _full(elderly_q))
    party_q = sw.questionnaire(audience="party_members")
    pr = sw.round(party_q)
    with pytest.raises(ValidationError) as not_member:
        actions.submit_phone(pr, young, _full(party_q))
    assert not_member.value.messages == ["这份问卷只请党员填写。"]
    PartyMember.objects.create(
        name="党员",
        area=sw.level1,
        resident=young.resident,
        kind="in_service",
        reported_on=date(2024, 1, 1),
    )
    actions.submit_phone(pr, young, _full(party_q))


@pytest.mark.django_db
def test_paper_form_keyed_once_and_by_staff_in_scope(sw):
    q = sw.questionnaire()
    round = sw.round(q)
    staff = sw.t.user("community_a")
    actions.submit_paper(round, staff, _full(q), area=sw.level1, paper_number="A-7")
    with pytest.raises(ValidationError) as twice:
        actions.submit_paper(round, staff, _full(q), area=sw.level1, paper_number="A-7")
    assert twice.value.messages == ["这份纸质问卷已经录入过了。"]
    with pytest.raises(ValidationError):
        actions.submit_paper(round, sw.t.user("community_b"), _full(q), area=sw.level1)
    with pytest.raises(ValidationError):
        actions.submit_paper(round, staff, _full(q), area=sw.t.b.community)
    assert Response.objects.count() == 1


@pytest.mark.django_db
def test_kiosk_answers_once_per_submission_and_is_rate_limited(sw, client, settings):
    from django.core.cache import cache

    from centres.models import Centre

    cache.clear()
    centre = Centre.objects.create(name="甲中心", community=sw.t.a.community)
    kiosk = actions.create_kiosk(centre, sw.t.user("community_a"), name="大厅平板")
    q = sw.questionnaire(area=sw.t.a.community, kiosk=True)
    round = sw.round(q)
    not_offered = sw.round(sw.questionnaire(area=sw.t.a.community))
    home = client.get(f"/surveys/kiosk/{kiosk.token}/")
    assert home.status_code == 200 and q.title in home.text
    assert client.get("/surveys/kiosk/wrong-token/").status_code == 404
    assert client.get(f"/surveys/kiosk/{kiosk.token}/{not_offered.pk}/").status_code == 404
    url = f"/surveys/kiosk/{kiosk.token}/{round.pk}/"
    assert client.post(url, {}).status_code == 400
    statuses = [
        client.post(url, {k: str(v) for k, v in _full(q).items()}).status_code for _ in range(7)
    ]
    assert statuses == [302] * 5 + [429] * 2  # the refused empty post counted as one of six
    assert Response.objects.filter(round=round, channel="kiosk", centre=centre).count() == 5
    cache.clear()


@pytest.mark.django_db
def test_api_answers_and_refusals_are_400_naming_the_question(sw):
    q = sw.questionnaire()
    round = sw.round(q)
    user = sw.resident("api-user")
    api = APIClient()
    api.force_authenticate(user)
    listed = api.get("/api/surveys/open/").json()
    assert [r["id"] for r in listed] == [round.pk] and len(listed[0]["questions"]) == 5
    q1 = _first(q)
    bad = api.post(
        f"/api/surveys/rounds/{round.pk}/answer/", {"answers": {f"q{q1.pk}": "x"}}, format="json"
    )
    assert bad.status_code == 400 and f"q{q1.pk}" in bad.json()
    for body in ({"answers": []}, {"answers": "x"}, {}, {"answers": {f"q{q1.pk}": {"a": 1}}}):
        assert (
            api.post(f"/api/surveys/rounds/{round.pk}/answer/", body, format="json").status_code
            == 400
        )
    ok = api.post(f"/api/surveys/rounds/{round.pk}/answer/", {"answers": _full(q)}, format="json")
    assert ok.status_code == 201
    again = api.post(
        f"/api/surveys/rounds/{round.pk}/answer/", {"answers": _full(q)}, format="json"
    )
    assert again.status_code == 400 and "每人只计一份" in str(again.json())
    assert Response.objects.count() == 1
