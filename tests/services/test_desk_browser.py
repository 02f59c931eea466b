"""The desk in headless Chromium at 1440×900: community staff log in and land on it, open a
tile, tick every case of the page and dispatch them; the list stacks as cards on a phone. The
screenshots illustrate docs/guides/community-staff.md (`make screenshots`)."""

from __future__ import annotations

import pytest

from services.models import Case
from tests.services.conftest import build_desk
from tests.services.test_browser import _shot
from tests.territory import PASSWORD

pytestmark = pytest.mark.browser


def test_staff_land_on_the_desk_and_dispatch_a_tile_in_bulk(
    chromium, live_server, transactional_territory
):
    desk = build_desk(transactional_territory)
    waiting = [desk.file(description=f"楼道灯坏了第{i}盏，晚上很黑") for i in range(2)]
    late = desk.dispatched()
    Case.objects.filter(pk=late.pk).update(card_level=2)
    context = chromium.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "community_a")
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/desk/")
        tile = page.locator("a.desk-tile", has_text="待派单")
        assert tile.locator(".desk-tile-count").inner_text() == "2"
        assert page.locator("a.desk-tile.warn .desk-tile-count").first.inner_text() == "1"
        _shot(page, "desk-home.png")

        tile.click()
        page.wait_for_url("**/desk/cases/?queue=dispatch")
        assert page.locator("table.desk-table tbody tr").count() == 2
        submit = page.locator("[data-bulk-submit]")
        assert submit.is_disabled()  # nothing ticked yet
        page.check("[data-select-all]")
        assert page.locator("[data-bulk-count]").inner_text() == "已勾选 2 件"
        _shot(page, "desk-cases.png")
        submit.click()
        page.wait_for_load_state("networkidle")
        assert "已派发 2 件工单。" in page.content()
        assert set(
            Case.objects.filter(pk__in=[c.pk for c in waiting]).values_list("state", flat=True)
        ) == {"dispatched"}

        # Word search from the desk's box, then the same list on a phone: cards, no table head.
        page.goto("/desk/")
        page.fill("#desk-q", "楼道灯")
        page.press("#desk-q", "Enter")
        page.wait_for_url("**/desk/cases/?q=*")
        assert page.locator("table.desk-table tbody tr").count() == 2
        page.set_viewport_size({"width": 390, "height": 844})
        head = page.locator("table.desk-table thead").bounding_box()
        assert head is None or head["x"] < 0  # moved off screen, rows read as cards
        row = page.locator("table.desk-table tbody tr").first.bounding_box()
        assert row is not None and row["width"] <= 390
    finally:
        context.close()
