"""Issue #15's whole path in headless Chromium, with a real Celery worker: a hotline call keyed
in at the desk (1440×900) for a resident named by phone → dispatched by the worker process →
the grid worker's bell shows it on a phone (390×844) and the case is marked new → signed for →
the resident logs in with a code texted to that phone and finds the case and its notice."""

from __future__ import annotations

import re

import pytest

from portal.accounts import LogSms
from services.models import Case
from tests.conftest import PHONE, wait_until
from tests.services.conftest import build_desk
from tests.territory import PASSWORD

DESK = {"width": 1440, "height": 900}


def _context(chromium, live_server, viewport, **phone):
    context = chromium.new_context(
        viewport=viewport, locale="zh-CN", base_url=live_server.url, **phone
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def _password_login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.mark.browser
def test_hotline_call_to_grid_worker_to_resident(
    chromium, live_server, transactional_territory, celery_worker_process
):
    desk = build_desk(transactional_territory)
    resident = desk.user("resident_a")
    building = desk.t.a.buildings[0]

    # 1. The operator keys in the call at the desk; staff land on the desk after login.
    context, page, errors = _context(chromium, live_server, DESK)
    try:
        _password_login(page, "community_a")
        assert page.url.endswith("/desk/")
        page.goto("/desk/new/")
        page.check("input[name=channel][value=hotline]")
        page.fill("input[name=phone]", resident.phone)
        page.press("input[name=phone]", "Enter")
        page.wait_for_selector("[data-caller-card]")
        page.fill("input[name=q]", f"甲小区1 {building.name}")
        page.click(".place-options button >> nth=0")
        page.select_option("select[name=category]", str(desk.potholes.pk))
        page.fill("textarea[name=description]", "电话反映：小区门口路面塌了一个坑，晚上看不见")
        page.click("[data-save]")
        page.wait_for_selector(".intake-done")
        case = Case.objects.get()
        assert case.number in page.inner_text(".receipt")
        assert (case.channel, case.reporter_id, case.place_id) == (
            "hotline",
            resident.pk,
            building.pk,
        )
    finally:
        context.close()
    assert errors == []

    # 2. The worker process dispatches it (sent on commit by the intake).
    wait_until(lambda: Case.objects.get(pk=case.pk).state == "dispatched", timeout=30)
    case.refresh_from_db()
    assert case.assignee == desk.user("grid_a")

    # 3. The grid worker's phone: the bell counts it, the list marks it new, they sign for it.
    context, page, errors = _context(chromium, live_server, PHONE, is_mobile=True, has_touch=True)
    try:
        _password_login(page, "grid_a")
        page.goto("/cases/grid/")
        assert int(page.locator("#bell .bell-count").inner_text()) >= 1
        row = page.locator(f"a.tile.is-new[href='/cases/grid/c/{case.number}/']")
        assert row.locator(".badge.new").count() == 1
        row.click()
        page.wait_for_url(f"**/cases/grid/c/{case.number}/")
        page.click(".action-sign_for button[type=submit]")
        page.wait_for_selector(".action-resolve")
        case.refresh_from_db()
        assert case.state == "signed"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
    assert errors == []

    # 4. The resident logs in with a code texted to the phone the operator named.
    context, page, errors = _context(chromium, live_server, PHONE, is_mobile=True, has_touch=True)
    try:
        page.goto("/cases/login/")
        page.fill("input[name=phone]", resident.phone)
        page.click("button[name=step][value=send]")
        page.wait_for_load_state("networkidle")
        text = next(t for phone, t in reversed(LogSms.sent) if phone == resident.phone)
        code = re.search(r"\d{6}", text).group(0)
        page.fill("input[name=code]", code)
        page.click("button[name=step][value=login]")
        page.wait_for_load_state("networkidle")
        page.goto("/cases/mine/")
        assert case.number in page.inner_text("main")
        page.goto("/inbox/")
        notices = page.inner_text("main")
        assert case.number in notices
    finally:
        context.close()
    assert errors == []
