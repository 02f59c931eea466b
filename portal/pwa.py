"""The installable phone app: the web app manifest, the service worker and the offline page.

The service worker is served from the site root (/sw.js) so its scope covers every page; it is
a template (templates/portal/sw.js) because the static files it precaches have hashed names in
production. Its version is a hash of its own text and that list, so a deploy that changes either
installs a new worker and drops the old static cache. How it caches: the comment at the top of
templates/portal/sw.js; the outbox that sends submissions later: static/portal/offline.js.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME = "#a4161a"  # site.css --accent

# What every offline page needs: the look, the scripts, the app's icons.
PRECACHE = [
    "portal/site.css",
    "portal/offline.js",
    "services/phone.css",
    "services/phone.js",
    "portal/icons/icon-192.png",
]


def _prefix(url: str) -> str:
    return url if url.startswith(("/", "http")) else "/" + url


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    precache = [static(path) for path in PRECACHE]
    context = {
        "precache": json.dumps(precache),
        "offline_url": reverse("offline"),
        "static_prefix": _prefix(settings.STATIC_URL),
        "media_prefix": _prefix(settings.MEDIA_URL),
        "version": "",
    }
    body = render_to_string("portal/sw.js", context)
    context["version"] = hashlib.sha256(body.encode()).hexdigest()[:12]
    return HttpResponse(
        render_to_string("portal/sw.js", context),
        content_type="application/javascript; charset=utf-8",
        headers={"Service-Worker-Allowed": "/"},
    )


@require_GET
@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: installs the portal as "邻里" on the phone's home screen."""
    icons = [
        {"src": static("portal/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("portal/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": static("portal/icons/icon-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    body = {
        "name": settings.LINLI["SITE_NAME"],
        "short_name": _("Linli"),
        "description": _(
            "Report a problem, follow it, and work your grid, even without a network."
        ),
        "lang": request.LANGUAGE_CODE,
        "start_url": "/",
        "scope": "/",
        "id": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME,
        "icons": icons,
        "shortcuts": [
            {"name": _("Snap and report"), "url": reverse("services:file")},
            {"name": _("My grid"), "url": reverse("services:grid")},
        ],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the service worker for a page this phone has not kept: says so, and lists the
    pages it has kept (offline.js fills the list)."""
    return render(request, "portal/offline.html")
