"""Fixtures for notifications: the territory with the case desk and the centres' world, fake
channels (restored afterwards), and a local HTTP gateway standing in for SMS and WeChat."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from notifications import notify
from tests.centres.conftest import build_world
from tests.services.conftest import build_desk


@pytest.fixture
def desk(territory):
    return build_desk(territory)


@pytest.fixture
def transactional_desk(transactional_territory):
    return build_desk(transactional_territory)


@pytest.fixture
def world(territory):
    return build_world(territory)


@pytest.fixture(autouse=True)
def _english():
    """Tests read the English source messages; test_i18n checks the Chinese ones."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client():
    from django.test import Client

    return Client(headers={"accept-language": "en"})


class PhoneFake(notify.FakeChannel):
    """A fake SMS/WeChat gateway: like the real ones, it needs a phone number."""

    def address_for(self, user) -> str:
        return getattr(user, "phone", "") or ""


@pytest.fixture
def channels(settings):
    """Switch channels on: `channels("inbox", "sms")`; SMS and WeChat are fakes that record
    what they send (the real ones are put back afterwards)."""
    saved = dict(notify._CHANNELS)
    fakes: dict[str, PhoneFake] = {}

    def switch_on(*names: str) -> dict[str, PhoneFake]:
        settings.LINLI = {**settings.LINLI, "NOTIFY_CHANNELS": list(names)}
        for name in names:
            if name in ("sms", "wechat"):
                fakes[name] = PhoneFake(name)
                notify.register(fakes[name])
        return fakes

    yield switch_on
    notify._CHANNELS.clear()
    notify._CHANNELS.update(saved)


class Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Gateway.received.append((self.path, self.headers["Authorization"], json.loads(body)))
        self.send_response(Gateway.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    """A local SMS/WeChat gateway: what it received is Gateway.received."""
    Gateway.received = []
    Gateway.status = 200
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
