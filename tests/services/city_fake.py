"""A stand-in for the city 12345 platform: a real HTTP server on a local port (in a thread)
that answers 503 for the first `fail_times` requests, then 200, and records what it got."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeCity:
    def __init__(self, fail_times: int = 0, key: str = "city-key"):
        self.fail_times = fail_times
        self.key = key
        self.requests: list[dict] = []  # every request, failed or not
        self.delivered: list[dict] = []  # accepted events
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake.lock:
                    fake.requests.append(body)
                    if self.headers.get("Authorization") != f"Bearer {fake.key}":
                        status = 401
                    elif fake.fail_times > 0:
                        fake.fail_times -= 1
                        status = 503
                    else:
                        fake.delivered.append(body)
                        status = 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/events"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
