"""The phone app offline, in headless Chromium at 390×844: the service worker keeps the grid
worker's pages and the case pages seen; a step taken with no network waits in the phone's
outbox as "待发送" and is sent once when the network is back, then shows as sent with the
server's confirmation; every submission, online or queued, confirms what happened and what
comes next; a double tap and an entry sent twice from the outbox save nothing twice."""

from __future__ import annotations

import pytest
from PIL import Image

from services import actions
from services.actions.intake import show_tracking_code
from services.models import Case, CaseEvent, CasePhoto
from tests.conftest import PHONE
from tests.services.conftest import build_desk
from tests.services.test_browser import _fill_case, _login, _shot

pytestmark = pytest.mark.browser


def _photo(tmp_path, name="after.jpg") -> str:
    path = tmp_path / name
    Image.new("RGB", (2000, 1500), (60, 90, 60)).save(path, format="JPEG")
    return str(path)


def _controlled(page) -> None:
    """Wait until the service worker controls the page (the first visit installs it; the
    page is loaded again so the worker sees, and keeps, its navigations)."""
    page.wait_for_function(
        "navigator.serviceWorker && navigator.serviceWorker.ready.then(() => true)"
    )
    page.reload()
    page.wait_for_function("!!navigator.serviceWorker.controller")


def _outbox(page, state: str):
    return page.locator(f"#outbox li[data-outbox-state='{state}']")


def _kept(page, path: str) -> None:
    page.wait_for_function(
        "p => caches.open('linli-pages').then(c => c.match(location.origin + p)).then(r => !!r)",
        arg=path,
    )


def test_grid_worker_resolves_offline_and_it_is_sent_once(
    phone_page, live_server, transactional_territory, tmp_path
):
    desk = build_desk(transactional_territory)
    case = desk.dispatched(description="单元门口路灯不亮")
    actions.sign_for(case, actor=desk.user("grid_a"))
    page = phone_page
    _login(page, "grid_a")
    page.goto("/cases/grid/")
    _controlled(page)
    _kept(page, "/cases/grid/")
    _kept(page, "/cases/grid/new/")  # warmed from the worker's menu, never opened
    page.goto(f"/cases/grid/c/{case.number}/")
    _kept(page, f"/cases/grid/c/{case.number}/")

    page.context.set_offline(True)
    page.goto("/cases/grid/")  # from the phone, not the network
    assert case.number in page.locator("main").inner_text()
    page.goto("/cases/grid/new/")
    assert page.locator("form[data-offline] select[name=category]").count() == 1
    page.goto(f"/cases/grid/c/{case.number}/")
    page.fill("#resolve-note", "已换灯泡")
    page.set_input_files("#resolve-photos", _photo(tmp_path))
    page.click(".action-resolve button[type=submit]")
    page.wait_for_selector(".action-resolve[data-offline='once'].queued")
    assert "待发送" in _outbox(page, "waiting").inner_text()
    assert page.evaluate("window.LinliOffline.pending()") == 1
    _shot(page, "worker-offline.png")
    # The entry, kept aside to send it a second time below.
    page.evaluate(
        "() => new Promise(r => { const q = indexedDB.open('linli-offline', 2); q.onsuccess = () =>"
        " { const g = q.result.transaction('outbox').objectStore('outbox').getAll();"
        " g.onsuccess = () => { window.__kept = g.result; r(); }; }; })"
    )
    case.refresh_from_db()
    assert case.state != "resolved"

    page.context.set_offline(False)
    sent = _outbox(page, "sent")
    sent.wait_for(timeout=20000)
    assert f"工单 {case.number} 已办结" in sent.inner_text()
    assert sent.locator(f"a[href='/cases/grid/c/{case.number}/']").count() == 1
    case.refresh_from_db()
    assert case.state == "resolved" and case.result == "已换灯泡"
    assert CasePhoto.objects.filter(case=case, kind="result").count() == 1
    _shot(page, "worker-offline-sent.png")

    # The same entry sent again from the outbox (a second tab, a lost answer): a clear note,
    # nothing saved twice.
    page.evaluate(
        "() => new Promise(r => { const q = indexedDB.open('linli-offline', 2); q.onsuccess = () =>"
        " { const t = q.result.transaction(['outbox', 'done'], 'readwrite');"
        " window.__kept.forEach(i => { i.state = 'waiting'; t.objectStore('outbox').put(i);"
        " t.objectStore('done').delete(i.key); }); t.oncomplete = r; }; })"
    )
    page.evaluate("window.LinliOffline.drain()")
    _outbox(page, "sent").wait_for()
    assert "没有重复保存" in _outbox(page, "sent").inner_text()
    assert CaseEvent.objects.filter(case=case, action="resolve").count() == 1
    assert CasePhoto.objects.filter(case=case, kind="result").count() == 1
    assert page.evaluate("window.LinliOffline.pending()") == 0


def test_resident_files_offline_then_online_and_sees_what_comes_next(
    phone_page, live_server, transactional_territory, tmp_path
):
    from django.core.cache import cache

    cache.clear()  # the anonymous filing limit counts per phone number
    desk = build_desk(transactional_territory)
    page = phone_page
    _fill_case(page, desk, tmp_path, "地下车库漏水")
    page.fill("input[name=reporter_phone]", "13912345678")
    page.context.set_offline(True)
    page.click("form[data-offline] button[type=submit]")
    page.wait_for_selector("[data-offline-status].warn")
    assert "待发送" in _outbox(page, "waiting").inner_text()
    assert page.evaluate("window.LinliOffline.pending()") == 1
    # The form is empty again, with a new key, for the next problem.
    assert page.input_value("textarea[name=description]") == ""
    assert not Case.objects.exists()
    _shot(page, "resident-offline.png")

    page.context.set_offline(False)
    sent = _outbox(page, "sent")
    sent.wait_for(timeout=20000)
    case = Case.objects.get()
    text = sent.inner_text()
    assert case.number in text and "前与您电话联系" in text and "请记下您的查询码" in text
    assert show_tracking_code(case.tracking_code) in text
    track = sent.locator("a").first.get_attribute("href")
    assert track.startswith("/cases/t/")
    assert case.reporter_phone == "13912345678" and CasePhoto.objects.filter(case=case).count() == 1
    # Opening a page again sends nothing more; the sent entry is still listed until cleared.
    page.goto("/cases/new/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.LinliOffline.pending()") == 0
    assert Case.objects.count() == 1
    assert _outbox(page, "sent").count() == 1
    page.click("#outbox [data-outbox-clear]")
    page.wait_for_selector("#outbox", state="hidden")

    # Online: the page the server names shows the confirmation (it used to be spent on a
    # page the script fetched and threw away).
    _fill_case(page, desk, tmp_path, "楼道堆满杂物")
    page.fill("input[name=reporter_phone]", "13912345678")
    page.click("form[data-offline] button.primary[type=submit]")  # not "follow that one"
    page.wait_for_url("**/cases/t/*/")
    second = Case.objects.exclude(pk=case.pk).get()
    flash = page.locator(".messages").inner_text()
    assert second.number in flash and "前与您电话联系" in flash
    # The flash is shown once: the page kept for offline use does not carry it.
    page.reload()
    assert page.locator(".messages").count() == 0


def test_grid_worker_double_tap_saves_once_and_says_what_next(
    phone_page, live_server, transactional_territory
):
    desk = build_desk(transactional_territory)
    case = desk.dispatched()
    page = phone_page
    _login(page, "grid_a")
    page.goto(f"/cases/grid/c/{case.number}/")
    button = page.locator(".action-sign_for button[type=submit]")
    # Two taps before the page changes: the second finds the form busy.
    button.evaluate("b => { b.form.requestSubmit(); b.form.requestSubmit(); }")
    page.wait_for_selector(".messages")
    flash = page.locator(".messages").inner_text()
    assert f"工单 {case.number} 已签收" in flash and "前联系诉求人" in flash
    assert CaseEvent.objects.filter(case=case, action="sign_for").count() == 1
    assert PHONE["width"] >= page.evaluate("document.documentElement.scrollWidth")
