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
