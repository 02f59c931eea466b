"""The phone pages and the desk over HTTP: scope (404 outside it), refusals shown as messages
(a second vote, a vote from outside, after the close, a co-sign by a non-resident; never a
500), the Excel ledger, and the number of queries a list costs."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deliberation import actions
from deliberation.models import Ballot, Matter, Participation, Status

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    c = Client(headers={"accept-language": "en"})
    c.force_login(user)
    return c


def voting_matter(world, **extra) -> Matter:
    staff = world.staff
    m = actions.raise_matter(
        actor=staff,
        area=world.building,
        kind=world.kind(),
        title="楼道灯",
        description="更换",
        source="staff",
    )
    actions.accept_matter(m, actor=staff)
    return actions.open_vote(
        m, actor=staff, closes_at=timezone.now() + timedelta(days=1), plan="换LED"
    )


def texts(response) -> str:
    return " ".join(str(m) for m in response.wsgi_request._messages)


def test_resident_votes_once_and_refusals_are_messages(world):
    (voter,) = world.add_residents(1)  # registered before the vote opens (eligibility freezes)
    m = voting_matter(world)
    c = login(voter)
    page = c.get(f"/deliberation/m/{m.pk}/")
    assert page.status_code == 200 and "Cast my vote" in page.content.decode()
    r = c.post(f"/deliberation/m/{m.pk}/vote/", {"choice": "yes"}, follow=True)
    assert "Your vote is counted" in r.content.decode()
    r = c.post(f"/deliberation/m/{m.pk}/vote/", {"choice": "no"})
    assert r.status_code == 400 and "already voted" in r.content.decode()
    r = c.post(f"/deliberation/m/{m.pk}/vote/", {"choice": "maybe"})
    assert r.status_code == 400
    assert Participation.objects.filter(matter=m).count() == 1
    assert Ballot.objects.get(matter=m).choice == "yes"
    # Comments: a neighbour sees the author's first character only.
    c.post(f"/deliberation/m/{m.pk}/comment/", {"body": "赞成换灯"})
    page = login(world.t.user("resident_a")).get(f"/deliberation/m/{m.pk}/").content.decode()
    assert "赞成换灯" in page and voter.username not in page and f"{voter.username[0]}**" in page


def test_vote_after_the_close_is_refused(world):
    m = voting_matter(world)
    Matter.objects.filter(pk=m.pk).update(vote_closes_at=timezone.now() - timedelta(minutes=1))
    c = login(world.t.user("resident_a"))
    r = c.post(f"/deliberation/m/{m.pk}/vote/", {"choice": "yes"})
    assert r.status_code == 400 and "The vote closed at" in r.content.decode()
    assert not Ballot.objects.filter(matter=m).exists()


def test_outside_the_area_is_404_and_cosign_by_non_resident_refused(world):
    m = voting_matter(world)
    for key in ("resident_b", "community_b", "grid_b", "unit_a"):
        c = login(world.t.user(key))
        assert c.get(f"/deliberation/m/{m.pk}/").status_code == 404, key
        assert c.post(f"/deliberation/m/{m.pk}/vote/", {"choice": "yes"}).status_code == 404
        assert c.get(f"/deliberation/desk/m/{m.pk}/").status_code == 404, key
        assert c.get(f"/deliberation/desk/m/{m.pk}/export/").status_code == 404, key
        assert c.get(f"/api/deliberation/matters/{m.pk}/").status_code == 404, key
    # Side a's other building: a resident there sees community matters, not this building's.
    (elsewhere,) = world.add_residents(1, building=world.t.a.buildings[1], prefix="o")
    assert login(elsewhere).get(f"/deliberation/m/{m.pk}/").status_code == 404
    # Residents have no desk.
    assert login(world.t.user("resident_a")).get("/deliberation/desk/").status_code == 404
    # A co-sign by someone who sees the matter (staff of the street) but lives elsewhere.
    (raiser,) = world.add_residents(1, prefix="c")
    cosigning = actions.raise_matter(
        actor=raiser, area=world.t.a.community, kind=world.kind(), title="t", description="d"
    )
    c = login(world.t.user("street"))
    r = c.post(f"/deliberation/m/{cosigning.pk}/cosign/", follow=True)
    assert r.status_code == 200 and "Only residents of" in texts(r)
    assert Matter.objects.get(pk=cosigning.pk).cosign_count == 1


def test_staff_work_a_matter_on_the_desk(world):
    staff = login(world.staff)
    (raiser,) = world.add_residents(1)
    m = actions.raise_matter(
        actor=world.staff,
        area=world.building,
        kind=world.kind(),
        title="垃圾分类点",
        description="d",
        source="committee",
    )
    r = staff.get("/deliberation/desk/?q=垃圾")
    assert r.status_code == 200 and "垃圾分类点" in r.content.decode()
    assert "No matters match" in staff.get("/deliberation/desk/?q=没有的").content.decode()
    r = staff.post(f"/deliberation/desk/m/{m.pk}/accept/", follow=True)
    assert "taken up" in texts(r)
    r = staff.post(f"/deliberation/desk/m/{m.pk}/comment/", {"body": "请大家提意见"}, follow=True)
    assert "Your comment is posted" in texts(r) and "请大家提意见" in r.content.decode()
    assert staff.post(f"/deliberation/desk/m/{m.pk}/comment/", {"body": ""}).status_code == 400
    assert staff.post(f"/deliberation/desk/m/{m.pk}/nonsense/").status_code == 404
    r = staff.post(
        f"/deliberation/desk/m/{m.pk}/meeting/",
        {
            "kind": "consultation",
            "space": world.hall.pk,
            "starts_at": "2000-01-01T19:00",
            "ends_at": "2000-01-01T20:00",
            "agenda": "议程",
        },
    )
    assert r.status_code == 400 and "That time has passed" in r.content.decode()
    r = staff.post(
        f"/deliberation/desk/m/{m.pk}/open-vote/",
        {"plan": "方案", "closes_at": "2000-01-01T10:00"},
    )
    assert r.status_code == 400 and "must close in the future" in r.content.decode()
    closes = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = staff.post(
        f"/deliberation/desk/m/{m.pk}/open-vote/",
        {"plan": "方案", "closes_at": closes},
        follow=True,
    )
    assert "The vote is open" in texts(r)
    actions.cast_vote(m, actor=raiser, choice="yes")
    r = staff.post(f"/deliberation/desk/m/{m.pk}/close-vote/", follow=True)
    assert "open until" in texts(r)  # not everyone has voted yet
    r = staff.get(f"/deliberation/desk/m/{m.pk}/export/")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(r.content), read_only=True)
    tally = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert tally["voters"] == 1 and tally["yes"] == 1
    assert Matter.objects.get(pk=m.pk).status == Status.VOTING


def test_list_queries_are_pinned(world):
    staff = world.staff
    (raiser,) = world.add_residents(1)

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
    desk, phone = login(staff), login(raiser)
    desk.get("/deliberation/desk/")  # warm the scope cache
    phone.get("/deliberation/")
    counts = {}
    for label, client, url in (
        ("desk", desk, "/deliberation/desk/"),
        ("phone", phone, "/deliberation/"),
    ):
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        counts[label] = len(few)
    make(10)
    for label, client, url in (
        ("desk", desk, "/deliberation/desk/"),
        ("phone", phone, "/deliberation/"),
    ):
        with CaptureQueriesContext(connection) as many:
            assert client.get(url).status_code == 200
        assert len(many) == counts[label], label
    # session, user, the page's count and rows (+ the resident's households on the phone,
    # - the scope from the shared cache).
    assert counts == {"desk": 4, "phone": 4}
