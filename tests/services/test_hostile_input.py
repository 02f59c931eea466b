"""The review's hostile submissions (issue 17, item 2): a NUL or an unpaired surrogate in a
transition note, a callback comment or a co-building order note answered 500; the API stored
100,000-character texts the forms cap; phone fields took letters and foreign digits. Each is
now a 400 naming the field (or a form error), and nothing is stored."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from centres.models import ListItem, Order
from grids.models import CoBuildingUnit, GridTeamMember
from services import actions
from services.models import Case, CaseEvent

CASES = "/api/services/cases/"


@pytest.fixture
def api():
    return APIClient(headers={"accept-language": "en"})


def _post_raw(api, url: str, raw: str):
    """A JSON body as bytes, so escapes like \\ud800 reach the parser as sent."""
    return api.post(url, data=raw.encode(), content_type="application/json")


@pytest.mark.parametrize(
    "raw_note",
    ['"sign \\u0000 for"', '"broken \\ud800 text"', '"bell \\u0007"'],
    ids=["nul", "surrogate", "control"],
)
def test_a_transition_note_with_hostile_characters_is_a_400(api, desk, raw_note):
    case = desk.dispatched()
    api.force_authenticate(desk.user("grid_a"))
    raw = f'{{"action": "sign_for", "expected_version": {case.version}, "note": {raw_note}}}'
    r = _post_raw(api, f"{CASES}{case.pk}/transitions/", raw)
    assert r.status_code == 400 and "note" in r.json()
    case.refresh_from_db()
    assert case.state == "dispatched"


def test_a_note_longer_than_the_form_takes_is_refused(api, desk):
    case = desk.dispatched()
    api.force_authenticate(desk.user("grid_a"))
    url = f"{CASES}{case.pk}/transitions/"
    body = {"action": "sign_for", "expected_version": case.version, "note": "长" * 100_000}
    r = api.post(url, body, format="json")
    assert r.status_code == 400 and "note" in r.json()
    assert not CaseEvent.objects.filter(case=case, action="sign_for").exists()
    body["note"] = "长" * 2000  # the phone page's limit is the API's
    assert api.post(url, body, format="json").status_code == 200


def _resolved(desk) -> Case:
    case = desk.dispatched()
    grid = desk.user("grid_a")
    case = actions.sign_for(case, actor=grid)
    return actions.resolve(case, actor=grid, result="已处理")


@pytest.mark.parametrize(
    "comment",
    ['"thanks\\u0000"', '"\\udfff"', json.dumps("好" * 1001)],
    ids=["nul", "surrogate", "too-long"],
)
def test_a_callback_comment_through_the_api_is_checked(api, desk, comment):
    case = _resolved(desk)
    api.force_authenticate(desk.user("resident_a"))
    raw = (
        f'{{"action": "callback", "expected_version": {case.version}, "solved": true, '
        f'"rating": 5, "comment": {comment}}}'
    )
    r = _post_raw(api, f"{CASES}{case.pk}/transitions/", raw)
    assert r.status_code == 400 and "comment" in r.json()
    case.refresh_from_db()
    assert case.state == "resolved"


def test_a_resolve_result_longer_than_the_form_takes_is_refused(api, desk):
    case = actions.sign_for(desk.dispatched(), actor=desk.user("grid_a"))
    api.force_authenticate(desk.user("grid_a"))
    body = {"action": "resolve", "expected_version": case.version, "result": "x" * 100_000}
    r = api.post(f"{CASES}{case.pk}/transitions/", body, format="json")
    assert r.status_code == 400 and "result" in r.json()


def test_intake_texts_and_phone_through_the_api(api, desk):
    api.force_authenticate(desk.user("grid_a"))
    base = {
        "case_type": "help",
        "category": desk.potholes.pk,
        "place": desk.t.a.buildings[0].pk,
        "channel": "grid_worker",
    }
    for field, value in (
        ("description", "a\x00b"),
        ("description", "长" * 4001),
        ("address", "楼\x1b下"),
        ("reporter_name", "张\x00三"),
        ("reporter_phone", "1391234567a"),
        ("reporter_phone", "phone"),
        ("result", "x" * 2001),
    ):
        r = api.post(CASES, {**base, "description": "路灯坏了", field: value}, format="json")
        assert r.status_code == 400 and field in r.json(), (field, value)
    assert not Case.objects.exists()
    # Full-width and Arabic-Indic digits, spaces and dashes: normalised, not refused.
    for typed in ("１３９ １２３４ ５６７８", "١٣٩-١٢٣٤-٥٦٧٨", "0595-2234567"):
        r = api.post(
            CASES, {**base, "description": "路灯坏了", "reporter_phone": typed}, format="json"
        )
        assert r.status_code == 201, r.content
    assert sorted(Case.objects.values_list("reporter_phone", flat=True)) == [
        "05952234567",
        "13912345678",
        "13912345678",
    ]


def test_the_phone_form_normalises_and_refuses_like_the_api(desk):
    client = Client(headers={"accept-language": "en"})
    data = {
        "case_type": "help",
        "category": desk.potholes.pk,
        "description": "路灯坏了",
        "place": desk.t.a.buildings[0].pk,
    }
    r = client.post("/cases/new/", {**data, "reporter_phone": "13912345abc"})
    assert r.status_code == 400 and not Case.objects.exists()
    r = client.post("/cases/new/", {**data, "reporter_phone": "１３９１２３４５６７８"})
    assert r.status_code == 302
    assert Case.objects.get().reporter_phone == "13912345678"
    r = client.post(
        "/cases/new/", {**data, "description": "灯\x00坏", "reporter_phone": "13912345670"}
    )
    assert r.status_code == 400 and Case.objects.count() == 1


def test_team_member_phones_through_the_grids_api(api, desk):
    api.force_authenticate(desk.user("community_a"))
    grid = desk.t.a.grids[0]
    body = {
        "grid": grid.pk,
        "role": "auxiliary",
        "auxiliary_kind": "police",
        "name": "王警官",
        "phone": "139x1234567",
    }
    r = api.post("/api/grids/teams/", body, format="json")
    assert r.status_code == 400 and "phone" in r.json()
    r = api.post("/api/grids/teams/", {**body, "phone": "１３９ 1234-5678"}, format="json")
    assert r.status_code == 201, r.content
    assert GridTeamMember.objects.get(name="王警官").phone == "13912345678"


def _item(desk) -> ListItem:
    from centres.models import Centre

    centre = Centre.objects.create(name="甲中心", community=desk.t.a.community, kind="concentrated")
    unit = CoBuildingUnit.objects.get(name="共建单位a")
    return ListItem.objects.create(
        kind="service", centre=centre, unit=unit, title="修电路", quota=1
    )


def test_a_co_building_order_note_is_checked_on_the_page_and_in_the_api(api, desk):
    item = _item(desk)
    client = Client(headers={"accept-language": "en"})
    client.force_login(desk.user("resident_a"))
    r = client.post(f"/centres/co-building/{item.pk}/order/", {"note": "插座\x00坏了"})
    assert r.status_code == 302 and not Order.objects.exists()  # a message says why
    api.force_authenticate(desk.user("resident_a"))
    raw = f'{{"item": {item.pk}, "note": "插座\\ud800坏了"}}'
    r = _post_raw(api, "/api/centres/orders/", raw)
    assert r.status_code == 400 and "note" in r.json()
    r = api.post("/api/centres/orders/", {"item": item.pk, "note": "长" * 1001}, format="json")
    assert r.status_code == 400 and "note" in r.json()
    r = client.post(f"/centres/co-building/{item.pk}/order/", {"note": "长" * 1001})
    assert not Order.objects.exists()
    r = api.post("/api/centres/orders/", {"item": item.pk, "note": "插座坏了"}, format="json")
    assert r.status_code == 201


@pytest.mark.parametrize("query", ["q=%00", "search=%00x", "page=%00"])
def test_query_strings_take_the_rule(desk, query):
    client = Client()
    client.force_login(desk.user("superuser"))
    for path in ("/admin/services/case/", "/centres/", "/api/services/cases/"):
        r = client.get(f"{path}?{query}")
        assert r.status_code == 400, path
