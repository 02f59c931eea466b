"""A resident on the phone (390×844) asks for mediation and follows it, in the standard and
the elder mode (大字模式): axe-core finds nothing serious and the elder rules hold on the form,
its error state and the progress page. A mediator's dispute page at desk size is axe-clean
too. The screenshots illustrate docs/guides/resident.md and community-staff.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from grids.models import Resident
from mediation import actions
from mediation.models import Dispute
from tests.a11y.sweep import check, report
from tests.conftest import PHONE
from tests.mediation.conftest import build_med
from tests.territory import PASSWORD

pytestmark = pytest.mark.browser

IMG = Path(__file__).resolve().parents[2] / "docs" / "guides" / "img"


def _login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


def _phone(chromium, live_server, elder: bool):
    context = chromium.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, base_url=live_server.url
    )
    context.add_cookies([{"name": "elder", "value": "1" if elder else "0", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


@pytest.mark.parametrize("elder", [False, True])
def test_a_resident_asks_for_mediation_on_the_phone(
    chromium, live_server, transactional_territory, elder
):
    med = build_med(transactional_territory)
    resident = med.user("resident_a")
    Resident.objects.create(
        household=med.t.a.households[0], user=resident, name="赵阿姨", phone="13900000001"
    )
    context, page = _phone(chromium, live_server, elder)
    findings = []
    try:
        _login(page, "resident_a")
        page.goto("/")
        page.click("a.tile[href='/mediation/ask/']")
        page.wait_for_load_state("networkidle")
        assert (
            page.locator("h1").inner_text() == "申请调解 (申请调解)"
            or "调解" in page.locator("h1").inner_text()
        )
        assert ("elder" in page.evaluate("document.documentElement.className")) == elder
        findings.append(check(page, "ask", elder=elder))
        # Sent empty: the browser's own check stops it; bypass it to see the server's words.
        page.evaluate("document.querySelector('main form.stack').noValidate = true")
        page.click("main form.stack button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator("main .error").count() >= 2
        findings.append(check(page, "ask with errors", elder=elder))
        assert not Dispute.objects.exists()

        page.select_option("#id_kind", "neighbour")
        page.fill("#id_other_party", "302室住户")
        page.fill("#id_facts", "楼上每晚十二点后跳绳，噪音很大，想请社区调解。")
        if not elder:
            IMG.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(IMG / "mediation-ask-phone.png"), full_page=True)
        page.click("main form.stack button[type=submit]")
        page.wait_for_load_state("networkidle")
        dispute = Dispute.objects.get()
        assert page.url.endswith(f"/mediation/mine/{dispute.pk}/")
        assert dispute.number in page.locator(".messages").inner_text()
        assert page.locator(".stepper [aria-current=step]").count() == 1
        findings.append(check(page, "progress", elder=elder))

        actions.assign_mediator(
            dispute, actor=med.user("community_a"), user=med.user("mediator_a"), kind="community"
        )
        page.reload()
        assert page.locator(".timeline li").count() == 2
        if not elder:
            page.screenshot(path=str(IMG / "mediation-progress-phone.png"), full_page=True)
        # No horizontal scrolling on the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
    assert not [f for f in findings if f.serious() or f.elder], report(findings)


def test_the_mediators_dispute_page_is_axe_clean(chromium, live_server, transactional_territory):
    med = build_med(transactional_territory)
    dispute = med.dispute()
    actions.assign_mediator(
        dispute, actor=med.user("community_a"), user=med.user("mediator_a"), kind="community"
    )
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        _login(page, "mediator_a")
        page.goto(f"/mediation/{dispute.pk}/")
        page.fill("#id_reason", "准备第一次调解")
        page.click("#reveal button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "王秀英" in page.locator("#parties").inner_text()
        found = check(page, "dispute page", elder=False)
        IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMG / "mediation-dispute-desk.png"), full_page=True)
    finally:
        context.close()
    assert not found.serious(), report([found])
