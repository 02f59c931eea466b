"""The API: scoped lists, the residents' writes as 400s naming the field, the tally."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from deliberation import actions
from deliberation.models import Participation

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    c = APIClient(headers={"accept-language": "en"})
    c.force_authenticate(user)
    return c


def test_raise_cosign_vote_and_tally_over_the_api(world):
    raiser, neighbour = world.add_residents(2)
    c = api(raiser)
    r = c.post(
        "/api/deliberation/matters/",
        {"area": world.building.pk, "kind": "public-affairs", "title": "车棚", "description": "d"},
        format="json",
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["status"] == "cosigning"
    r = api(neighbour).post(f"/api/deliberation/matters/{pk}/cosign/")
    assert r.status_code == 200 and r.json()["cosign_count"] == 2
    r = api(neighbour).post(f"/api/deliberation/matters/{pk}/cosign/")
    assert r.status_code == 400 and "already co-signed" in str(r.json())
    r = api(world.t.user("resident_b")).post(f"/api/deliberation/matters/{pk}/cosign/")
    assert r.status_code == 404
    r = c.post(
        "/api/deliberation/matters/",
        {
            "area": world.t.b.buildings[0].pk,
            "kind": "public-affairs",
            "title": "x",
            "description": "d",
        },
        format="json",
    )
    assert r.status_code == 400 and "area" in r.json()

    m = actions.raise_matter(
        actor=world.staff,
        area=world.building,
        kind=world.kind(),
        title="t",
        description="d",
        source="staff",
    )
    actions.accept_matter(m, actor=world.staff)
    actions.open_vote(m, actor=world.staff, closes_at=timezone.now() + timedelta(days=1), plan="p")
    assert c.post(f"/api/deliberation/matters/{m.pk}/vote/", {"choice": "yes"}).status_code == 200
    r = c.post(f"/api/deliberation/matters/{m.pk}/vote/", {"choice": "yes"})
    assert r.status_code == 400 and "choice" in r.json()
    r = api(neighbour).post(f"/api/deliberation/matters/{m.pk}/vote/", {"choice": "nope"})
    assert r.status_code == 400 and "choice" in r.json()
    assert Participation.objects.filter(matter=m).count() == 1
    # The running count is the staff's; residents see the tally once it is published.
    assert c.get(f"/api/deliberation/matters/{m.pk}/tally/").json()["recomputed"] == {}
    staff = api(world.staff)
    assert staff.get(f"/api/deliberation/matters/{m.pk}/tally/").json()["recomputed"]["yes"] == 1
    actions.close_vote(m, now=timezone.now() + timedelta(days=2))
    actions.publish_result(m, actor=world.staff)
    body = c.get(f"/api/deliberation/matters/{m.pk}/tally/").json()
    assert body["published"] == body["recomputed"]
    ids = {row["id"] for row in staff.get("/api/deliberation/matters/").json()["results"]}
    assert ids == {pk, m.pk}
    assert api(world.t.user("community_b")).get("/api/deliberation/matters/").json()["count"] == 0


def test_api_list_queries_do_not_grow_with_rows(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff = world.staff
    c = api(staff)

    def make(n):
        for i in range(n):
            actions.raise_matter(
                actor=staff,
                area=world.building,
                kind=world.kind(),
                title=f"议题{i}",
                description="d",
                source="staff",
            )

    make(2)
    c.get("/api/deliberation/matters/")  # warm the scope cache
    with CaptureQueriesContext(connection) as few:
        assert c.get("/api/deliberation/matters/").status_code == 200
    make(10)
    with CaptureQueriesContext(connection) as many:
        assert c.get("/api/deliberation/matters/").json()["count"] == 12
    assert len(many) == len(few) == 2  # the count and the page (the user is forced, no session)


def test_staff_run_a_matter_over_the_api(world):
    """Take up, call a meeting in the 议事厅 (booked through centres), minutes, publish the
    plan, open the vote, close and count, publish, progress and done: each a call to
    deliberation.actions; residents are refused with 403, staff of elsewhere with 404, bad
    input is a 400 naming the field in Chinese."""
    from centres.models import Booking
    from deliberation.models import Matter, Status

    voter = world.add_residents(1)[0]
    staff = api(world.staff)
    m = actions.raise_matter(
        actor=voter, area=world.building, kind=world.kind(), title="车棚", description="d"
    )
    Matter.objects.filter(pk=m.pk).update(status=Status.PROPOSED)
    url = f"/api/deliberation/matters/{m.pk}"
    assert api(voter).post(f"{url}/accept/").status_code == 403
    assert api(world.t.user("community_b")).post(f"{url}/accept/").status_code == 404
    r = staff.post(f"{url}/accept/")
    assert r.status_code == 200 and r.json()["status"] == "deliberating"
    assert staff.post(f"{url}/accept/").status_code == 400  # twice: refused, not a 500

    kind = m.kind.preset.meetings[0] if m.kind.preset.meetings else "consultation"
    starts = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=2)
    meeting = {
        "kind": kind,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "agenda": "议程",
        "space": world.hall.pk,
    }
    zh = APIClient(headers={"accept-language": "zh-hans"})
    zh.force_authenticate(world.staff)
    r = zh.post(f"{url}/meeting/", {**meeting, "ends_at": meeting["starts_at"]}, format="json")
    assert r.status_code == 400 and "ends_at" in r.json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(r.json()["ends_at"]))
    assert api(voter).post(f"{url}/meeting/", meeting, format="json").status_code == 403
    r = staff.post(f"{url}/meeting/", meeting, format="json")
    assert r.status_code == 201, r.content
    meeting_id = r.json()["id"]
    assert Booking.objects.filter(space=world.hall).count() == 1

    r = staff.post(
        f"{url}/minutes/",
        {"meeting": meeting_id, "minutes": "纪要", "attendees": [{"name": "王"}]},
        format="json",
    )
    # Minutes come once the meeting has started: a refusal, not a 500.
    assert r.status_code in (200, 400), r.content
    r = staff.post(
        f"{url}/minutes/",
        {"meeting": 999999, "minutes": "x", "attendees": [{"name": "王"}]},
        format="json",
    )
    assert r.status_code == 400 and "meeting" in r.json()
    r = staff.post(
        f"{url}/minutes/", {"meeting": meeting_id, "minutes": "x", "attendees": []}, format="json"
    )
    assert r.status_code == 400 and "attendees" in r.json()

    r = staff.post(f"{url}/publish-plan/", {"plan": "方案"}, format="json")
    assert r.status_code == 200, r.content
    r = staff.post(
        f"{url}/open-vote/",
        {"plan": "方案", "closes_at": (timezone.now() - timedelta(hours=1)).isoformat()},
        format="json",
    )
    assert r.status_code == 400 and "closes_at" in r.json()
    r = staff.post(
        f"{url}/open-vote/",
        {"plan": "方案", "closes_at": (timezone.now() + timedelta(days=1)).isoformat()},
        format="json",
    )
    assert r.status_code == 200 and r.json()["status"] == "voting", r.content
    assert staff.post(f"{url}/close-vote/").status_code == 400  # not everyone has voted
    assert api(voter).post(f"{url}/close-vote/").status_code == 403
    actions.cast_vote(m, actor=voter, choice="yes")
    actions.close_vote(m, now=timezone.now() + timedelta(days=2))
    assert api(voter).post(f"{url}/publish/").status_code == 403
    r = staff.post(f"{url}/publish/")
    assert r.status_code == 200 and r.json()["tally"] is not None
    if r.json()["status"] == "executing":
        r = staff.post(f"{url}/progress/", {"note": ""}, format="json")
        assert r.status_code == 400 and "note" in r.json()
        r = staff.post(f"{url}/progress/", {"note": "已完工", "done": True}, format="json")
        assert r.status_code == 200 and r.json()["status"] == "done"
    assert m.events.filter(action="vote_opened").count() == 1
