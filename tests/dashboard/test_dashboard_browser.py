"""The dashboard in headless Chromium with outlines drawn like the demo city's: at 1440×900 the
map has shapes, the charts drew, a number equals the KPI API's, and the drill-down from the
street to a grid works with the keyboard alone; the phone and big-screen layouts draw the same
map. The screenshots illustrate docs/guides/street-and-district-staff.md."""

from __future__ import annotations

import pytest
from django.utils import timezone

from grids import actions as grid_actions
from grids.boundaries import draw
from tests.a11y.sweep import check, report
from tests.services.conftest import build_desk
from tests.services.test_browser import _shot
from tests.services.test_kpis import make
from tests.territory import PASSWORD

pytestmark = pytest.mark.browser


def test_desk_phone_and_big_screen_layouts(chromium, live_server, transactional_territory):
    desk = build_desk(transactional_territory)
    t = desk.t
    now = timezone.now()
    ok = {"sign_on_time": True, "contact_on_time": True}
    for i in range(4):
        make(
            desk,
            place=(t.a if i % 2 else t.b).buildings[0],
            **ok,
            dispatched_at=now - timezone.timedelta(hours=1 + i),
            state="in_progress",
            resolve_due=now + timezone.timedelta(hours=-1 if i == 0 else 5),
            lat=24.92 + i * 0.002,
            lng=118.6 + i * 0.002,
        )
    grid_actions.set_boundaries(
        draw(t.district, (118.58, 24.9, 118.64, 24.96), down_to_depth=t.district.depth + 3)
    )
    context = chromium.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    try:
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "street")
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto("/dashboard/")
        page.wait_for_selector("#dash-map[data-ready='1']")
        assert page.get_attribute("#dash-map", "data-shapes") == "2"
        assert page.locator("#dash-map path.leaflet-interactive").count() >= 2
        page.wait_for_selector(".chart[data-chart='trend'][data-drawn='1']")
        assert page.locator(".chart[data-chart='trend'] canvas").count() >= 1
        month = timezone.localdate().replace(day=1)
        nxt = (month.replace(day=28) + timezone.timedelta(days=4)).replace(day=1)
        api = page.request.get(
            f"/api/services/kpis/?area={t.street.pk}&start={month}&end={nxt}",
            headers={"Accept": "application/json"},
        ).json()
        shown = page.locator("[data-figure='dispatched'] .n").inner_text()
        assert shown == str(api["kpis"]["dispatched"]) == "4"
        _shot(page, "dashboard-desk.png")
        found = check(page, "dashboard desk", elder=False)
        assert not found.serious(), report([found], rules=())

        # Keyboard only: street → community → level-1 grid → level-2 grid.
        for expected in (t.a.community.name, "甲一级网格", "甲网格1"):
            link = page.locator("#dash-ranking a.drill", has_text=expected).first
            link.focus()
            page.keyboard.press("Enter")
            page.wait_for_load_state("networkidle")
            assert page.locator(".dash-crumbs [aria-current=page]").inner_text() == expected
        page.locator(".dash-crumbs a", has_text="测试街道").focus()
        page.keyboard.press("Enter")
        page.wait_for_load_state("networkidle")
        assert page.locator(".dash-crumbs [aria-current=page]").inner_text() == "测试街道"

        page.set_viewport_size({"width": 390, "height": 844})
        page.goto("/dashboard/?layout=phone")
        page.wait_for_selector("#dash-map[data-ready='1']")
        assert page.get_attribute("#dash-map", "data-shapes") == "2"
        _shot(page, "dashboard-phone.png")

        page.set_viewport_size({"width": 1920, "height": 1080})
        page.goto("/dashboard/?layout=screen")
        page.wait_for_selector("#dash-map[data-ready='1']")
        page.wait_for_selector("#dash[data-spot]")
        assert page.locator(".dash-spotlight h3").inner_text().startswith("第1名")
        # A wall display: no site header, menu, display toolbar or footer; the page is the map.
        for chrome in (".site-header", ".toolbar", ".site-footer"):
            assert not page.locator(chrome).is_visible(), chrome
        page.screenshot(path=str(_img("dashboard-screen.png")))
        found = check(page, "dashboard big screen", elder=False)
        assert not found.serious(), report([found], rules=())
    finally:
        context.close()


def _img(name):
    from tests.services.test_browser import IMG

    IMG.mkdir(parents=True, exist_ok=True)
    return IMG / name
