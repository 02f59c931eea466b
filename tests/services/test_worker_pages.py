"""Grid workers on their phones: my grid, new case (未诉先办, handled on the spot), acting on a
case, the patrol log; scope (404 outside), idempotent POSTs, bad input."""

from __future__ import annotations

import pytest
from django.test import Client

from services import actions
from services.models import Case, CasePhoto, PatrolLog
from tests.services.test_resident_pages import jpeg

pytestmark = pytest.mark.usefixtures("clean_cache")


def test_my_grid_lists_own_open_cases_only(client, desk, worker, django_assert_max_num_queries):
    mine = desk.dispatched()
    theirs = desk.dispatched(actor=desk.user("resident_b"), place=desk.t.b.buildings[0])
    with django_assert_max_num_queries(14):
        body = client.get("/cases/grid/").content.decode()
    assert mine.number in body and theirs.number not in body
    for _ in range(10):
        desk.dispatched()
    with django_assert_max_num_queries(14):
        body = client.get("/cases/grid/").content.decode()
    assert body.count("/cases/grid/c/") >= 11


def test_due_today_lists_what_is_due_before_midnight(client, desk, worker):
    from datetime import timedelta

    from django.utils import timezone

    soon, later = desk.dispatched(), desk.dispatched()
    Case.objects.filter(pk=soon.pk).update(resolve_due=timezone.now())
    Case.objects.filter(pk=later.pk).update(resolve_due=timezone.now() + timedelta(days=3))
    body = client.get("/cases/grid/").content.decode()
    due = body.split('data-section="due_today"', 1)[1].split("</section>", 1)[0]
    assert soon.number in due and later.number not in due


def test_yellow_and_red_marks(client, desk, worker):
    case = desk.dispatched()
    Case.objects.filter(pk=case.pk).update(card_level=2)
    body = client.get("/cases/grid/").content.decode()
    assert 'class="badge red"' in body


def test_new_case_handled_on_the_spot_closes_at_once(client, desk, worker):
    place = desk.t.a.buildings[0]
    r = client.post(
        "/cases/grid/new/",
        {
            "category": desk.potholes.pk,
            "description": "井盖松动",
            "place": place.pk,
            "handled_on_spot": "on",
            "result": "已固定井盖",
            "photos": [jpeg()],
            "result_photos": [jpeg("r.jpg")],
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    case = Case.objects.get()
    assert case.state == "resolved" and case.raised_before_complaint and case.handled_on_spot
    assert case.channel == "grid_worker"
    assert CasePhoto.objects.filter(case=case, kind="result").count() == 1


def test_a_case_filed_for_a_resident_is_theirs(client, desk, worker):
    """王阿姨 tells the worker in the lane: her phone makes the case hers (her login shows it,
    she is told its number), not the worker's."""
    from notifications.models import Notification

    resident = desk.user("resident_a")
    r = client.post(
        "/cases/grid/new/",
        {
            "category": desk.potholes.pk,
            "description": "楼道灯坏了，王阿姨晚上下楼看不见",
            "place": desk.t.a.buildings[0].pk,
            "for_phone": f"{resident.phone[:3]} {resident.phone[3:7]} {resident.phone[7:]}",
            "for_name": "王阿姨",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get()
    assert (case.reporter, case.reporter_name, case.reporter_phone) == (
        resident,
        "王阿姨",
        resident.phone,
    )
    assert case.received_by == desk.user("grid_a") and case.channel == "grid_worker"
    assert Notification.objects.filter(recipient=resident, case=case).exists()
    mine = Client()
    mine.force_login(resident)
    assert case.number in mine.get("/cases/mine/").content.decode()


def test_filing_for_a_resident_needs_a_mobile(client, desk, worker):
    r = client.post(
        "/cases/grid/new/",
        {
            "category": desk.potholes.pk,
            "description": "x",
            "place": desk.t.a.buildings[0].pk,
            "for_phone": "0595-12345",
        },
    )
    assert r.status_code == 400 and not Case.objects.exists()


def test_new_case_refuses_a_place_outside_the_grid(client, desk, worker):
    r = client.post(
        "/cases/grid/new/",
        {"category": desk.potholes.pk, "description": "x", "place": desk.t.b.buildings[0].pk},
    )
    assert r.status_code == 400 and not Case.objects.exists()


def test_on_the_spot_needs_a_result(client, desk, worker):
    r = client.post(
        "/cases/grid/new/",
        {
            "category": desk.potholes.pk,
            "description": "x",
            "place": desk.t.a.buildings[0].pk,
            "handled_on_spot": "on",
        },
    )
    assert r.status_code == 400 and "Say how it was handled" in r.content.decode()
    assert not Case.objects.exists()


def test_sign_for_progress_and_resolve(client, desk, worker):
    case = desk.dispatched()
    page = client.get(f"/cases/grid/c/{case.number}/").content.decode()
    assert "tel:" in page  # the reporter's phone, unmasked for staff of the grid
    r = client.post(f"/cases/grid/c/{case.number}/sign_for/", {"version": case.version})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.state == "signed"
    r = client.post(
        f"/cases/grid/c/{case.number}/add_progress/",
        {"version": case.version, "note": "材料已到", "photos": [jpeg()]},
    )
    assert r.status_code == 302
    case.refresh_from_db()
    r = client.post(f"/cases/grid/c/{case.number}/resolve/", {"version": case.version, "note": ""})
    assert r.status_code == 400 and "Describe the result" in r.content.decode()
    r = client.post(
        f"/cases/grid/c/{case.number}/resolve/", {"version": case.version, "note": "已填平"}
    )
    case.refresh_from_db()
    assert case.state == "resolved" and case.result == "已填平"


def test_a_stale_form_is_refused(client, desk, worker):
    case = desk.dispatched()
    r = client.post(f"/cases/grid/c/{case.number}/sign_for/", {"version": case.version - 1})
    assert r.status_code == 400 and "Someone else changed" in r.content.decode()


def test_return_needs_a_reason_and_extension_days(client, desk, worker):
    case = desk.dispatched()
    r = client.post(f"/cases/grid/c/{case.number}/return_case/", {"version": case.version})
    assert r.status_code == 400 and "reason" in r.content.decode()
    actions.sign_for(case, actor=worker)
    case.refresh_from_db()
    r = client.post(
        f"/cases/grid/c/{case.number}/request_extension/",
        {"version": case.version, "note": "等材料"},
    )
    assert r.status_code == 400 and "1 to 30 working days" in r.content.decode()
    r = client.post(
        f"/cases/grid/c/{case.number}/request_extension/",
        {"version": case.version, "note": "等材料", "days": "3"},
    )
    assert r.status_code == 302 and case.extensions.count() == 1


def test_out_of_scope_case_is_404(client, desk, worker):
    theirs = desk.dispatched(actor=desk.user("resident_b"), place=desk.t.b.buildings[0])
    assert client.get(f"/cases/grid/c/{theirs.number}/").status_code == 404
    r = client.post(f"/cases/grid/c/{theirs.number}/sign_for/", {"version": theirs.version})
    assert r.status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == "dispatched"


def test_residents_do_not_get_the_worker_pages(client, desk):
    client.force_login(desk.user("resident_a"))
    assert client.get("/cases/grid/").status_code == 404


def test_a_resent_action_is_applied_once(client, desk, worker):
    case = desk.dispatched()
    data = {"version": case.version, "idempotency_key": "s" * 24}
    first = client.post(f"/cases/grid/c/{case.number}/sign_for/", data)
    second = client.post(f"/cases/grid/c/{case.number}/sign_for/", data)
    assert first.status_code == second.status_code == 302
    assert case.events.filter(action="sign_for").count() == 1


def test_a_double_tap_without_javascript_saves_one_stop_and_says_what_happened(
    client, desk, worker
):
    """The form carries its own key from the server, so two taps on a phone without JavaScript
    (or a browser resending the POST) record one stop; the second answer says so."""
    import re

    page = client.get("/cases/grid/patrol/").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)
    data = {"place": desk.t.a.buildings[0].pk, "seen": "消防通道畅通", "idempotency_key": key}
    first = client.post("/cases/grid/patrol/", data, follow=True)
    second = client.post("/cases/grid/patrol/", data, follow=True)
    assert PatrolLog.objects.count() == 1
    said = [str(m) for m in second.context["messages"]]
    assert any("Patrol stop at" in m for m in said)
    assert any("Nothing was saved a second time" in m for m in said)
    assert any("Patrol stop at" in str(m) for m in first.context["messages"])
    assert client.get("/cases/grid/patrol/").content.decode().count(key) == 0  # a new key


def test_patrol_log(client, desk, worker, django_assert_max_num_queries):
    place = desk.t.a.buildings[0]
    r = client.post(
        "/cases/grid/patrol/", {"place": place.pk, "seen": "楼道堆物已清", "all_well": "on"}
    )
    assert r.status_code == 302
    entry = PatrolLog.objects.get()
    assert entry.worker == worker and entry.grid == desk.t.a.grids[0] and entry.place == place
    r = client.post("/cases/grid/patrol/", {"place": desk.t.b.buildings[0].pk, "seen": "x"})
    assert r.status_code == 400 and PatrolLog.objects.count() == 1
    r = client.post("/cases/grid/patrol/", {"place": place.pk, "seen": ""})
    assert r.status_code == 400
    for _ in range(5):
        actions.log_patrol(actor=worker, seen="巡查", place=place)
    with django_assert_max_num_queries(10):
        body = client.get("/cases/grid/patrol/").content.decode()
    assert body.count("巡查") == 5
