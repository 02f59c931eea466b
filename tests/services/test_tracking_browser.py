"""An anonymous resident at 390×844 in Chromium: files with a photo in three taps, is shown the
short tracking code, gets it by SMS, opens the case later with the code and the phone's last 4
digits, and finds it under that phone's code login."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from notifications import notify
from notifications.models import NotificationOutbox
from portal.accounts import LogSms
from services.actions.intake import show_tracking_code
from services.models import Case, CasePhoto
from tests.conftest import PHONE
from tests.services.conftest import build_desk
from tests.services.test_browser import _fill_case, _shot

pytestmark = pytest.mark.browser


@pytest.fixture
def sms():
    fake = notify.FakeChannel("sms")
    real = notify.channel("sms")
    notify.register(fake)
    yield fake
    notify.register(real)


def test_anonymous_filing_gives_a_code_by_page_and_sms_and_the_code_finds_the_case(
    phone_page, chromium, live_server, transactional_territory, tmp_path, sms
):
    cache.clear()  # the anonymous filing and lookup limits count in the shared cache
    desk = build_desk(transactional_territory)
    page = phone_page
    _fill_case(page, desk, tmp_path, "楼道灯坏了，老人晚上看不见")
    page.fill("input[name=reporter_phone]", "139 1234 5678")
    # "Use my location" picks the nearest building by its coordinates (here the other one).
    near = desk.t.a.buildings[1]
    near.lat, near.lng = 24.9, 118.6
    near.save()
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation({"latitude": 24.9001, "longitude": 118.6001})
    page.click("[data-locate]")
    page.wait_for_function(
        "n => document.querySelector('[data-place-chosen]').textContent.includes(n)",
        arg=near.name,
    )
    for selector in ("label.cat-tile", "label.photo-button", "button.primary"):
        assert page.locator(selector).first.bounding_box()["height"] >= 60, selector
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.click("form[data-offline] button.primary[type=submit]")
    page.wait_for_url("**/cases/t/*/")
    case = Case.objects.get()
    code = show_tracking_code(case.tracking_code)
    assert case.place == near and case.lat == pytest.approx(24.9001)
    assert case.case_type == "help"  # guessed from the category: nobody was asked
    assert CasePhoto.objects.filter(case=case, kind="intake").count() == 1
    # The confirmation says the code, and the page shows it big.
    flash = page.locator(".messages").inner_text()
    assert f"请记下您的查询码 {code}" in flash and "短信" in flash and case.number in flash
    assert page.locator("[data-tracking-code]").inner_text() == code
    assert page.locator(".stepper [aria-current=step]").inner_text() == "已提交"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(page, "resident-code.png")

    # The SMS went out with the code (the outbox is the SMS log).
    sms_row = NotificationOutbox.objects.get(channel="sms", case=case)
    assert sms_row.address == "13912345678" and code in sms_row.body

    # Days later, on another phone: the code and the last 4 digits open the case.
    context = chromium.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, base_url=live_server.url
    )
    try:
        other = context.new_page()
        other.set_default_timeout(15000)
        other.goto("/cases/track/")
        other.fill("input[name=code]", "WRONG234")
        other.fill("input[name=phone_tail]", "5678")
        other.click("main form button[type=submit]")
        assert "查询码或手机号后四位不对" in other.locator("[role=alert]").inner_text()
        other.fill("input[name=code]", code.lower())
        other.fill("input[name=phone_tail]", "5678")
        _shot(other, "resident-track.png")
        other.click("main form button[type=submit]")
        other.wait_for_url("**/cases/t/*/")
        main = other.locator("main").inner_text()
        assert case.number in main and "楼道灯坏了" in main

        # And logging in with that phone (a code by text message) shows it as theirs.
        other.goto("/cases/login/")
        other.fill("input[name=phone]", "13912345678")
        other.click("button[name=step][value=send]")
        other.wait_for_load_state("networkidle")
        text = next(t for phone, t in reversed(LogSms.sent) if phone == "13912345678")
        other.fill("input[name=code]", re.search(r"\d{6}", text).group(0))
        other.click("button[name=step][value=login]")
        other.wait_for_load_state("networkidle")
        other.goto("/cases/mine/")
        assert case.number in other.locator("main").inner_text()
        case.refresh_from_db()
        assert case.reporter is not None and case.reporter.phone == "13912345678"
    finally:
        context.close()

    # 长辈版: the tiles and the photo button are at least 60 px each way.
    page.goto("/cases/new/")
    page.click(".toolbar .toggle")
    page.wait_for_load_state("networkidle")
    page.goto("/cases/new/")
    assert "elder" in page.evaluate("document.documentElement.className")
    for selector in ("label.cat-tile", "label.photo-button", "label[for=id_photos_album]"):
        box = page.locator(selector).first.bounding_box()
        assert box["height"] >= 60 and box["width"] >= 60, (selector, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(page, "resident-file-elder.png")
