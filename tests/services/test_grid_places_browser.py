"""The grid's places on a phone in headless Chromium (390×844): a household opened on a network
is kept by the service worker; with the network off the worker records a visit there, it waits
in the phone's outbox as 待发送 and is sent once when the network is back, with its
confirmation. The map page draws its points with the vendored Leaflet, no tiles configured.
The screenshots illustrate docs/guides/grid-worker.md."""

from __future__ import annotations

import pytest

from grids.models import Area, HouseholdVisit
from tests.services.conftest import build_desk
from tests.services.test_browser import _login, _shot
from tests.services.test_offline_browser import _controlled, _kept, _outbox

pytestmark = pytest.mark.browser


def test_a_visit_recorded_offline_is_sent_once(phone_page, live_server, transactional_territory):
    desk = build_desk(transactional_territory)
    household = desk.t.a.households[0]
    building = desk.t.a.buildings[0]
    Area.objects.filter(pk=building.pk).update(lat=24.9, lng=118.6)
    desk.dispatched(description="楼道灯不亮")
    page = phone_page
    _login(page, "grid_a")
    page.goto("/cases/grid/places/")
    _controlled(page)
    _kept(page, "/cases/grid/places/")
    assert "优先走访" in page.locator("main").inner_text()
    _shot(page, "worker-places.png")
    url = f"/cases/grid/places/h/{household.pk}/"
    page.goto(url)
    _kept(page, url)
    main = page.locator("main").inner_text()
    assert "****" in main  # the resident's numbers, masked

    page.context.set_offline(True)
    page.goto(url)  # from the phone
    page.check("input[name=kind][value=home]")
    page.fill("textarea[name=note]", "入户走访，老人身体尚好")
    page.click("form[data-offline] button[type=submit]")
    _outbox(page, "waiting").wait_for()
    assert "待发送" in _outbox(page, "waiting").inner_text()
    assert HouseholdVisit.objects.count() == 0

    page.context.set_offline(False)
    sent = _outbox(page, "sent")
    sent.wait_for(timeout=20000)
    assert "走访" in sent.inner_text()
    assert HouseholdVisit.objects.count() == 1
    visit = HouseholdVisit.objects.get()
    assert visit.note == "入户走访，老人身体尚好" and visit.household_id == household.pk
    page.evaluate("window.LinliOffline.drain()")
    assert HouseholdVisit.objects.count() == 1
    page.goto(url)
    assert "入户走访，老人身体尚好" in page.locator("main").inner_text()
    _shot(page, "worker-household.png")

    page.goto("/cases/grid/map/")
    page.wait_for_selector("#grid-map.leaflet-container")
    page.wait_for_function(
        "document.querySelectorAll('#grid-map path.leaflet-interactive').length >= 2"
    )
    _shot(page, "worker-map.png")
