"""A stand-in for the city 12345 platform: a real HTTP server on a local port (in a thread)
that answers 503 for the first `fail_times` requests (and for every event of a case in
`fail_cases`, and for everything while `down`), 422 for a case in `refuse_cases`, else 200,
and records what it got.

Like the real platform it de-duplicates on the event id: `delivered` holds every accepted
request, `unique` each event once, and `order_errors` the events that arrived after a later
event of the same case (by `seq`)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeCity:
    def __init__(self, fail_times: int = 0, key: str = "city-key", delay: float = 0.0):
        self.fail_times = fail_times
        self.fail_cases: set[str] = set()  # 503 for these cases' events
        self.refuse_cases: set[str] = set()  # 422 (refused for good) for these cases' events
        self.down = False
        self.delay = delay  # seconds each accepted request takes (a slow platform)
        self.key = key
        self.requests: list[dict] = []  # every request, failed or not
        self.delivered: list[dict] = []  # accepted events, repeats included
        self.headers: list[dict] = []  # each accepted request's headers, names in lower case
        self.unique: dict[str, dict] = {}  # event id → the event, as the city keeps it
        self.order_errors: list[tuple[str, int, int]] = []  # (case, seq, a later seq seen)
        self._last_seq: dict[str, int] = {}
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake.lock:
                    fake.requests.append(body)
                    if self.headers.get("Authorization") != f"Bearer {fake.key}":
                        status = 401
                    elif fake.down or body.get("case") in fake.fail_cases:
                        status = 503
                    elif body.get("case") in fake.refuse_cases:
                        status = 422
                    elif fake.fail_times > 0:
                        fake.fail_times -= 1
                        status = 503
                    else:
                        status = 200
                if status == 200 and fake.delay:
                    time.sleep(fake.delay)
                if status == 200:
                    with fake.lock:
                        fake._accept(body, {k.lower(): v for k, v in self.headers.items()})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _accept(self, body: dict, headers: dict) -> None:
        self.delivered.append(body)
        self.headers.append(headers)
        event_id = body.get("event_id")
        if event_id is None:
            return  # not a case event (the SMS gateway's messages share this fake)
        if event_id in self.unique:
            return  # a repeat: the city drops it
        self.unique[event_id] = body
        case, seq = body["case"], body["seq"]
        last = self._last_seq.get(case, 0)
        if seq < last:
            self.order_errors.append((case, seq, last))
        self._last_seq[case] = max(seq, last)

    def actions_of(self, case_number: str) -> list[str]:
        """The actions the city holds for a case, in the order it first got them."""
        return [e["action"] for e in self.unique.values() if e["case"] == case_number]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/events"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
