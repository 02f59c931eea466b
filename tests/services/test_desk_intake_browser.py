"""The desk's intake form in headless Chromium at a desk's 1440×900, with its script
(static/desk/intake.js, static/desk/map.js). Its screenshots illustrate
docs/guides/community-staff.md (`LINLI_GUIDE_SCREENSHOTS=1`)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from grids import actions as grid_actions
from services.models import Case
from tests.services.conftest import build_desk
from tests.territory import PASSWORD


@pytest.mark.browser
def test_keying_in_a_call_in_chromium(chromium, live_server, transactional_territory, tmp_path):
    """The form with its script at a desk's 1440×900: the caller comes up as the phone is
    typed, the place is found as it is typed, the duplicate shows once place and category are
    known, a click on the map keeps the point, and the save lands on the confirmation."""
    desk = build_desk(transactional_territory)
    a0 = desk.t.a.buildings[0]
    grid_actions.update_area(a0, actor=desk.user("superuser"), lat=24.9, lng=118.6)
    resident = desk.user("resident_a")
    earlier = desk.file(
        actor=desk.user("community_a"), channel="hotline", reporter_phone=resident.phone
    )
    shots = (
        Path(__file__).resolve().parents[2] / "docs" / "guides" / "img"
        if os.environ.get("LINLI_GUIDE_SCREENSHOTS") == "1"
        else Path(tempfile.gettempdir()) / "linli-screenshots"
    )
    shots.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "community_a")
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.goto("/desk/new/")
        page.check("input[name=channel][value=window]")
        page.fill("input[name=phone]", resident.phone)
        page.press("input[name=phone]", "Enter")
        page.wait_for_selector("[data-caller-card]")
        assert earlier.number in page.inner_text("[data-caller]")
        page.fill("input[name=q]", "甲小区1 1号楼")
        page.click(".place-options button >> nth=0")
        assert page.input_value("[data-place-chosen] input[name=place]") == str(a0.pk)
        page.select_option("select[name=category]", str(desk.potholes.pk))
        page.wait_for_selector(f"[data-duplicates] >> text={earlier.number}")
        page.click(".map-pick summary")
        page.locator(".place-map").click(position={"x": 200, "y": 150})
        page.wait_for_function("document.querySelector('input[name=lat]').value !== ''")
        page.wait_for_selector("[data-place-chosen] .chosen")
        page.fill("textarea[name=description]", "楼道灯坏了三天，老人晚上下楼不方便")
        page.screenshot(path=str(shots / "desk-intake.png"), full_page=True)
        page.click("[data-save]")
        page.wait_for_selector(".intake-done")
        page.screenshot(path=str(shots / "desk-intake-done.png"), full_page=True)
        case = Case.objects.exclude(pk=earlier.pk).get()
        assert case.number in page.inner_text(".receipt")
        assert (case.channel, case.reporter_id, case.place_id) == ("window", resident.pk, a0.pk)
        assert case.lat is not None and case.lng is not None
    finally:
        context.close()
    assert errors == []
