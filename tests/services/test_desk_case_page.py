"""The desk's case page (/desk/c/<number>/), what it shows: the reporter's masked phone and its
audited reveal, photos by kind, the clock line, the place, related and merged cases; scope
(404 outside it) and the query counts pinned across states and roles. The buttons and forms
are in test_desk_case.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grids.models import AccessLog
from services import actions
from services.actions import Intake
from services.choices import Channel
from services.models import Case
from tests.services.test_desk_case import _in, fresh, login, page_url, post
from tests.services.test_resident_pages import jpeg


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


# --- the reporter and the audited reveal -----------------------------------------------------------


def test_the_phone_is_masked_and_its_reveal_is_logged(client, desk):
    case = desk.file(reporter_name="李阿姨", reporter_phone="13812345678")
    login(client, desk, "community_a")
    html = client.get(page_url(case)).content.decode()
    assert "李阿姨" in html and "138****5678" in html and "13812345678" not in html
    assert ">version<" not in html.lower() and "expected_version" in html  # hidden, not shown
    reveal = reverse("desk:reveal", args=[case.number])
    response = client.post(reveal, {"reason": ""})
    assert response.status_code == 400 and not AccessLog.objects.exists()
    response = client.post(reveal, {"reason": "联系反映人"})
    assert response.status_code == 200
    assert 'href="tel:13812345678"' in response.content.decode()
    entry = AccessLog.objects.get()
    assert (entry.viewer_id, entry.record, entry.reason, entry.resident_id) == (
        desk.user("community_a").pk,
        case.number,
        "联系反映人",
        None,
    )
    assert entry.resident_name == "李阿姨" and entry.area_id == case.place_id
    assert client.get(reveal).status_code == 405  # a reveal is a POST


def test_the_handling_department_may_reveal_but_not_once_the_case_has_left_it(client, desk):
    case = actions.transfer(
        _in(desk, "dispatched"), actor=desk.user("street"), department=desk.t.department
    )
    login(client, desk, "dept")  # the place is not theirs, the case is: they must call
    html = client.get(page_url(case)).content.decode()
    assert "139****0001" in html and "Show the full number" in html
    reveal = reverse("desk:reveal", args=[case.number])
    assert client.post(reveal, {"reason": "联系反映人"}).status_code == 200
    assert AccessLog.objects.get().viewer_id == desk.user("dept").pk
    # Sent on to the other department, followed as a joint unit: no more reveals.
    actions.add_joint_unit(case, actor=desk.user("street"), department=desk.t.department)
    actions.transfer(case, actor=desk.user("street"), department=desk.t.other_department)
    html = client.get(page_url(case)).content.decode()
    assert "139****0001" in html and "Show the full number" not in html
    assert client.post(reveal, {"reason": "联系"}).status_code == 404
    assert AccessLog.objects.count() == 1


def test_no_reveal_outside_the_scope(client, desk):
    case = desk.file()
    login(client, desk, "community_b")
    reveal = reverse("desk:reveal", args=[case.number])
    assert client.post(reveal, {"reason": "联系"}).status_code == 404
    assert not AccessLog.objects.exists()


def test_a_blank_phone_says_none_was_left(client, desk):
    intake = Intake(
        case_type="help",
        category=desk.potholes,
        description="热线来电，未留电话",
        place=desk.t.a.buildings[0],
        channel=Channel.HOTLINE,
    )
    case = actions.submit_case(intake, actor=desk.user("community_a"))
    zh = Client(headers={"accept-language": "zh-hans"})
    zh.force_login(desk.user("community_a"))
    html = zh.get(page_url(case)).content.decode()
    assert "未留电话" in html and 'id="reveal-reason"' not in html
    assert "版本" not in html  # the internal version is no field of the page


# --- photos, clock line, map ---------------------------------------------------------------------


def test_photos_are_thumbnails_labelled_by_kind(client, desk):
    case = desk.file(photos=[jpeg("in.jpg")])
    case = actions.sign_for(actions.dispatch(case, actor=None), actor=desk.user("grid_a"))
    actions.add_progress(case, actor=desk.user("grid_a"), note="进展", photos_=[jpeg("p.jpg")])
    actions.resolve(case, actor=desk.user("grid_a"), result="好了", photos_=[jpeg("r.jpg")])
    login(client, desk, "community_a")
    response = client.get(page_url(case))
    assert [p.kind for p in response.context["photos"]] == ["intake", "progress", "result"]
    html = response.content.decode()
    for photo in response.context["photos"]:
        assert f'<a href="{photo.image.url}" target="_blank"' in html
    labels = [html.index(f'class="kind-{k}"') for k in ("intake", "progress", "result")]
    assert labels == sorted(labels)
    assert '<span class="label">reported</span>' in html
    assert '<span class="label">progress</span>' in html
    assert '<span class="label">result</span>' in html


def test_the_clock_line_shows_the_due_times_and_where_now_is(client, desk):
    case = _in(desk, "dispatched")
    login(client, desk, "grid_a")
    response = client.get(page_url(case))
    clock = response.context["clock"]
    assert [r["key"] for r in clock["rows"]] == ["sign", "contact", "resolve"]
    html = response.content.decode()
    for due in (case.sign_due, case.contact_due, case.resolve_due):
        assert timezone.localtime(due).strftime("%Y-%m-%d %H:%M") in html
    resolve = clock["rows"][2]
    assert resolve["due_pos"] == 100 and 0 < resolve["warn_pos"] < 100
    assert clock["now_pos"] < clock["rows"][0]["due_pos"]
    assert all(r["band"] == "ok" for r in clock["rows"])
    assert clock["next"]["clock"] == "sign for" and clock["next"]["step"] == "yellow card"

    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        sign_warn_at=now - timedelta(hours=2), sign_due=now - timedelta(hours=1)
    )
    Case.objects.filter(pk=case.pk).update(contact_warn_at=now - timedelta(minutes=5))
    rows = {r["key"]: r for r in client.get(page_url(case)).context["clock"]["rows"]}
    assert rows["sign"]["band"] == "red" and rows["sign"]["left"].startswith("overdue by 1h")
    assert rows["contact"]["band"] == "yellow" and rows["contact"]["left"].endswith("left")

    actions.sign_for(case, actor=desk.user("grid_a"))
    rows = {r["key"]: r for r in client.get(page_url(case)).context["clock"]["rows"]}
    assert rows["sign"]["band"] == "late" and rows["sign"]["due"] is None


def test_a_submitted_case_has_no_clock_yet(client, desk):
    login(client, desk, "community_a")
    html = client.get(page_url(desk.file())).content.decode()
    assert "The clocks start when the case is dispatched." in html


def test_the_place_for_the_map_and_as_text(client, desk):
    case = desk.file(lat=24.874, lng=118.676, address="东门口")
    login(client, desk, "community_a")
    html = client.get(page_url(case)).content.decode()
    assert 'class="place-map" data-lat="24.874000" data-lng="118.676000"' in html
    assert 'data-label="甲1号楼 东门口"' in html and "24.874, 118.676" in html
    assert "desk/map.js" in html and "onclick" not in html and "<script>" not in html


def test_related_cases_of_the_same_place_and_category(client, desk):
    case = desk.file()
    same = desk.file()
    other_category = desk.file(category=desk.noise)
    elsewhere = desk.file(place=desk.t.a.buildings[1])
    login(client, desk, "community_a")
    related = client.get(page_url(case)).context["related"]
    assert [c.number for c in related] == [same.number]
    assert other_category.number and elsewhere.number


# --- scope ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["community_b", "grid_b", "dept", "resident_a", "unit_a"])
def test_out_of_scope_is_404_and_changes_nothing(client, desk, key):
    case = desk.file()  # side a, reported by resident_a
    before = fresh(case).version
    login(client, desk, key)
    assert client.get(page_url(case)).status_code == 404
    assert post(client, case, "dispatch").status_code == 404
    assert post(client, case, "not_accepted", reason="x").status_code == 404
    assert (
        client.post(reverse("desk:reveal", args=[case.number]), {"reason": "x"}).status_code == 404
    )
    assert fresh(case).version == before and not AccessLog.objects.exists()


def test_a_case_that_leaves_the_scope_sends_the_user_to_the_desk(client, desk):
    case = actions.transfer(
        _in(desk, "signed"), actor=desk.user("street"), department=desk.t.department
    )
    actions.sign_for(case, actor=desk.user("dept"))
    login(client, desk, "dept")
    response = post(client, case, "escalate", note="需要市里协调")
    assert response.status_code == 302 and response.url == reverse("desk:home")


def test_an_unknown_number_is_404(client, desk):
    login(client, desk, "district")
    assert client.get(reverse("desk:case", args=["nope"])).status_code == 404


# --- queries --------------------------------------------------------------------------------------

QUERY_CASES = [
    ("submitted", "community_a"),
    ("dispatched", "grid_a"),
    ("signed", "street"),
    ("in_progress", "grid_a"),
    ("returned", "district"),
    ("resolved", "community_a"),
    ("merged", "community_a"),
    ("archived", "superuser"),
]


@pytest.mark.parametrize("state,key", QUERY_CASES)
def test_the_page_reads_at_most_12_queries(client, desk, state, key, django_assert_max_num_queries):
    case = _in(desk, state)
    login(client, desk, key)
    client.get(page_url(case))  # the calendar and the scope are read once per process
    with django_assert_max_num_queries(12):
        assert client.get(page_url(case)).status_code == 200


def test_queries_do_not_grow_with_the_timeline_or_the_joint_units(
    client, desk, django_assert_max_num_queries
):
    case = _in(desk, "signed")
    grid = desk.user("grid_a")
    community = desk.user("community_a")
    actions.add_joint_unit(case, actor=community, department=desk.t.department)
    actions.add_joint_unit(case, actor=community, department=desk.t.other_department)
    for i in range(30):
        actions.add_progress(case, actor=grid if i % 2 else community, note=f"进展 {i}")
    actions.request_extension(case, actor=grid, working_days=2, reason="等")
    master = desk.file()
    actions.merge(desk.file(), actor=community, master=master)
    login(client, desk, "community_a")
    for target in (case, master):
        client.get(page_url(target))
        with django_assert_max_num_queries(12):
            html = client.get(page_url(target)).content.decode()
    assert "进展 29" in client.get(page_url(case)).content.decode() and html
