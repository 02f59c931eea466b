"""The desk as street, district and department staff see it, in headless Chromium at a desk's
1440×900: the street's desk counts its communities' cases and the case list narrows to one
community; a department handler lands on the desk, opens the case dispatched to the department
and signs for it with the first button. The screenshots illustrate
docs/guides/street-and-district-staff.md and docs/guides/department-handler.md
(`make screenshots`)."""

from __future__ import annotations

import pytest

from services import actions
from services.models import Case
from tests.services.conftest import build_desk
from tests.services.test_browser import _login, _shot

pytestmark = pytest.mark.browser


def _page(chromium, live_server):
    context = chromium.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def test_street_and_district_staff_see_their_communities(
    chromium, live_server, transactional_territory
):
    desk = build_desk(transactional_territory)
    for side in ("a", "b"):
        place = getattr(desk.t, side).buildings[0]
        desk.file(place=place, description=f"{side}区路灯不亮，晚上很黑")
    late = desk.dispatched()
    Case.objects.filter(pk=late.pk).update(card_level=2)
    for username, shot in (("street", "desk-street.png"), ("district", None)):
        context, page = _page(chromium, live_server)
        try:
            _login(page, username)
            page.wait_for_url("**/desk/")
            tile = page.locator("a.desk-tile", has_text="待派单")
            assert tile.locator(".desk-tile-count").inner_text() == "2"  # both communities
            if shot:
                _shot(page, shot)
            page.goto(f"/desk/cases/?area={desk.t.a.community.pk}")
            rows = page.locator("table.desk-table tbody tr")
            assert rows.count() == 2  # side a's waiting case and the late one
            assert "b区路灯" not in page.inner_text("table.desk-table")
            if shot:
                _shot(page, "desk-street-cases.png")
        finally:
            context.close()


def test_a_department_handler_signs_for_from_the_case_page(
    chromium, live_server, transactional_territory
):
    desk = build_desk(transactional_territory)
    case = desk.file(description="小区门口下水道堵塞，污水外溢")
    actions.dispatch(case, actor=desk.user("community_a"))
    actions.transfer(
        case, actor=desk.user("street"), department=desk.t.department, note="请水务部门处理"
    )
    context, page = _page(chromium, live_server)
    try:
        _login(page, "dept")
        page.wait_for_url("**/desk/")
        tile = page.locator("a.desk-tile", has_text="待签收")
        assert tile.locator(".desk-tile-count").inner_text() == "1"
        _shot(page, "desk-department.png")
        tile.click()
        page.click(f"text={case.number}")
        page.wait_for_url(f"**/desk/c/{case.number}/")
        _shot(page, "desk-department-case.png")
        page.locator("button", has_text="签收").first.click()
        page.wait_for_load_state("networkidle")
        case.refresh_from_db()
        assert case.signed_at is not None
        assert "已签收" in page.content() or "签收" in page.inner_text(".messages")
    finally:
        context.close()
