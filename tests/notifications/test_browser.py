"""On a phone in headless Chromium (390×844): a grid worker sees the bell's count and the new
case marked on their list, opens the inbox, and opens the notice, which takes them to the case
and is read. The screenshots illustrate docs/guides/grid-worker.md (`make screenshots`)."""

from __future__ import annotations

import pytest
from django.utils import translation

from notifications.models import Notification
from tests.services.conftest import build_desk
from tests.services.test_browser import _login, _shot


@pytest.mark.browser
def test_the_bell_the_inbox_and_the_new_mark_on_a_phone(
    phone_page, transactional_territory, settings
):
    settings.LINLI = {**settings.LINLI, "NOTIFY_CHANNELS": ["inbox", "sms", "wechat", "log"]}
    desk = build_desk(transactional_territory)
    with translation.override("zh-hans"):  # as a worker process writes it
        case = desk.dispatched()
    worker = desk.user("grid_a")
    page = phone_page
    _login(page, "grid_a")
    page.goto("/cases/grid/")
    bell = page.locator("#bell")
    assert bell.locator(".bell-count").inner_text() == "1"
    box = bell.bounding_box()
    assert box is not None and box["width"] >= 44 and box["height"] >= 44
    assert "1" in (bell.get_attribute("aria-label") or "")
    assert page.locator(".tile.is-new .badge.new").inner_text() == "新"
    _shot(page, "worker-grid-new.png")

    bell.click()
    page.wait_for_url("**/inbox/")
    note = page.locator("#inbox a.note.unread")
    assert note.count() == 1 and case.number in note.inner_text()
    _shot(page, "inbox.png")
    note.click()
    page.wait_for_url(f"**/desk/c/{case.number}/")
    assert not Notification.objects.filter(recipient=worker, read_at=None).exists()
    assert page.locator("#bell .bell-count").count() == 0

    page.goto("/inbox/settings/")
    assert page.locator("#group-case_work input[value=inbox]").is_disabled()
    page.locator("#group-case_work input[value=sms]").uncheck()
    page.click("form.prefs button[type=submit]")
    page.wait_for_url("**/inbox/settings/")
    assert "已保存" in page.locator(".messages").inner_text()
    assert worker.notification_preference.channels["case_work"] == ["inbox", "wechat"]
    _shot(page, "inbox-settings.png")
