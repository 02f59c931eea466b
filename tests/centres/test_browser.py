"""A phone in headless Chromium: a resident finds the nearest centre, signs up for today's
activity and sees it in "my sign-ups"; staff check the resident in by the code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from centres.models import SignUp
from tests.conftest import PHONE
from tests.territory import PASSWORD


def _login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.mark.browser
def test_resident_finds_nearest_signs_up_and_staff_check_in(
    phone_page, chromium, live_server, transactional_world
):
    w = transactional_world
    # Today, ten minutes from now (or at 23:59:59 when that is already tomorrow: the centre
    # page lists today's activities), at the centre of side b (the one near the phone).
    now = timezone.localtime()
    start = min(now + timedelta(minutes=10), now.replace(hour=23, minute=59, second=59))
    activity = w.activity(
        w.b, title="防诈骗知识讲座", starts_at=start, ends_at=start + timedelta(hours=2), capacity=5
    )
    resident = w.resident_user("phone_user", side="b")

    page = phone_page
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"latitude": 24.9512, "longitude": 118.6307})
    _login(page, "phone_user")

    page.goto("/centres/")
    page.click("#near-me")
    page.wait_for_url("**/centres/?*lat=*")
    first = page.locator("#results .card").first
    assert w.b.name in first.inner_text()
    first.locator("a").click()
    page.wait_for_url(f"**/centres/{w.b.pk}/")
    page.click(f"text={activity.title}")
    page.wait_for_url(f"**/centres/activities/{activity.pk}/")
    page.click("#sign-up")
    page.wait_for_url("**/centres/me/")
    mine = page.locator("#my-signups")
    assert activity.title in mine.inner_text()
    code = mine.locator(".code").first.inner_text().strip()
    signup = SignUp.objects.get(user=resident, activity=activity)
    assert code == signup.code and signup.status == "confirmed"
    # The QR image loads for its owner (an SVG of the code).
    assert page.locator("#my-signups img.qr").first.evaluate("img => img.naturalWidth") > 0
    # The page fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The centre's operator, on their own phone, checks the resident in by the code.
    staff_context = chromium.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, base_url=live_server.url
    )
    try:
        staff = staff_context.new_page()
        staff.set_default_timeout(15000)
        _login(staff, "operator_b")
        staff.goto("/centres/staff/check-in/")
        staff.fill("input[name=code]", code)
        staff.click("#check-in-form button[type=submit]")
        staff.wait_for_selector("#checked-in")
        assert "phone_user" in staff.locator("#checked-in").inner_text()
    finally:
        staff_context.close()
    signup.refresh_from_db()
    assert signup.checked_in_at is not None and signup.checked_in_by == w.user("operator_b")
