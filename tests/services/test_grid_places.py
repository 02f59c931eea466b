"""The grid's places and people on the grid worker's phone (issue 16, item 4): estates →
buildings → households with residents masked, the audited reveal, the search, the visit log
(grids.actions.record_visit: scope, bad input, the offline outbox's idempotency key), the
households due a visit first, and the map with its JSON, scoped. Queries pinned."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from grids import actions as grid_actions
from grids.models import AccessLog, Household, HouseholdVisit, Resident
from grids.privacy import mask_phone

pytestmark = pytest.mark.usefixtures("clean_cache")


def _hh(desk, i=0) -> Household:
    return desk.t.a.households[i]


# --- places and people --------------------------------------------------------------------------


def test_places_list_the_grids_estates_and_buildings_only(client, desk, worker):
    body = client.get("/cases/grid/places/").content.decode()
    assert "甲小区1" in body and "甲1号楼" in body
    assert "甲2号楼" not in body  # the sibling grid
    assert "乙1号楼" not in body  # the sibling community


def test_residents_are_masked_and_a_reveal_is_logged(client, desk, worker):
    household = _hh(desk)
    resident = household.residents.get()
    page = client.get(f"/cases/grid/places/b/{household.building_id}/").content.decode()
    assert mask_phone(resident.phone) in page and resident.phone not in page
    page = client.get(f"/cases/grid/places/h/{household.pk}/").content.decode()
    assert mask_phone(resident.phone) in page and resident.phone not in page
    assert resident.id_number not in page
    # No reason: nothing shown, nothing logged.
    r = client.post(f"/cases/grid/places/r/{resident.pk}/reveal/", {"field": "phone"})
    assert r.status_code == 400 and resident.phone not in r.content.decode()
    assert not AccessLog.objects.exists()
    r = client.post(
        f"/cases/grid/places/r/{resident.pk}/reveal/",
        {"field": "phone", "reason": "上门前电话联系"},
    )
    assert r.status_code == 200 and f"tel:{resident.phone}" in r.content.decode()
    log = AccessLog.objects.get()
    assert log.viewer == worker and log.resident_id == resident.pk and log.field == "phone"
    assert log.reason == "上门前电话联系"


def test_outside_the_grid_is_404_and_nothing_is_logged(client, desk, worker):
    other = desk.t.a.households[1]  # the sibling grid of the same community
    far = desk.t.b.households[0]
    for household in (other, far):
        resident = household.residents.get()
        assert client.get(f"/cases/grid/places/h/{household.pk}/").status_code == 404
        assert client.get(f"/cases/grid/places/b/{household.building_id}/").status_code == 404
        r = client.post(
            f"/cases/grid/places/r/{resident.pk}/reveal/", {"field": "phone", "reason": "x"}
        )
        assert r.status_code == 404
        r = client.post(
            f"/cases/grid/places/h/{household.pk}/visit/",
            {"kind": "home", "visited_on": timezone.localdate(), "note": "x"},
        )
        assert r.status_code == 404
    assert not AccessLog.objects.exists() and not HouseholdVisit.objects.exists()


def test_residents_and_department_handlers_do_not_get_the_pages(client, desk):
    household = _hh(desk)
    for key in ("resident_a", "dept", "unit_a"):
        client.force_login(desk.user(key))
        for url in (
            "/cases/grid/places/",
            f"/cases/grid/places/h/{household.pk}/",
            "/cases/grid/map/",
            "/cases/grid/map.json",
        ):
            assert client.get(url).status_code == 404, (key, url)


def test_search_by_building_and_room(client, desk, worker):
    building = desk.t.a.buildings[0]
    Household.objects.create(building=building, room="302", head_name="王阿姨")
    body = client.get("/cases/grid/places/", {"q": "302"}).content.decode()
    found = body.split('id="found"', 1)[1].split("</section>", 1)[0]
    assert "302" in found and "101" not in found
    found = client.get("/cases/grid/places/", {"q": "甲1号楼"}).content.decode()
    assert "302" in found and "101" in found
    body = client.get("/cases/grid/places/", {"q": "乙1号楼"}).content.decode()  # not theirs
    found = body.split('id="found"', 1)[1].split("</section>", 1)[0]
    assert "乙1号楼" not in found.replace('value="乙1号楼"', "")


# --- the visit log --------------------------------------------------------------------------------


def test_a_visit_is_recorded_and_shown_on_the_timeline(client, desk, worker):
    household = _hh(desk)
    case = desk.dispatched()
    r = client.post(
        f"/cases/grid/places/h/{household.pk}/visit/",
        {
            "kind": "regular",
            "visited_on": timezone.localdate().isoformat(),
            "note": "老人身体尚好，提醒按时服药",
            "follow_up_case": case.number,
        },
        follow=True,
    )
    assert r.status_code == 200
    assert any("recorded" in str(m) for m in r.context["messages"])
    visit = HouseholdVisit.objects.get()
    assert visit.worker == worker and visit.kind == "regular" and visit.household == household
    assert visit.follow_up_case == case.number
    page = r.content.decode()
    assert "老人身体尚好" in page and f"/cases/grid/c/{case.number}/" in page


def test_bad_visits_are_refused_with_a_reason(client, desk, worker):
    household = _hh(desk)
    url = f"/cases/grid/places/h/{household.pk}/visit/"
    today = timezone.localdate()
    cases = [
        {"kind": "home", "visited_on": today, "note": ""},
        {"kind": "party", "visited_on": today, "note": "x"},
        {"kind": "home", "visited_on": today + timedelta(days=1), "note": "x"},
        {"kind": "home", "visited_on": "not a date", "note": "x"},
        {"kind": "home", "visited_on": today, "note": "x" * 1001},
        {"kind": "home", "visited_on": today, "note": "x\x00y"},
        {"kind": "home", "visited_on": today, "note": "x", "follow_up_case": "20990101-9999"},
    ]
    for data in cases:
        r = client.post(url, data)
        assert r.status_code == 400, data
        assert 'role="alert"' in r.content.decode(), data
    # A case the worker cannot see is no follow-up case.
    theirs = desk.dispatched(actor=desk.user("resident_b"), place=desk.t.b.buildings[0])
    r = client.post(
        url, {"kind": "home", "visited_on": today, "note": "x", "follow_up_case": theirs.number}
    )
    assert r.status_code == 400 and theirs.number in r.content.decode()  # only what they typed
    assert not HouseholdVisit.objects.exists()


def test_the_operation_checks_scope_and_rules(desk):
    worker = desk.user("grid_a")
    with pytest.raises(ValidationError) as info:
        grid_actions.record_visit(desk.t.b.households[0], actor=worker, kind="home", note="x")
    assert "household" in info.value.message_dict
    with pytest.raises(ValidationError):  # a resident of the household is no visitor
        grid_actions.record_visit(_hh(desk), actor=desk.user("resident_a"), kind="home", note="x")
    visit = grid_actions.record_visit(_hh(desk), actor=worker, kind="phone", note=" 电话回访 ")
    assert visit.note == "电话回访" and visit.visited_on == timezone.localdate()


def test_the_offline_outbox_sends_a_visit_once(client, desk, worker):
    """The form is sent by static/portal/offline.js (data-offline) with a key; sent again from
    the outbox (a lost answer, a second drain), it is saved once and the answer replayed."""
    household = _hh(desk)
    page = client.get(f"/cases/grid/places/h/{household.pk}/").content.decode()
    assert re.search(r'<form[^>]+data-offline[^>]+/visit/"', page)
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)
    data = {
        "kind": "home",
        "visited_on": timezone.localdate().isoformat(),
        "note": "入户走访，家中无人",
        "idempotency_key": key,
    }
    headers = {"X-Requested-With": "fetch", "X-Linli-Queued": "1"}
    first = client.post(f"/cases/grid/places/h/{household.pk}/visit/", data, headers=headers)
    second = client.post(f"/cases/grid/places/h/{household.pk}/visit/", data, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json()["ok"] and second.json()["replayed"]
    assert HouseholdVisit.objects.count() == 1
    assert any(
        "recorded" in m["text"] if isinstance(m, dict) else "recorded" in m
        for m in first.json()["messages"]
    )


def test_households_due_a_visit_come_first(client, desk, worker, settings):
    settings.LINLI = {
        **settings.LINLI,
        "VISIT_DUE_DAYS": 90,
        "VISIT_PRIORITY_DAYS": {"lives_alone": 30},
    }
    building = desk.t.a.buildings[0]
    seen = _hh(desk)  # visited 40 days ago: not due (90 days)
    alone = Household.objects.create(building=building, room="201")
    Resident.objects.create(household=alone, name="独居老人", lives_alone=True)
    never = Household.objects.create(building=building, room="301")
    today = timezone.localdate()
    for household in (seen, alone):
        grid_actions.record_visit(
            household, actor=worker, kind="home", note="x", visited_on=today - timedelta(days=40)
        )
    body = client.get("/cases/grid/places/").content.decode()
    first = body.split('id="visit-first"', 1)[1].split("</section>", 1)[0]
    assert first.index(f"/h/{never.pk}/") < first.index(
        f"/h/{alone.pk}/"
    )  # never, then 10 days late
    assert f"/h/{seen.pk}/" not in first
    page = client.get(f"/cases/grid/places/b/{building.pk}/").content.decode()
    assert (
        page.index(f"/h/{never.pk}/") < page.index(f"/h/{alone.pk}/") < page.index(f"/h/{seen.pk}/")
    )


def test_places_pages_take_constant_queries(client, desk, worker, django_assert_max_num_queries):
    building = desk.t.a.buildings[0]
    with django_assert_max_num_queries(14) as places:
        client.get("/cases/grid/places/")
    with django_assert_max_num_queries(14) as one:
        client.get(f"/cases/grid/places/b/{building.pk}/")
    household = _hh(desk)
    with django_assert_max_num_queries(16) as hh:
        client.get(f"/cases/grid/places/h/{household.pk}/")
    for i in range(8):
        h = Household.objects.create(building=building, room=f"9{i:02d}")
        Resident.objects.create(household=h, name=f"居民{i}", phone=f"1390000{i:04d}")
        Resident.objects.create(household=h, name=f"家属{i}")
        grid_actions.record_visit(household, actor=worker, kind="home", note=f"第{i}次")
    with django_assert_max_num_queries(len(places.captured_queries)):
        client.get("/cases/grid/places/")
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(f"/cases/grid/places/b/{building.pk}/").content.decode()
    assert page.count("/cases/grid/places/h/") == 9
    with django_assert_max_num_queries(len(hh.captured_queries)):
        page = client.get(f"/cases/grid/places/h/{household.pk}/").content.decode()
    assert page.count("第") >= 8


# --- the map --------------------------------------------------------------------------------------


def test_the_map_and_its_points_are_scoped(client, desk, worker, django_assert_max_num_queries):
    from grids.models import Area

    building = desk.t.a.buildings[0]
    Area.objects.filter(pk=building.pk).update(lat=24.9, lng=118.6)
    mine = desk.dispatched()
    theirs = desk.dispatched(actor=desk.user("resident_b"), place=desk.t.b.buildings[0])
    page = client.get("/cases/grid/map/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "vendor/leaflet/leaflet.js" in body and "grid-map.js" in body
    assert "unpkg" not in body and "cdn" not in body.lower()
    assert 'data-tiles=""' in body  # none configured: a plain grid
    with django_assert_max_num_queries(10):
        data = client.get("/cases/grid/map.json").json()
    names = {b["name"]: b for b in data["buildings"]}
    assert set(names) == {"甲1号楼"} and names["甲1号楼"]["lat"] == 24.9
    numbers = {c["number"]: c for c in data["cases"]}
    assert mine.number in numbers and theirs.number not in numbers
    assert numbers[mine.number]["mine"] is True and numbers[mine.number]["lat"] == 24.9


def test_the_map_takes_configured_tiles(client, desk, worker, settings):
    settings.LINLI = {**settings.LINLI, "MAP_TILES_URL": "https://tiles.example/{z}/{x}/{y}.png"}
    body = client.get("/cases/grid/map/").content.decode()
    assert 'data-tiles="https://tiles.example/{z}/{x}/{y}.png"' in body
