"""Phones in headless Chromium (390×844): the resident shows the check-in QR code, the
volunteer opens the scan link and checks in, then checks out; the resident rates the service
with the big star buttons; the volunteer sees the points, redeems rice in the charity shop.
Then a volunteer redeems within the balance (a dearer reward is shown disabled with the
reason), and a party member reads the 爱心存折 passbook."""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from tests.territory import PASSWORD
from tests.volunteers.conftest import add_relative, make_volunteer, place
from volunteers.models import OrderStatus, Reward, ServiceOrder, Voucher


def browser_login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots go to the guides only when asked (`make screenshots`); otherwise to scratch.
IMG = (
    Path(__file__).resolve().parents[2] / "docs" / "guides" / "img"
    if os.environ.get("LINLI_GUIDE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "linli-screenshots"
)


def _shot(page, name: str) -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / name), full_page=True)


def test_order_served_rated_paid_and_spent_on_a_phone(
    chromium, live_server, transactional_territory
):
    t = transactional_territory
    add_relative(t)
    helper = make_volunteer(t.user("grid_a"), t.a.community)
    order = place(t)
    Reward.objects.create(
        community=t.a.community, name="爱心超市 大米", kind="goods", cost=50, stock=3
    )

    def phone():
        ctx = chromium.new_context(
            viewport={"width": 390, "height": 844},
            locale="zh-CN",
            is_mobile=True,
            base_url=live_server.url,
        )
        page = ctx.new_page()
        page.set_default_timeout(15000)
        return ctx, page

    rctx, resident = phone()
    vctx, volunteer = phone()
    try:
        browser_login(resident, "resident_a")
        browser_login(volunteer, "grid_a")
        volunteer.goto("/volunteers/orders/")
        volunteer.click(f"a[href='/volunteers/orders/{order.pk}/']")
        volunteer.click("text=我要接单")
        volunteer.wait_for_selector("text=已接单")

        resident.goto(f"/volunteers/orders/{order.pk}/")
        assert resident.locator(".qr svg").count() == 1
        # The volunteer "scans": opens the link the code encodes.
        from volunteers import actions

        token = actions.qr_token(ServiceOrder.objects.get(pk=order.pk), "in")
        volunteer.goto(f"/volunteers/orders/{order.pk}/scan/?t={token}")
        volunteer.click("text=立即签到")
        volunteer.wait_for_selector("text=已签到")
        ServiceOrder.objects.filter(pk=order.pk).update(
            checked_in_at=timezone.now() - timedelta(minutes=60)
        )
        token = actions.qr_token(ServiceOrder.objects.get(pk=order.pk), "out")
        volunteer.goto(f"/volunteers/orders/{order.pk}/scan/?t={token}")
        volunteer.click("text=立即签退")
        volunteer.wait_for_selector("text=已签退")

        resident.goto(f"/volunteers/orders/{order.pk}/")
        # The stars are big targets: the whole label, at least 44 px high.
        star = resident.locator("label:has(input[name=rating][value='5'])")
        assert star.bounding_box()["height"] >= 44
        resident.check("input[name=rating][value='5']")
        resident.click("text=确认时长")
        resident.wait_for_selector("text=已发放福分")
        assert ServiceOrder.objects.get(pk=order.pk).status == OrderStatus.SETTLED

        volunteer.goto("/volunteers/points/")
        assert "1.00" in volunteer.inner_text(".lead")
        volunteer.goto("/volunteers/rewards/")
        volunteer.once("dialog", lambda d: d.accept())
        volunteer.click("button:has-text('兑换')")
        volunteer.wait_for_selector("text=请在商户出示兑换券")
        assert Voucher.objects.filter(holder=helper.user).count() == 1
        # Big enough to tap: the primary buttons are at least 44 px high.
        box = volunteer.locator("button.primary").first.bounding_box()
        assert box["height"] >= 44
        assert Decimal(str(volunteer.evaluate("document.documentElement.scrollWidth"))) <= 390
    finally:
        rctx.close()
        vctx.close()


def _phone(chromium, live_server):
    ctx = chromium.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
    )
    page = ctx.new_page()
    page.set_default_timeout(15000)
    return ctx, page


def _text_size(page, selector: str) -> None:
    """Elder-friendly text: at least 18 px."""
    size = page.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 18, (selector, size)


def _tappable(page, selector: str) -> None:
    """Elder-friendly controls: at least 44 px each way, with text at least 18 px."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44, (selector, box)
    _text_size(page, selector)


def test_volunteer_redeems_within_the_balance_on_a_phone(
    chromium, live_server, transactional_territory
):
    from volunteers import ledger

    t = transactional_territory
    add_relative(t)
    user = t.user("resident_a")
    ledger.award(user, Decimal(2), t.a.community, key="seed")
    cheap = Reward.objects.create(
        community=t.a.community, name="理发券", kind="discount", cost=150, stock=3
    )
    dear = Reward.objects.create(
        community=t.a.community, name="家政服务1小时", kind="housekeeping", cost=300, stock=3
    )
    ctx, page = _phone(chromium, live_server)
    try:
        browser_login(page, "resident_a")
        page.goto("/volunteers/rewards/")
        assert page.inner_text("#balance") == "2.00"
        # The dearer one: its price, a disabled button and the reason, said in words.
        dear_card = page.locator("li.card", has_text="家政服务1小时")
        assert "3.00 福分" in dear_card.inner_text()
        assert dear_card.locator("button").is_disabled()
        assert "还差 1.00 福分" in dear_card.inner_text()
        cheap_card = page.locator("li.card", has_text="理发券")
        assert "1.50 福分" in cheap_card.inner_text()
        _tappable(page, "li.card button.primary")
        _tappable(page, "li.card button[disabled]")
        _shot(page, "volunteer-rewards.png")
        _text_size(page, ".price")
        _text_size(page, ".reason")
        questions = []

        def accept(dialog):
            questions.append(dialog.message)
            dialog.accept()

        page.once("dialog", accept)
        cheap_card.locator("button.primary").click()
        page.wait_for_selector("text=请在商户出示兑换券")
        assert questions == ["确定用 1.50 福分兑换“理发券”吗？"]
        assert page.inner_text("#balance") == "0.50"
        voucher = Voucher.objects.get(holder=user)
        assert voucher.reward == cheap and voucher.code in page.inner_text("#vouchers")
        # Now the cheap one is out of reach too, and says so; nothing else was taken.
        assert page.locator("li.card", has_text="理发券").locator("button").is_disabled()
        dear.refresh_from_db()
        assert dear.stock == 3
        assert Decimal(str(page.evaluate("document.documentElement.scrollWidth"))) <= 390
    finally:
        ctx.close()


def test_party_member_reads_the_passbook_on_a_phone(chromium, live_server, transactional_territory):
    from volunteers import actions

    t = transactional_territory
    add_relative(t)
    member = make_volunteer(t.user("unit_a"), t.a.community, party=True)
    order = place(t)
    actions.take_order(order, member.user)
    actions.check_in(order, member.user, actions.qr_token(order, "in"))
    ServiceOrder.objects.filter(pk=order.pk).update(
        checked_in_at=timezone.now() - timedelta(minutes=90)
    )
    actions.check_out(order, member.user, actions.qr_token(order, "out"))
    actions.confirm_order(order, t.user("resident_a"), 5)
    ctx, page = _phone(chromium, live_server)
    try:
        browser_login(page, "unit_a")
        page.goto("/volunteers/")
        page.click("a:has-text('爱心存折')")
        page.wait_for_selector("h1:has-text('爱心存折')")
        assert page.inner_text("#party-balance") == "1.50"
        assert page.inner_text("#hours") == "1.50"
        assert "目标 50.00 小时" in page.inner_text("main")
        assert "助老陪伴" in page.inner_text("#projects")
        rows = page.locator("#movements tbody tr")
        assert rows.count() == 2  # brought forward, one deposit
        assert "+1.50" in rows.nth(1).inner_text()
        _text_size(page, "#movements td.num")  # the figures themselves are large enough
        _shot(page, "party-passbook.png")
        _tappable(page, "nav.tb-nav a")
        assert Decimal(str(page.evaluate("document.documentElement.scrollWidth"))) <= 390
    finally:
        ctx.close()
