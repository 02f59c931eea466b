"""The small load a drill runs while it breaks something (bench/drills.py): a few threads of
residents filing cases through the API — each filing with its own Idempotency-Key, retried
with the same key until answered, as the phone app does — and public reads (Open311's service
list, which reads from the replica, and the health check), spread over the web processes with
the next one tried on a refused connection, as nginx's upstream does."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable

import requests

from portal.cluster import psql

PASSWORD = "linli-demo-2026"
RESIDENTS = ("resident1", "party1", "volunteer1")


class Load:
    def __init__(self, ports, primary: Callable[[], int], threads: int = 3):
        self.ports = list(ports)
        self.tag = uuid.uuid4().hex[:8]
        self.threads = threads
        port = primary()
        self.category = int(
            psql(
                port,
                "SELECT id FROM services_category WHERE is_active ORDER BY id LIMIT 1",
                "linli",
            )
        )
        self.places = [
            int(p)
            for p in psql(
                port, "SELECT id FROM grids_area WHERE grid_level = 3 ORDER BY id LIMIT 20", "linli"
            ).split()
        ]
        self.tokens = [self._token(u) for u in RESIDENTS]
        self.counts: Counter[str] = Counter()
        self.events: list[tuple[float, str, bool]] = []
        self._acked: list[int] = []
        self._read_from: Counter[str] = Counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []
        self._local = threading.local()

    def _token(self, username: str) -> str:
        for port in self.ports * 10:
            try:
                r = requests.post(
                    f"http://127.0.0.1:{port}/api/auth/token/",
                    data={"username": username, "password": PASSWORD},
                    timeout=10,
                )
                if r.status_code == 200:
                    return r.json()["token"]
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"no API token for {username}")

    def start(self) -> None:
        for i in range(self.threads):
            t = threading.Thread(target=self._run, args=(i,), daemon=True)
            t.start()
            self._workers.append(t)

    def stop(self) -> None:
        self._stop.set()
        for t in self._workers:
            t.join(timeout=90)

    def _note(self, kind: str, ok: bool) -> None:
        with self._lock:
            self.counts[f"{kind}_{'ok' if ok else 'failed'}"] += 1
            self.events.append((time.monotonic(), kind, ok))

    def _request(self, i: int, method: str, path: str, **kw) -> requests.Response | None:
        """One request; a refused connection goes on to the next web process."""
        for k in range(len(self.ports)):
            port = self.ports[(i + k) % len(self.ports)]
            try:
                return self._local.session.request(
                    method, f"http://127.0.0.1:{port}{path}", timeout=15, **kw
                )
            except requests.ConnectionError:
                continue
            except requests.RequestException:
                return None
        return None

    def _run(self, i: int) -> None:
        self._local.session = requests.Session()
        token = self.tokens[i % len(self.tokens)]
        n = 0
        while not self._stop.is_set():
            n += 1
            if n % 3 == 0:
                self._file(i, token, n)
            else:
                r = self._request(i, "GET", "/open311/v2/services.json")
                ok = r is not None and r.status_code == 200
                if ok:
                    with self._lock:
                        self._read_from[r.headers.get("X-Linli-Read-From", "?")] += 1
                self._note("read", ok)
                r = self._request(i, "GET", "/healthz")
                self._note("health", r is not None and r.status_code == 200)
            time.sleep(0.1)

    def _file(self, i: int, token: str, n: int) -> None:
        """File one case, retrying with the same key until it is answered (or 90 s)."""
        key = uuid.uuid4().hex
        body = {
            "case_type": "help",
            "category": self.category,
            "place": self.places[n % len(self.places)],
            "description": f"drill {self.tag} {key} 楼道灯不亮，请派人修理",
        }
        headers = {"Authorization": f"Token {token}", "Idempotency-Key": key}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            r = self._request(i, "POST", "/api/services/cases/", json=body, headers=headers)
            if r is not None and r.status_code == 201:
                with self._lock:
                    self._acked.append(int(r.json()["id"]))
                self._note("write", True)
                return
            self._note("write", False)
            if self._stop.is_set() and time.monotonic() > deadline - 60:
                return
            time.sleep(0.5)

    # --- Results ------------------------------------------------------------------------

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)

    @staticmethod
    def delta(before: dict, after: dict) -> dict[str, int]:
        return {k: after.get(k, 0) - before.get(k, 0) for k in sorted(after)}

    def acked(self) -> list[int]:
        with self._lock:
            return list(self._acked)

    def read_from(self) -> dict[str, int]:
        with self._lock:
            out = dict(self._read_from)
            self._read_from.clear()
            return out

    def last_write_ok(self) -> float:
        with self._lock:
            return max((t for t, k, ok in self.events if k == "write" and ok), default=0.0)

    def longest_gap(self) -> dict[str, float]:
        """Per kind, the longest time without a successful request (seconds)."""
        out = {}
        with self._lock:
            events = list(self.events)
        for kind in ("write", "read", "health"):
            times = [t for t, k, ok in events if k == kind and ok]
            gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
            out[kind] = round(max(gaps, default=0.0), 1)
        return out
