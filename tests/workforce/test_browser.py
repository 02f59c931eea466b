"""The worker list and a worker's page in headless Chromium, as the street's staff office:
axe-clean at desk width, the search narrows the list, the worker's page shows the pay. The
screenshots illustrate docs/guides/street-and-district-staff.md."""

from __future__ import annotations

import pytest

from tests.a11y.sweep import check, report
from tests.services.test_browser import _login, _shot
from tests.workforce.conftest import PUTIAN, Staff, build_ladder

pytestmark = pytest.mark.browser


def test_worker_list_and_page_are_axe_clean(chromium, live_server, transactional_territory):
    t = transactional_territory
    staff = Staff(t=t, ladder=build_ladder(t.city, PUTIAN))
    for i, name in enumerate(["陈丽华", "林建国", "黄秀英"]):
        w = staff.worker(name=name, grade=2 + i)
        staff.assess(w, 2025, 78 + 5 * i)
    staff.worker("b", name="郑志明", grade=4)
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    try:
        _login(page, "street")
        page.goto("/workforce/")
        assert page.locator("#workers tbody tr").count() == 4
        found = check(page, "worker list", elder=False)
        assert not found.serious(), report([found], rules=())
        _shot(page, "workforce-workers.png")
        page.fill("input[name=q]", "林")
        page.click("form[role=search] button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator("#workers tbody tr").count() == 1
        page.click("#workers tbody a")
        page.wait_for_load_state("networkidle")
        assert page.locator("#pay").inner_text().strip() != "—"
        found = check(page, "worker page", elder=False)
        assert not found.serious(), report([found], rules=())
        _shot(page, "workforce-worker.png")
    finally:
        context.close()
