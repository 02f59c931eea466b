"""The phone app's server side: submissions from offline.js answered as JSON with their
confirmation (sent now, or later from the phone's outbox, or twice), the manifest and icons, the
service worker at the site root, the offline page; and the login doors phone users take."""

from __future__ import annotations

import json
import uuid

import pytest
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.contrib.staticfiles import finders
from django.http import HttpResponseRedirect
from django.test import RequestFactory
from PIL import Image

from portal.idempotency import idempotent
from portal.models import IdempotencyKey, User


@idempotent
def make_user_view(request):
    user = User.objects.create(username=request.POST["username"])
    messages.success(request, f"Saved {user.username}.")
    return HttpResponseRedirect(f"/people/{user.pk}/")


def fetch_post(key: str, *, queued: bool, **data):
    request = RequestFactory().post(
        "/x/",
        {"idempotency_key": key, **data},
        headers={"X-Requested-With": "fetch", "X-Linli-Queued": "1" if queued else "0"},
    )
    request.user = AnonymousUser()
    # One browser: keys are bound to their owner (portal.idempotency.owner_of).
    request.META["CSRF_COOKIE"] = "the-same-phone-browser"
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def left_for_next_page(request) -> list[str]:
    return [str(m) for m in request._messages._queued_messages]


@pytest.mark.django_db
def test_a_fetch_gets_where_to_go_and_what_to_say_and_the_message_waits_for_that_page():
    request = fetch_post(uuid.uuid4().hex, queued=False, username="li")
    response = make_user_view(request)
    body = json.loads(response.content)
    user = User.objects.get(username="li")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert body == {
        "ok": True,
        "location": f"/people/{user.pk}/",
        "messages": [{"level": messages.SUCCESS, "tags": "success", "text": "Saved li."}],
        "replayed": False,
    }
    # Sent while the user waits: the page the script opens next shows it.
    assert left_for_next_page(request) == ["Saved li."]


@pytest.mark.django_db
def test_sent_later_from_the_outbox_the_json_takes_the_message_and_no_page_repeats_it():
    request = fetch_post(uuid.uuid4().hex, queued=True, username="wang")
    body = json.loads(make_user_view(request).content)
    assert [m["text"] for m in body["messages"]] == ["Saved wang."]
    assert request._messages.used and left_for_next_page(request) == []


@pytest.mark.django_db
def test_sent_twice_from_the_outbox_saves_once_and_says_so():
    from django.utils import translation

    key = uuid.uuid4().hex
    translation.activate("en")
    first = json.loads(make_user_view(fetch_post(key, queued=True, username="zhao")).content)
    second = json.loads(make_user_view(fetch_post(key, queued=True, username="zhao")).content)
    assert User.objects.filter(username="zhao").count() == 1
    assert IdempotencyKey.objects.get().messages == [
        {"level": messages.SUCCESS, "text": "Saved zhao."}
    ]
    assert second["replayed"] is True and first["replayed"] is False
    assert second["location"] == first["location"]
    texts = [m["text"] for m in second["messages"]]
    assert texts[0] == "Saved zhao."
    assert "Nothing was saved a second time" in texts[1]
    translation.deactivate()


@pytest.mark.django_db
def test_manifest_names_the_app_and_its_icons(client):
    response = client.get("/manifest.webmanifest", headers={"accept-language": "zh-hans"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["short_name"] == "邻里" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    sizes = set()
    for icon in manifest["icons"]:
        path = finders.find(
            icon["src"].removeprefix(
                settings.STATIC_URL
                if settings.STATIC_URL.startswith("/")
                else "/" + settings.STATIC_URL
            )
        )
        assert path, icon
        with Image.open(path) as img:
            assert f"{img.width}x{img.height}" == icon["sizes"] and img.format == "PNG"
        sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes
    assert any(i.get("purpose") == "maskable" for i in manifest["icons"])


@pytest.mark.django_db
def test_service_worker_is_served_from_the_root_with_what_it_precaches(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    assert '"/static/portal/offline.js"' in body and 'var OFFLINE_URL = "/offline/"' in body
    assert "{{" not in body and "{%" not in body
    version = body.split('var VERSION = "')[1][:12]
    assert len(version) == 12 and client.get("/sw.js").content.decode() == body


@pytest.mark.django_db
def test_every_page_links_the_manifest_and_loads_the_outbox_without_inline_script(client):
    page = client.get("/offline/", headers={"accept-language": "zh-hans"}).content.decode()
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
    assert '<script id="linli-offline" type="application/json">' in page
    assert '<script src="/static/portal/offline.js" defer></script>' in page
    assert "data-saved-pages" in page
    # No script with code in the page itself (a strict CSP is coming).
    import re

    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page)
    assert inline == [] and "onchange=" not in page


@pytest.mark.django_db
def test_phone_login_leaves_the_cursor_alone_and_tiles_lead_to_it(client):
    page = client.get("/cases/login/").content.decode()
    assert "autofocus" not in page  # it once sat in the password form's username
    response = client.get("/volunteers/")  # the home page's time bank tile
    assert response.status_code == 302
    assert response["Location"] == "/cases/login/?next=/volunteers/"
