"""The Content-Security-Policy that django-csp sends on every answer (docs/operations.md,
"Content-Security-Policy").

Strict: scripts and styles only from the portal's own files (no inline script element, no onclick=,
no style="", no eval), nothing may frame a page, forms post only to the portal, no plugins.
Images also from data: URLs (Leaflet's and the QR codes') and from the map tile server. Pure
functions: portal/settings.py builds the policy from the environment with them, and the tests
build one for a tile server of their own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

SELF = "'self'"
NONE = "'none'"


def tile_source(url: str) -> str | None:
    """The CSP source that allows the tiles of an XYZ tile URL: its scheme and host, with a
    templated label ({s}) and every label left of it as the '*.' wildcard, the only wildcard
    CSP knows (https://{s}.tile.example.org/{z}/{x}/{y}.png -> https://*.tile.example.org).
    None for an empty or relative URL (tiles from the portal itself are 'self')."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    labels = parts.netloc.split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label]
    if templated:
        labels = ["*", *labels[templated[-1] + 1 :]]
    return f"{parts.scheme}://{'.'.join(labels)}"


def policy(tiles_url: str = "", img_hosts: list[str] | None = None, report_uri: str = "") -> dict:
    """django-csp's CONTENT_SECURITY_POLICY (or ..._REPORT_ONLY) setting."""
    directives: dict[str, list[str] | str] = {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *filter(None, [tile_source(tiles_url)]), *(img_hosts or [])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "worker-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
    }
    if report_uri:
        directives["report-uri"] = report_uri
    return {"DIRECTIVES": directives}
