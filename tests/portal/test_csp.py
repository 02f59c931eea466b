"""The Content-Security-Policy (issue 17, item 4): the header on public, staff and API answers,
the tile host derived from the tile URL, and no template that the policy would break (inline
scripts, inline handlers, style attributes). The browser side: test_csp_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from portal import csp
from tests.territory import PASSWORD

ROOT = Path(settings.BASE_DIR)

STRICT = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "object-src 'none'",
    "base-uri 'self'",
]


def _directives(header: str) -> dict[str, str]:
    return {
        part.split(" ", 1)[0]: part.strip()
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def _assert_strict(response) -> None:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']}: no Content-Security-Policy header"
    directives = _directives(header)
    for rule in STRICT:
        assert directives.get(rule.split(" ")[0]) == rule, (rule, header)
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    assert directives["img-src"].startswith("img-src 'self' data:")


@pytest.mark.parametrize(
    "path", ["/", "/cases/new/", "/cases/login/", "/centres/", "/accounts/login/", "/sw.js"]
)
def test_public_pages_carry_the_policy(db, path):
    r = Client().get(path)
    assert r.status_code == 200, path
    _assert_strict(r)


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("community_a", "/desk/"),
        ("community_a", "/desk/new/"),
        ("grid_a", "/cases/grid/"),
        ("superuser", "/admin/"),
        ("superuser", "/admin/portal/user/"),
        ("superuser", "/api/docs/"),
    ],
)
def test_staff_pages_carry_the_policy(territory, username, path):
    client = Client()
    client.force_login(territory.user(username))
    r = client.get(path)
    assert r.status_code == 200, path
    _assert_strict(r)


def test_api_answers_carry_the_policy(territory):
    client = APIClient()
    r = client.post("/api/auth/token/", {"username": "grid_a", "password": PASSWORD}, format="json")
    assert r.status_code == 200
    _assert_strict(r)
    client.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    _assert_strict(client.get("/api/schema/"))
    _assert_strict(client.get("/api/services/cases/"))
    # An error answer too: the policy does not depend on the status.
    _assert_strict(APIClient().get("/api/services/cases/"))


def test_the_tile_server_is_allowed_for_images_only():
    assert csp.tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png") == (
        "https://*.tile.example.org"
    )
    assert csp.tile_source("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}") == (
        "https://*.is.autonavi.com"
    )
    assert csp.tile_source("http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png") == "http://10.1.2.3:8080"
    assert csp.tile_source("") is None and csp.tile_source("/tiles/{z}/{x}/{y}.png") is None
    d = csp.policy(
        "https://{s}.tile.example.org/{z}/{x}/{y}.png", ["https://img.example.cn"], "/csp/"
    )["DIRECTIVES"]
    assert d["img-src"] == [
        "'self'",
        "data:",
        "https://*.tile.example.org",
        "https://img.example.cn",
    ]
    assert d["script-src"] == ["'self'"] and d["connect-src"] == ["'self'"]
    assert d["report-uri"] == "/csp/"
    assert "report-uri" not in csp.policy()["DIRECTIVES"]


def test_report_only_sends_the_same_policy_without_enforcing(db, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    del settings.CONTENT_SECURITY_POLICY
    r = Client().get("/")
    assert "Content-Security-Policy" not in r.headers
    assert "script-src 'self'" in r.headers["Content-Security-Policy-Report-Only"]


# --- templates the policy would break ------------------------------------------------------------
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)  # "<" opening a tag, not "a <= b"
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)


def _templates():
    for folder in TEMPLATE_DIRS:
        yield from sorted(folder.rglob("*.html"))


def test_no_template_has_inline_script_handlers_or_styles():
    """Each would be blocked (and reported) by script-src / style-src 'self'. JSON data islands
    (<script type="application/json">) are not run and stay."""
    found = []
    for path in _templates():
        text = path.read_text()
        for name, pattern in [
            ("inline <script>", INLINE_SCRIPT),
            ("inline handler", INLINE_HANDLER),
            ("style attribute", STYLE_ATTRIBUTE),
        ]:
            found += [
                f"{path.relative_to(ROOT)}: {name}: {m.group(0)[:80]}"
                for m in pattern.finditer(text)
            ]
    assert not found, "\n".join(found)


def test_no_python_html_has_inline_styles_or_scripts():
    """format_html / mark_safe in admin columns and template tags: the same rules."""
    found = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text()
        for pattern in (INLINE_HANDLER, STYLE_ATTRIBUTE):
            found += [
                f"{path.relative_to(ROOT)}: {m.group(0)[:80]}" for m in pattern.finditer(text)
            ]
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in re.finditer(r"<script>", text)]
    assert not found, "\n".join(found)
