"""适老化 and accessibility, checked in the suite (issue 16, item 6).

Every public, resident, grid-worker and volunteer page of the demo city, at 390×844 in Chromium,
in the standard and the elder mode (大字模式, html.elder): axe-core finds nothing serious or
critical, and the MIIT elder-interface rules hold (tests/a11y/checks.js: text ≥ 18 px / 22 px,
line height ≥ 1.3, controls ≥ 44×44 / 60×60 px, contrast ≥ 4.5:1, the 长辈版 entry at the top,
no timed step). Page states with a confirmation message and with the phone's outbox list are
checked too. A second, quicker test measures the tap targets of the forms people tap most."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.a11y.pages import deliberation_pages, demo_pages
from tests.a11y.sweep import Findings, check, report
from tests.conftest import PHONE

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "linli-demo-2026"


def _phone(chromium, live_server, *, elder: bool, username: str = "", password: str = ""):
    context = chromium.new_context(
        viewport=PHONE,
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
        service_workers="block",  # what the server sends is checked, not a kept copy
        # axe-core goes in as a script tag, which the pages' CSP refuses (as it should); the
        # CSP itself is checked by tests/portal/test_csp_browser.py.
        bypass_csp=True,
    )
    context.add_cookies([{"name": "elder", "value": "1" if elder else "0", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(20000)
    if username:
        page.goto("/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("main button[type=submit]")
        page.wait_for_load_state("networkidle")
    return context, page


def _open(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    page.wait_for_load_state("load")


def test_every_phone_page_passes_axe_and_the_elder_rules(chromium, live_server, transactional_db):
    call_command("seed_demo", quiet_logins=True, force=True)
    _sweep(chromium, live_server, demo_pages(), messages=True)


def test_deliberation_pages_pass_axe_and_the_elder_rules(chromium, live_server, transactional_db):
    """The 议事 pages alone (they are in the full sweep too): `-k deliberation`."""
    call_command("seed_demo", quiet_logins=True, force=True)
    _sweep(chromium, live_server, deliberation_pages(), messages=False)


def _sweep(chromium, live_server, pages, *, messages: bool) -> None:
    findings: list[Findings] = []
    checked = 0
    for elder in (False, True):
        for who in dict.fromkeys(who for who, _label, _url in pages):
            context, page = _phone(
                chromium, live_server, elder=elder, username=who, password=DEMO_PASSWORD
            )
            try:
                if who:  # the login itself worked: the header offers to log out
                    assert page.locator("form[action$='/logout/']").count() == 1, who
                for _who, label, url in (p for p in pages if p[0] == who):
                    _open(page, url)
                    assert ("elder" in page.evaluate("document.documentElement.className")) == elder
                    findings.append(
                        check(page, f"{who or 'anonymous'}: {label} {url}", elder=elder)
                    )
                    checked += 1
                if messages and who == "grid1":
                    checked += _states_with_messages(page, elder, findings)
            finally:
                context.close()
    assert checked >= 2 * len(pages)
    problems = report(findings)
    assert not problems, f"{checked} page states checked; found:\n{problems}"


def _states_with_messages(page, elder: bool, findings: list[Findings]) -> int:
    """A confirmation message (the flash list) and the outbox list with an entry waiting and
    one sent: states a plain page visit never shows."""
    mode = "elder" if elder else "standard"
    _open(page, "/cases/grid/patrol/")
    page.fill("textarea[name=seen]", f"消防通道畅通（{mode}）")
    page.click("form[data-offline] button[type=submit]")
    page.wait_for_selector(".messages")
    findings.append(check(page, "grid1: patrol stop confirmed (flash)", elder=elder))
    page.context.set_offline(True)
    page.fill("textarea[name=seen]", f"楼道有杂物（{mode}）")
    page.click("form[data-offline] button[type=submit]")
    page.wait_for_selector("#outbox li[data-outbox-state=waiting]")
    findings.append(check(page, "grid1: a stop waiting in the outbox", elder=elder))
    page.context.set_offline(False)
    page.wait_for_selector("#outbox li[data-outbox-state=sent]", timeout=30000)
    findings.append(check(page, "grid1: the stop sent from the outbox", elder=elder))
    return 3


def test_tap_targets_of_the_callback_and_case_forms(chromium, live_server, transactional_territory):
    """The rating's radio buttons (once 28×28 px), the worker's step buttons and folded forms:
    at least 44×44 px, and 60×60 px in the elder mode; measured, not assumed."""
    from services import actions
    from tests.services.conftest import build_desk
    from tests.territory import PASSWORD

    desk = build_desk(transactional_territory)
    rated = desk.dispatched()
    worker = desk.user("grid_a")
    actions.sign_for(rated, actor=worker)
    actions.resolve(rated, actor=worker, result="已修好")
    in_hand = desk.dispatched(description="路灯不亮")
    actions.sign_for(in_hand, actor=worker)
    for elder in (False, True):
        side = 60 if elder else 44
        for username, url in (
            ("resident_a", f"/cases/c/{rated.number}/"),
            ("grid_a", f"/cases/grid/c/{in_hand.number}/"),
        ):
            context, page = _phone(
                chromium, live_server, elder=elder, username=username, password=PASSWORD
            )
            try:
                _open(page, url)
                page.locator("details").evaluate_all("ds => ds.forEach(d => d.open = true)")
                sizes = page.locator(
                    "main input[type=radio], main button, main summary, main textarea"
                ).evaluate_all(
                    "els => els.filter(e => e.getClientRects().length).map(e => {"
                    " const r = e.getBoundingClientRect(); return [e.outerHTML.slice(0, 60),"
                    " r.width, r.height]; })"
                )
                assert len(sizes) >= 3, sizes
                small = [s for s in sizes if s[1] < side - 0.5 or s[2] < side - 0.5]
                assert not small, f"{url} ({'elder' if elder else 'standard'}): {small}"
                if username == "resident_a":
                    radios = [s for s in sizes if "radio" in s[0]]
                    assert len(radios) == 7  # solved yes/no and five stars
                found = check(page, url, elder=elder)
                targets = [e for e in found.elder if e["rule"] == "target"]
                assert not targets, targets
            finally:
                context.close()
