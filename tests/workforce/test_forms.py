"""The staff forms: enter a worker, change grade/sequence, transfer, mark as left — through
workforce.actions (history written), scoped (404 out of scope), errors in Chinese, a message
after every success."""

from datetime import date

import pytest
from django.test import Client

from grids.models import GridTeamMember
from workforce import actions
from workforce.models import ChangeKind, Position, Worker

pytestmark = pytest.mark.django_db


def _new(staff, community, **extra):
    data = {
        "community": community.pk,
        "name": "新来的社工",
        "position": Position.GENERAL,
        "sequence": staff.seq(3).pk,
        "grade": 2,
        "started_on": "2026-03-01",
        "contract_kind": "labour",
        "qualification": "none",
        "education": "college",
    }
    data.update(extra)
    return data


def test_community_staff_enter_a_worker_with_history_and_a_message(client, staff, people):
    client.force_login(staff.user("community_a"))
    assert 'href="/workforce/new/"' in client.get("/workforce/").content.decode()
    page = client.get("/workforce/new/").content.decode()
    assert staff.t.a.community.name in page and staff.t.b.community.name not in page
    response = client.post("/workforce/new/", _new(staff, staff.t.a.community), follow=True)
    worker = Worker.objects.get(name="新来的社工")
    assert response.redirect_chain[-1][0] == f"/workforce/{worker.pk}/"
    assert "新来的社工 is entered in" in response.content.decode()
    assert (worker.community, worker.grade, worker.grade_since) == (
        staff.t.a.community,
        2,
        date(2026, 3, 1),
    )
    change = worker.changes.get()
    assert change.kind == ChangeKind.CREATED and change.actor == staff.user("community_a")


def test_entering_outside_the_scope_or_with_a_bad_grade_is_refused(client, staff, people):
    client.force_login(staff.user("community_a"))
    response = client.post("/workforce/new/", _new(staff, staff.t.b.community))
    assert response.status_code == 400 and not Worker.objects.filter(name="新来的社工").exists()
    response = client.post("/workforce/new/", _new(staff, staff.t.a.community, grade=19))
    assert response.status_code == 400
    assert "Grades of" in response.content.decode()  # the action's refusal, on the grade field
    assert not Worker.objects.filter(name="新来的社工").exists()
    for who in ("grid_a", "resident_a"):
        client.force_login(staff.user(who))
        assert client.get("/workforce/new/").status_code == 404
        assert client.post("/workforce/new/", _new(staff, staff.t.a.community)).status_code == 404


def test_form_errors_are_in_chinese(staff, people):
    zh = Client(headers={"accept-language": "zh-hans"})
    zh.force_login(staff.user("community_a"))
    body = zh.post("/workforce/new/", _new(staff, staff.t.a.community, name="", grade="x"))
    text = body.content.decode()
    assert body.status_code == 400
    assert "此项为必填项" in text and "请输入整数" in text
    assert "没有保存。请更正下面标出的项目。" in text


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("street", 302),
        ("community_a", 404),
        ("secretary_a", 404),
        ("grid_a", 404),
        ("district", 404),
        ("community_b", 404),
    ],
)
def test_only_the_street_office_changes_grades(client, staff, people, who, status):
    mine = people["mine"]
    user = people["head"].user if who == "secretary_a" else staff.user(who)
    client.force_login(user)
    data = {"sequence": staff.seq(2).pk, "grade": 6, "since": "2026-07-01", "note": "竞聘上岗"}
    assert client.post(f"/workforce/{mine.pk}/grade/", data).status_code == status
    mine.refresh_from_db()
    if status == 302:
        assert (mine.sequence, mine.grade, mine.grade_since) == (staff.seq(2), 6, date(2026, 7, 1))
        change = mine.changes.filter(kind=ChangeKind.GRADE).get()
        assert change.note == "竞聘上岗" and change.actor == user
    else:
        assert (mine.sequence, mine.grade) == (staff.seq(3), 4)


def test_a_grade_change_needs_a_reason_and_a_grade_under_the_cap(client, staff, people):
    mine = people["mine"]
    client.force_login(staff.user("street"))
    data = {"sequence": staff.seq(3).pk, "grade": 6, "since": "2026-07-01", "note": ""}
    assert client.post(f"/workforce/{mine.pk}/grade/", data).status_code == 400
    data.update(note="更正", grade=25)
    assert client.post(f"/workforce/{mine.pk}/grade/", data).status_code == 400
    mine.refresh_from_db()
    assert mine.grade == 4 and not mine.changes.filter(kind=ChangeKind.GRADE).exists()
    body = client.get(f"/workforce/{mine.pk}/").content.decode()
    assert f'href="/workforce/{mine.pk}/grade/"' in body


def test_the_street_transfers_a_worker_within_its_scope(client, staff, people):
    mine = people["mine"]
    b = staff.t.b.community
    client.force_login(staff.user("community_a"))  # b lies outside community a's office
    page = client.get(f"/workforce/{mine.pk}/transfer/").content.decode()
    assert b.name not in page
    assert client.post(f"/workforce/{mine.pk}/transfer/", {"community": b.pk}).status_code == 400
    mine.refresh_from_db()
    assert mine.community == staff.t.a.community
    client.force_login(staff.user("community_b"))
    assert client.post(f"/workforce/{mine.pk}/transfer/", {"community": b.pk}).status_code == 404
    client.force_login(staff.user("street"))
    response = client.post(
        f"/workforce/{mine.pk}/transfer/", {"community": b.pk, "note": "调配"}, follow=True
    )
    assert "now works in" in response.content.decode()
    mine.refresh_from_db()
    assert mine.community == b
    change = mine.changes.filter(kind=ChangeKind.CHANGED).get()
    assert change.changes["community"][1] == b.name and change.note == "调配"


def test_marking_as_left_ends_the_grid_membership(client, staff, people):
    mine = people["mine"]
    grid = staff.t.a.grids[1]
    actions.assign_to_grid(mine, grid, starts_on=date(2026, 1, 1))
    client.force_login(staff.user("grid_a"))  # the worker themself: no office
    assert client.post(f"/workforce/{mine.pk}/leave/", {"left_on": "2026-06-30"}).status_code == 404
    client.force_login(staff.user("community_a"))
    unconfirmed = client.post(f"/workforce/{mine.pk}/leave/", {"left_on": "2026-06-30"})
    assert unconfirmed.status_code == 400
    early = client.post(f"/workforce/{mine.pk}/leave/", {"left_on": "2010-01-01", "confirm": "on"})
    assert early.status_code == 400 and "before the start date" in early.content.decode()
    response = client.post(
        f"/workforce/{mine.pk}/leave/",
        {"left_on": "2026-06-30", "confirm": "on", "note": "辞职"},
        follow=True,
    )
    assert "their grid memberships ended" in response.content.decode()
    mine.refresh_from_db()
    assert mine.left_on == date(2026, 6, 30)
    assert GridTeamMember.objects.get(user=mine.user, grid=grid).ends_on == date(2026, 6, 30)
    assert mine.changes.filter(kind=ChangeKind.LEFT, actor=staff.user("community_a")).exists()
    again = client.post(f"/workforce/{mine.pk}/leave/", {"left_on": "2026-07-01", "confirm": "on"})
    assert again.status_code == 400 and "already left" in again.content.decode()
