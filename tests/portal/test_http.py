"""portal.http.post_json: the one outbound JSON POST (SMS, WeChat, city 12345), against a real
local server."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from portal import http


class _Partner(BaseHTTPRequestHandler):
    answers: list[tuple[int, bytes]] = []
    seen: list[tuple[dict, dict]] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append((dict(self.headers), body))
        status, answer = self.answers.pop(0)
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def partner():
    _Partner.answers, _Partner.seen = [], []
    server = HTTPServer(("127.0.0.1", 0), _Partner)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/send"
    server.shutdown()
    server.server_close()


def test_posts_utf8_json_with_the_bearer_key_and_extra_headers(partner):
    _Partner.answers = [(200, b'{"ok": true}')]
    body = http.post_json(
        partner, {"text": "验证码"}, key="k1", headers={"X-Linli-Event-Id": "7"}, timeout=5
    )
    assert body == b'{"ok": true}'
    headers, sent = _Partner.seen[0]
    assert sent == {"text": "验证码"}
    assert headers["Authorization"] == "Bearer k1"
    assert headers["X-Linli-Event-Id"] == "7"
    assert headers["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    ("status", "permanent"), [(400, True), (401, True), (429, False), (409, False), (503, False)]
)
def test_an_error_answer_raises_with_its_status_and_body(partner, status, permanent):
    _Partner.answers = [(status, b"refused: bad phone")]
    with pytest.raises(http.HttpError) as exc:
        http.post_json(partner, {}, key="k", timeout=5)
    assert exc.value.status == status
    assert exc.value.body == "refused: bad phone"
    assert exc.value.permanent is permanent
    assert str(exc.value) == f"HTTP {status}"


def test_an_unreachable_partner_raises_with_no_status_and_may_be_retried():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(http.HttpError) as exc:
        http.post_json(f"http://127.0.0.1:{port}/", {}, key="k", timeout=2)
    assert exc.value.status is None
    assert exc.value.permanent is False
