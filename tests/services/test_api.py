"""The case API: create through submit_case, transitions with versions, clear 400s, scope."""

from __future__ import annotations

import pytest
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from services.models import Case, RoutingRule
from tests.services.test_actions import jpeg

CASES = "/api/services/cases/"


@pytest.fixture
def api():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def as_(api, desk, key):
    api.force_authenticate(desk.user(key))
    return api


def body(desk, **extra):
    return {
        "case_type": "help",
        "category": desk.potholes.pk,
        "description": "楼道灯坏了",
        "place": desk.t.a.buildings[0].pk,
        **extra,
    }


def test_create_with_photos_then_walk_the_transitions(api, desk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    as_(api, desk, "resident_a")
    r = api.post(CASES, {**body(desk), "photos": [jpeg(), jpeg("b.jpg")]}, format="multipart")
    assert r.status_code == 201, r.content
    assert r.data["state"] == "submitted"
    case = Case.objects.get(pk=r.data["id"])
    assert case.photos.count() == 2 and len(api.get(f"{CASES}{case.pk}/").data["photos"]) == 2
    from services import actions

    actions.dispatch(case, actor=None)
    as_(api, desk, "grid_a")
    url = f"{CASES}{case.pk}/transitions/"
    version = api.get(f"{CASES}{case.pk}/").data["version"]
    r = api.post(url, {"action": "sign_for", "expected_version": version}, format="json")
    assert r.status_code == 200 and r.data["state"] == "signed"
    r = api.post(
        url,
        {"action": "resolve", "result": "已换灯泡", "expected_version": r.data["version"]},
        format="json",
    )
    assert r.status_code == 200 and r.data["state"] == "resolved"
    assert [e["action"] for e in r.data["events"]][-1] == "resolve"
    # The resident answers the callback on their own case.
    as_(api, desk, "resident_a")
    r = api.post(
        url,
        {
            "action": "callback",
            "method": "resident",
            "solved": True,
            "rating": 5,
            "expected_version": r.data["version"],
        },
        format="json",
    )
    assert r.status_code == 200 and r.data["state"] == "called_back"


def test_create_answers_with_a_receipt_and_the_cases_address(api, desk):
    as_(api, desk, "resident_a")
    r = api.post(CASES, body(desk), format="json")
    assert r.status_code == 201, r.content
    case = Case.objects.get(pk=r.data["id"])
    assert r.headers["Location"] == f"{CASES}{case.pk}/"
    assert r.json() == {
        "id": case.pk,
        "number": case.number,
        "state": "submitted",
        "state_label": "submitted",
        "case_type": "help",
        "channel": "resident_web",
        "category": desk.potholes.pk,
        "place": desk.t.a.buildings[0].pk,
        "urgency": case.urgency,
        "version": case.version,
        "created_at": r.json()["created_at"],
    }
    assert parse_datetime(r.json()["created_at"]) == case.created_at


def test_clear_400s(api, desk):
    as_(api, desk, "grid_a")
    r = api.post(CASES, {"case_type": "help"}, format="json")
    assert r.status_code == 400 and {"category", "description", "place"} <= set(r.data)
    r = api.post(
        CASES, body(desk, place=desk.t.b.buildings[0].pk, channel="grid_worker"), format="json"
    )
    assert r.status_code == 400 and "outside your area" in r.data["place"][0]
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = SimpleUploadedFile("notes.jpg", b"hello, not a picture", content_type="image/jpeg")
    r = api.post(CASES, {**body(desk, channel="grid_worker"), "photos": [text]}, format="multipart")
    assert r.status_code == 400 and "not an image" in r.data["photos"][0]
    assert not Case.objects.exists()


def test_oversized_photo_is_a_400(api, desk, monkeypatch):
    from portal import photos

    monkeypatch.setattr(photos, "MAX_BYTES", 1000)
    as_(api, desk, "resident_a")
    r = api.post(CASES, {**body(desk), "photos": [jpeg()]}, format="multipart")
    assert r.status_code == 400 and "larger than" in r.data["photos"][0]


def test_stale_and_forbidden_transitions_are_400s(api, desk):
    case = desk.dispatched()
    as_(api, desk, "grid_a")
    url = f"{CASES}{case.pk}/transitions/"
    r = api.post(url, {"action": "sign_for", "expected_version": case.version - 1}, format="json")
    assert r.status_code == 400 and "Someone else changed" in r.data["expected_version"][0]
    r = api.post(url, {"action": "archive", "expected_version": case.version}, format="json")
    assert r.status_code == 400 and "cannot" in r.data["action"][0]
    r = api.post(url, {"action": "sign_for"}, format="json")
    assert r.status_code == 400 and "expected_version" in r.data
    r = api.post(url, {"action": "fly", "expected_version": case.version}, format="json")
    assert r.status_code == 400 and "action" in r.data


def test_out_of_scope_is_404_and_absent_from_lists(api, desk):
    mine = desk.dispatched()
    other = desk.dispatched(actor=desk.user("resident_b"), place=desk.t.b.buildings[0])
    as_(api, desk, "grid_a")
    numbers = {c["number"] for c in api.get(CASES).data["results"]}
    assert mine.number in numbers and other.number not in numbers
    assert api.get(f"{CASES}{other.pk}/").status_code == 404
    r = api.post(
        f"{CASES}{other.pk}/transitions/",
        {"action": "sign_for", "expected_version": 1},
        format="json",
    )
    assert r.status_code == 404
    as_(api, desk, "resident_b")
    assert {c["number"] for c in api.get(CASES).data["results"]} == {other.number}


def test_reporter_phone_is_masked_for_other_viewers(api, desk):
    case = desk.file(actor=desk.user("resident_a"), reporter_phone="13912345678")
    as_(api, desk, "grid_a")
    assert api.get(f"{CASES}{case.pk}/").data["reporter_phone"] == "13912345678"
    as_(api, desk, "dept")
    from services import actions

    actions.dispatch(case, actor=None)
    actions.transfer(case, actor=desk.user("street"), department=desk.t.department)
    assert api.get(f"{CASES}{case.pk}/").data["reporter_phone"] == "139****5678"


def test_categories_are_edited_city_wide_and_rules_by_district_staff_in_their_area(api, desk):
    green = {"name": "绿化", "code": "green"}
    as_(api, desk, "grid_a")
    assert api.get("/api/services/categories/").status_code == 200
    assert api.post("/api/services/categories/", green).status_code == 403
    as_(api, desk, "district")
    assert api.post("/api/services/categories/", green).status_code == 403  # the city's
    r = api.post("/api/services/routing-rules/", {"category": desk.noise.pk, "level": "department"})
    assert r.status_code == 400 and "department" in r.data
    rule = {"category": desk.noise.pk, "level": "department", "department": desk.t.department.pk}
    r = api.post("/api/services/routing-rules/", rule)  # for everywhere: the city's to set
    assert r.status_code == 400 and "area" in r.data
    r = api.post("/api/services/routing-rules/", {**rule, "area": desk.t.district.pk})
    assert r.status_code == 201 and RoutingRule.objects.filter(category=desk.noise).exists()
    as_(api, desk, "superuser")
    assert api.post("/api/services/categories/", green).status_code == 201


def test_kpis_endpoint(api, desk):
    case = desk.dispatched()
    from services import actions

    actions.sign_for(case, actor=desk.user("grid_a"))
    actions.record_contact(case, actor=desk.user("grid_a"))
    as_(api, desk, "street")
    r = api.get("/api/services/kpis/", {"area": desk.t.street.pk, "breakdown": "1"})
    assert r.status_code == 200 and r.data["kpis"]["dispatched"] == 1
    assert r.data["kpis"]["response_rate"] == 1.0
    assert [b["name"] for b in r.data["breakdown"]] == [desk.t.a.community.name]
    as_(api, desk, "community_b")
    assert api.get("/api/services/kpis/", {"area": desk.t.a.community.pk}).status_code == 404
    assert (
        api.get("/api/services/kpis/", {"start": "2026-02-01", "end": "2026-01-01"}).status_code
        == 400
    )


def test_openapi_schema_lists_the_case_endpoints(api, desk):
    as_(api, desk, "superuser")
    r = api.get("/api/schema/", {"format": "json"})
    assert r.status_code == 200
    paths = r.json()["paths"] if hasattr(r, "json") else {}
    assert "/api/services/cases/{id}/transitions/" in paths and "/api/services/kpis/" in paths


def test_errors_speak_chinese_by_default(desk):
    case = desk.dispatched()
    api = APIClient()  # no Accept-Language: the portal's default, zh-hans
    api.force_authenticate(desk.user("grid_a"))
    r = api.post(
        f"{CASES}{case.pk}/transitions/",
        {"action": "sign_for", "expected_version": case.version - 1},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert r.status_code == 400 and "抢先" in r.data["expected_version"][0]
    r = api.post(
        CASES,
        {
            "case_type": "help",
            "category": desk.potholes.pk,
            "description": "x",
            "place": desk.t.b.buildings[0].pk,
            "channel": "grid_worker",
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert r.data["place"] == ["该地点不在您的管辖范围内。"]


def test_search_by_case_number_within_the_scope(api, desk):
    mine = desk.dispatched()
    other = desk.dispatched(actor=desk.user("resident_b"), place=desk.t.b.buildings[0])
    as_(api, desk, "community_a")
    found = api.get("/api/services/cases/", {"search": f" {mine.number} "}).json()["results"]
    assert [c["number"] for c in found] == [mine.number]
    # A number outside the user's area finds nothing; words still search the description.
    assert api.get("/api/services/cases/", {"search": other.number}).json()["results"] == []
    words = api.get("/api/services/cases/", {"search": "老人"}).json()["results"]
    assert mine.number in {c["number"] for c in words}
