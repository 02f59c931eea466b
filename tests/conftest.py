"""Shared fixtures: the two-sided test territory, a real Celery worker process, and a headless
Chromium driven by Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.territory import build_territory

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session", autouse=True)
def _ledger_truncate_allowed(django_db_setup, django_db_blocker):
    """The ledger's tables refuse TRUNCATE (volunteers/sql/ledger_triggers.sql) unless the
    database carries this setting; the test databases do, as the teardown of transactional
    tests empties every table with TRUNCATE."""
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        name = connection.ops.quote_name(connection.settings_dict["NAME"])
        cursor.execute(f"ALTER DATABASE {name} SET linli.ledger_truncate = 'allowed'")


@pytest.fixture
def territory(db):
    return build_territory()


@pytest.fixture
def transactional_territory(transactional_db):
    return build_territory()


def wait_until(predicate: Callable[[], object], timeout: float = 20.0, interval: float = 0.1):
    """Poll until predicate() is truthy; return its value or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def _database_url() -> str:
    """The URL of the test database, for a child process: a TCP host, or a Unix socket
    directory (the embedded server), which django-environ reads from the URL's path."""
    s = connection.settings_dict
    user = quote(s.get("USER") or "postgres", safe="")
    if s.get("PASSWORD"):
        user += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    if host.startswith("/"):
        query = "" if int(port) == 5432 else f"?port={port}"
        return f"postgres://{user}@/{quote(host)}/{s['NAME']}{query}"
    return f"postgres://{user}@{host}:{port}/{s['NAME']}"


class WorkerProcess:
    """A real `celery worker` process bound to the test database and a private queue."""

    def __init__(self, queue: str, proc: subprocess.Popen, log: Path):
        self.queue = queue
        self.proc = proc
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


def start_worker(
    tmp_path: Path, queue: str | None = None, extra_env: dict | None = None, beat: bool = False
) -> WorkerProcess:
    queue = queue or f"test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / f"worker-{queue}.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "LINLI_CELERY_QUEUE": queue,
        **(extra_env or {}),
    }
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "-P",
        "solo",
        "-Q",
        queue,
        "--without-mingle",
        "--without-gossip",
        "-l",
        "info",
        "-n",
        f"{queue}@%h",
    ]
    if beat:
        cmd += ["-B", "-s", str(tmp_path / "beat-schedule")]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    worker = WorkerProcess(queue, proc, log)
    try:
        wait_until(lambda: "ready" in worker.output() or proc.poll() is not None, timeout=60)
    except AssertionError:
        worker.kill()
        raise
    if proc.poll() is not None:
        raise AssertionError(f"celery worker exited early:\n{worker.output()}")
    return worker


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path, settings):
    """A real worker. Tasks sent from the test go to its private queue, so stale messages of
    other runs are never taken. Tests using it must use committed data (transactional_db)."""
    from portal.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    worker = start_worker(tmp_path, queue)
    try:
        yield worker
    finally:
        worker.proc.terminate()
        try:
            worker.proc.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
        app.conf.task_default_queue = previous


# --- Browser ---------------------------------------------------------------------------------
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test`, which installs it.")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield _CspBypassingBrowser(browser)
        browser.close()


class _CspBypassingBrowser:
    """The browser with contexts that bypass the portal's Content-Security-Policy by default:
    Playwright's wait_for_function polls by evaluating strings, which `script-src 'self'`
    forbids. tests/portal/test_csp_browser.py opens its contexts with bypass_csp=False and
    fails on any violation, so the policy is still checked where it is the subject."""

    def __init__(self, browser):
        self._browser = browser

    def new_context(self, **options):
        options.setdefault("bypass_csp", True)
        return self._browser.new_context(**options)

    def new_page(self, **options):
        options.setdefault("bypass_csp", True)
        return self._browser.new_page(**options)

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture
def phone_page(chromium, live_server):
    """A page in a fresh browser context at a phone viewport, in Chinese."""
    context = chromium.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def browser_login(page, username: str, password: str = "test-pass-123") -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
