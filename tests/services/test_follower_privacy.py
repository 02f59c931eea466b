"""Privacy of the similar-cases hint and of following (issue 17, item 3): the review read
another resident's words ("独居老人想申请助餐服务。") from the anonymous hint, followed the
case and read the reporter's name through the API."""

from __future__ import annotations

from urllib.parse import quote

from django.test import Client
from rest_framework.test import APIClient

from services.views.common import number_from_ref

SECRET_TEXT = "独居老人想申请助餐服务。"
REPORTER = "孙桂兰"


def _case(desk):
    case = desk.dispatched(
        description=SECRET_TEXT,
        reporter_name=REPORTER,
        reporter_phone="13900000001",
        address="3号楼502室",
        lat=24.9,
        lng=118.6,
    )
    return case


def test_the_hint_shows_only_category_place_and_date(desk):
    case = _case(desk)
    r = Client().get(
        "/cases/similar/", {"category": desk.potholes.pk, "place": desk.t.a.buildings[0].pk}
    )
    rows = r.json()["results"]
    assert len(rows) == 1
    assert set(rows[0]) == {"ref", "category", "place", "created"}
    assert rows[0]["category"] == desk.potholes.name
    assert rows[0]["place"] == case.place.name
    assert rows[0]["created"] == case.created_at.date().isoformat()
    body = r.content.decode()
    for private in (SECRET_TEXT, REPORTER, "13900000001", "502", case.number):
        assert private not in body


def _follow(desk, case, user) -> Client:
    client = Client()
    client.force_login(user)
    where = {"category": desk.potholes.pk, "place": desk.t.a.buildings[0].pk}
    ref = client.get("/cases/similar/", where).json()["results"][0]["ref"]
    assert number_from_ref(ref) == case.number
    assert client.post(f"/cases/c/{quote(ref)}/follow/", where).status_code == 302
    return client


def test_following_reveals_nothing_about_the_reporter(desk):
    case = _case(desk)
    follower = desk.user("resident_b")
    client = _follow(desk, case, follower)
    page = client.get(f"/cases/c/{case.number}/").content.decode()
    mine = client.get("/cases/mine/").content.decode()
    api = APIClient()
    api.force_authenticate(follower)
    detail = api.get(f"/api/services/cases/{case.pk}/")
    listing = api.get("/api/services/cases/")
    assert detail.status_code == 200 and case.number in listing.content.decode()
    for shown in (page, mine, detail.content.decode(), listing.content.decode()):
        for private in (SECRET_TEXT, REPORTER, "13900000001", "139****0001", "502", "24.9"):
            assert private not in shown
    data = detail.json()
    assert data["state"] == "dispatched" and data["category"] == desk.potholes.pk
    assert all(e["actor"] == "" and e["note"] == "" for e in data["events"])
    assert case.place.name in page  # the progress is there: where, what state


def test_the_reporter_and_the_staff_still_see_the_whole_case(desk):
    case = _case(desk)
    _follow(desk, case, desk.user("resident_b"))
    for key in ("resident_a", "grid_a", "community_a"):
        api = APIClient()
        api.force_authenticate(desk.user(key))
        data = api.get(f"/api/services/cases/{case.pk}/").json()
        assert data["description"] == SECRET_TEXT and data["reporter_name"] == REPORTER, key
    client = Client()
    client.force_login(desk.user("resident_a"))
    assert SECRET_TEXT in client.get(f"/cases/c/{case.number}/").content.decode()


def test_a_follower_is_told_the_state_not_the_result_or_the_reason(desk):
    """The result and the refusal reason are written about the reporter's case (they may name
    the reporter, a room, a condition): the reporter's notice carries them, a follower's only
    says what happened."""
    from notifications.models import Notification
    from services import actions

    case = _case(desk)
    follower = desk.user("resident_b")
    _follow(desk, case, follower)
    worker = desk.user("grid_a")
    actions.sign_for(case, actor=worker)
    actions.resolve(case, actor=worker, result="已为孙桂兰阿姨（3号楼502室）联系助餐。")
    told = {n.recipient_id: n for n in Notification.objects.filter(case=case, kind="resolved")}
    assert "孙桂兰" in told[case.reporter_id].body
    assert told[follower.pk].body == ""
    assert told[follower.pk].title == told[case.reporter_id].title

    other = desk.file(description=SECRET_TEXT, reporter_phone="13900000001")
    actions.follow(other, actor=follower)
    actions.not_accepted(other, actor=desk.user("community_a"), reason="孙桂兰已搬离本社区。")
    told = {n.recipient_id: n for n in Notification.objects.filter(case=other)}
    assert "孙桂兰" in told[other.reporter_id].body and told[follower.pk].body == ""
