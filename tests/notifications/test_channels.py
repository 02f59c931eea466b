"""Notification channels: the inbox, the HTTP clients against a local HTTP server, retries."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from services import notify, tasks
from services.models import Notification, NotificationOutbox


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
    Gateway.received = []
    Gateway.status = 200
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _rows(desk, channels, settings):
    settings.LINLI = {**settings.LINLI, "NOTIFY_CHANNELS": channels}
    case = desk.file()
    user = desk.user("grid_a")
    user.phone = "13800001111"
    user.save()
    rows = notify.build_rows(users=[user], case=case, kind="assigned", title="新工单")
    notify.save_and_send(rows)
    return case, user, list(NotificationOutbox.objects.filter(kind="assigned").order_by("pk"))


def test_sms_and_wechat_post_to_their_gateways(desk, settings, gateway):
    settings.LINLI = {
        **settings.LINLI,
        "SMS_URL": f"{gateway}/sms",
        "SMS_KEY": "k-sms",
        "WECHAT_TEMPLATE_URL": f"{gateway}/wx",
        "WECHAT_TEMPLATE_KEY": "k-wx",
    }
    case, user, rows = _rows(desk, ["sms", "wechat", "inbox"], settings)
    assert tasks.deliver_notifications([r.pk for r in rows]) == 3
    paths = {p: (auth, body) for p, auth, body in Gateway.received}
    assert paths["/sms"][0] == "Bearer k-sms" and paths["/sms"][1]["to"] == "13800001111"
    assert paths["/wx"][1]["touser"] == "13800001111" and paths["/wx"][1]["data"]["case"] == case.pk
    assert Notification.objects.get(recipient=user).title == "新工单"
    # Delivering again (a duplicate message) sends nothing twice.
    assert tasks.deliver_notifications([r.pk for r in rows]) == 0
    assert len(Gateway.received) == 2 and Notification.objects.count() == 1


def test_a_failing_gateway_is_retried_then_marked_failed(desk, settings, gateway):
    settings.LINLI = {**settings.LINLI, "SMS_URL": f"{gateway}/sms"}
    Gateway.status = 503
    _case, _user, rows = _rows(desk, ["sms"], settings)
    row = rows[0]
    tasks.deliver_notifications([row.pk])
    row.refresh_from_db()
    assert row.status == "pending" and row.attempts == 1 and "503" in row.last_error
    Gateway.status = 200
    tasks.deliver_notification(row.pk)
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 2
    Gateway.status = 500
    NotificationOutbox.objects.filter(pk=row.pk).update(
        status="pending", attempts=tasks.MAX_ATTEMPTS - 1
    )
    tasks.deliver_notifications([row.pk])
    row.refresh_from_db()
    assert row.status == "failed"


def test_fake_channel_and_email(desk, settings, mailoutbox):
    fake = notify.FakeChannel("fake", fail_times=1)
    notify.register(fake)
    user = desk.user("grid_a")
    user.email = "grid@example.org"
    user.save()
    settings.LINLI = {**settings.LINLI, "NOTIFY_CHANNELS": ["fake", "email"]}
    rows = notify.build_rows(users=[user], kind="x", title="催办")
    notify.save_and_send(rows)
    ids = list(NotificationOutbox.objects.values_list("pk", flat=True))
    tasks.deliver_notifications(ids)
    assert fake.sent == [] and len(mailoutbox) == 1 and mailoutbox[0].to == ["grid@example.org"]
    tasks.deliver_notifications(ids)
    assert fake.sent == [(user.pk, user.phone or user.username, "催办")]
