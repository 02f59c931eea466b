"""The Content-Security-Policy in headless Chromium (issue 17, item 4): the main pages of each
role load under the enforced policy with no violation: the public home and filing page, the
centres' pages and the time bank, the grid worker's pages, the desk and its intake with the map
and tiles from another origin (the configured tile host), the staff check-in page, the admin's
list and change pages, the API docs. A violation is caught where the browser reports it
(securitypolicyviolation events, and the console's "Content Security Policy" errors); the
header test is test_csp.py."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from portal import csp
from tests.services.conftest import build_desk

pytestmark = pytest.mark.browser

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " blocked " + e.blockedURI + " in " +
                    (e.sourceFile || document.location.pathname) + ":" + e.lineNumber);
});
"""


def _session_cookie(user) -> dict:
    client = Client()
    client.force_login(user)
    return {
        "name": django_settings.SESSION_COOKIE_NAME,
        "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
    }


def _visit(chromium, live_server, user, paths, check=None) -> list[str]:
    """Each path's violations (empty when clean); check(page, path) asserts more on a page."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900},
        locale="zh-CN",
        base_url=live_server.url,
        bypass_csp=False,  # the policy is what this test checks
    )
    if user is not None:
        context.add_cookies([{**_session_cookie(user), "url": live_server.url}])
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(15000)
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    found = []
    try:
        for path in paths:
            console.clear()
            response = page.goto(path)
            assert response is not None and response.status == 200, (path, response)
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_load_state("networkidle")
            if check:
                check(page, path)
            found += [f"{path}: {v}" for v in page.evaluate("window.__csp")]
            found += [f"{path}: console: {m}" for m in console]
    finally:
        context.close()
    return found


def test_main_pages_load_without_a_violation(
    chromium, live_server, transactional_territory, settings
):
    t = transactional_territory
    desk = build_desk(t)
    case = desk.file(description="楼道灯坏了，晚上很黑")
    # Tiles from another origin (127.0.0.1 where the pages are on localhost), as a real tile
    # server would be: the policy allows it through the tile URL alone.
    port = live_server.url.rsplit(":", 1)[1]
    tiles = f"http://127.0.0.1:{port}/static/portal/icons/icon-192.png?z={{z}}&x={{x}}&y={{y}}"
    settings.LINLI = {**settings.LINLI, "MAP_TILES_URL": tiles}
    settings.CONTENT_SECURITY_POLICY = csp.policy(tiles)

    def works(page, path):
        if path == "/desk/new/":  # the intake's map, with tiles from the other origin
            page.wait_for_selector("img.leaflet-tile-loaded", state="attached")
        if path == "/api/docs/":  # Swagger UI drawn from our own files, the schema read
            page.wait_for_selector(".swagger-ui .opblock")

    found = _visit(
        chromium,
        live_server,
        None,
        ["/", "/cases/", "/cases/new/", "/centres/", "/accounts/login/", "/admin/login/"],
    )
    found += _visit(
        chromium,
        live_server,
        t.user("resident_a"),
        ["/", "/cases/new/", "/cases/mine/", "/centres/me/", "/volunteers/", "/volunteers/wishes/"],
    )
    found += _visit(chromium, live_server, t.user("grid_a"), ["/cases/grid/", "/cases/grid/new/"])
    found += _visit(
        chromium,
        live_server,
        t.user("community_a"),
        [
            "/desk/",
            "/desk/cases/",
            "/desk/new/",
            f"/desk/c/{case.number}/",
            "/centres/staff/check-in/",
        ],
        check=works,
    )
    found += _visit(
        chromium,
        live_server,
        t.user("superuser"),
        [
            "/admin/",
            "/admin/portal/user/",
            f"/admin/portal/user/{t.user('grid_a').pk}/change/",
            f"/admin/services/case/{case.pk}/change/",
            "/admin/grids/area/",
            "/admin/grids/partymember/",
            "/api/docs/",
        ],
        check=works,
    )
    assert not found, "\n".join(found)
