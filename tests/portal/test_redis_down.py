"""Redis down, the portal up (issue 17, item 7). A fault test with real processes: a private
redis-server (never the machine's own) as broker and cache, and the portal under gunicorn.

The review, with Redis stopped for 25 s: every intake answered 500 and every logged-in page too;
a case was stored although the caller saw an error; the case API ignored Idempotency-Key, so the
client's retries filed three cases. Here, with the private Redis stopped: the intake through
the API and the phone page is stored and answered 201/302, a retry with its key files nothing
new, logged-in pages (sessions from the database) and logins keep working, login codes say they
cannot be sent (no 500); when Redis is back the sweep dispatches what no message announced."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from services.models import Case
from tests.conftest import ROOT, _database_url, wait_until
from tests.services.conftest import build_desk
from tests.territory import PASSWORD

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test alone, on its own port, without persistence."""

    def __init__(self, tmp_path: Path):
        self.port = _free_port()
        self.dir = tmp_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=(self.dir / "redis.log").open("a"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(lambda: self._answers(), timeout=10)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None
        assert not self._answers()

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class Portal:
    """gunicorn serving the portal against the test database and the private Redis."""

    def __init__(self, tmp_path: Path, redis: PrivateRedis, extra_env: dict | None = None):
        """`extra_env`: settings of this run (another DATABASE_URL, a queue, throttles)."""
        self.port = _free_port()
        self.log = tmp_path / "gunicorn.log"
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CACHE_URL": f"rediscache://127.0.0.1:{redis.port}/1",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis.port}/0",
            "DJANGO_DEBUG": "true",
            "LINLI_READ_DOT_ENV": "false",
            "DATABASE_CONN_MAX_AGE": "0",
            **(extra_env or {}),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind",
             f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "2", "--timeout", "60"],
            cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(self._up, timeout=60)

    def _up(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.log.read_text()}")
        try:
            urllib.request.urlopen(self.url("/healthz"), timeout=5)
            return True
        except urllib.error.HTTPError:
            return True  # answering (503 while a service is down is an answer)
        except OSError:
            return False

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies, CSRF and no redirect following: what the phone pages see."""

    def __init__(self, portal: Portal):
        self.portal = portal
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def request(self, method: str, path: str, data=None, headers=None) -> tuple[int, str, dict]:
        body = None
        headers = {"Accept-Language": "en", **(headers or {})}
        if isinstance(data, dict):
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif isinstance(data, str):
            body = data.encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.portal.url(path), body, headers, method=method)
        started = time.monotonic()
        try:
            with self.opener.open(req, timeout=30) as r:
                status, text, got = r.status, r.read().decode(), dict(r.headers)
        except urllib.error.HTTPError as exc:
            status, text, got = exc.code, exc.read().decode(), dict(exc.headers)
        got["elapsed"] = time.monotonic() - started
        return status, text, got

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def form(self, path: str, data: dict) -> tuple[int, str, dict]:
        self.request("GET", path)
        return self.request("POST", path, {**data, "csrfmiddlewaretoken": self.csrf()})


@pytest.fixture
def redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop() if server.proc is not None else None


@pytest.fixture
def portal(transactional_territory, tmp_path, redis):
    server = Portal(tmp_path, redis)
    yield server
    server.stop()


def _intake(desk) -> dict:
    return {
        "case_type": "help",
        "category": desk.potholes.pk,
        "description": "楼道灯坏了",
        "place": desk.t.a.buildings[0].pk,
    }


def test_intake_and_pages_keep_working_while_redis_is_down(transactional_territory, redis, portal):
    desk = build_desk(transactional_territory)
    # Up: a resident logged in on the pages; a grid worker's API token.
    resident = Browser(portal)
    status, _, _ = resident.form(
        "/accounts/login/", {"username": "resident_a", "password": PASSWORD}
    )
    assert status == 302
    assert resident.request("GET", "/cases/mine/")[0] == 200
    staff = Browser(portal)
    assert staff.form("/admin/login/", {"username": "community_a", "password": PASSWORD})[0] == 302
    api = Browser(portal)
    status, text, _ = api.request(
        "POST", "/api/auth/token/", json.dumps({"username": "grid_a", "password": PASSWORD})
    )
    assert status == 200
    token = {"Authorization": f"Token {json.loads(text)['token']}"}

    redis.stop()  # broker and cache gone

    timings = []
    # The API intake: stored, answered 201 — and a retry with its key files nothing new.
    key = {"Idempotency-Key": uuid.uuid4().hex, **token}
    body = json.dumps({**_intake(desk), "channel": "grid_worker"})
    status, text, headers = api.request("POST", "/api/services/cases/", body, key)
    assert status == 201, text
    timings.append(headers["elapsed"])
    case_id = json.loads(text)["id"]
    status, text, headers = api.request("POST", "/api/services/cases/", body, key)
    assert status == 201 and json.loads(text)["id"] == case_id
    assert headers.get("Idempotent-Replay") == "true"
    # The anonymous phone page: stored, and sent to its tracking link.
    anonymous = Browser(portal)
    status, _, headers = anonymous.form(
        "/cases/new/", {**_intake(desk), "reporter_phone": "13912340000"}
    )
    assert status == 302 and "/cases/t/" in headers["Location"], headers
    timings.append(headers["elapsed"])
    assert anonymous.request("GET", urllib.parse.urlparse(headers["Location"]).path)[0] == 200
    # The logged-in resident files and reads their pages (the session comes from the database).
    status, _, headers = resident.form("/cases/new/", _intake(desk))
    assert status == 302 and "/cases/c/" in headers["Location"]
    assert resident.request("GET", "/cases/mine/")[0] == 200
    assert resident.request("GET", headers["Location"])[0] == 200
    # Staff pages (the desk's counts are cached in Redis: counted afresh), and a login made while Redis is down.
    assert staff.request("GET", "/admin/")[0] == 200
    assert staff.request("GET", "/desk/")[0] == 200
    assert staff.request("GET", "/desk/cases/")[0] == 200
    late = Browser(portal)
    assert late.form("/accounts/login/", {"username": "grid_b", "password": PASSWORD})[0] == 302
    assert late.request("GET", "/cases/grid/")[0] == 200
    # A login code cannot be kept without the cache: the page says so, no 500.
    status, text, _ = Browser(portal).form(
        "/cases/login/", {"phone": "13900000001", "step": "send"}
    )
    assert status == 400 and "cannot be sent right now" in text
    # Health says what is down.
    status, text, _ = Browser(portal).request("GET", "/healthz")
    assert status == 503 and json.loads(text)["broker"]["ok"] is False

    filed = Case.objects.filter(state="submitted")
    assert filed.count() == 3  # the API's (once), the anonymous page's, the resident's
    assert all(c.next_check_at is not None for c in filed)  # waiting for dispatch
    assert max(timings) < 5, timings
    log = portal.log.read_text()
    assert "Internal Server Error" not in log and "not sent, the broker is unreachable" in log

    # Redis back: the portal picks it up again, and the sweep dispatches what no message
    # announced.
    redis.start()
    status, _, _ = api.request("POST", "/api/services/cases/", body, token)
    assert status == 201
    from services.tasks import sweep_once

    sweep_once(now=timezone.now() + timedelta(minutes=5))
    assert not Case.objects.filter(state="submitted").exists()
    assert Case.objects.filter(state="dispatched").count() == 4
    status, text, _ = Browser(portal).request("GET", "/healthz")
    assert status == 200, text
    assert re.search(r"Internal Server Error", portal.log.read_text()) is None
