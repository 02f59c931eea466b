"""Phones in headless Chromium (390×844): the resident shows the check-in QR code, the
volunteer opens the scan link and checks in, then checks out; the resident rates the service
with the big star buttons; the volunteer sees the points, redeems rice in the charity shop."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

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
        resident.check("input[name=rating][value='5']")
        resident.click("text=确认时长")
        resident.wait_for_selector("text=已发放积分")
        assert ServiceOrder.objects.get(pk=order.pk).status == OrderStatus.SETTLED

        volunteer.goto("/volunteers/points/")
        assert "1.00" in volunteer.inner_text(".lead")
        volunteer.goto("/volunteers/rewards/")
        volunteer.once("dialog", lambda d: d.accept())
        volunteer.click("button:has-text('兑换')")
        volunteer.wait_for_selector("text=兑换成功")
        assert Voucher.objects.filter(holder=helper.user).count() == 1
        # Big enough to tap: the primary buttons are at least 44 px high.
        box = volunteer.locator("button.primary").first.bounding_box()
        assert box["height"] >= 44
        assert Decimal(str(volunteer.evaluate("document.documentElement.scrollWidth"))) <= 390
    finally:
        rctx.close()
        vctx.close()
