"""Exactly one beat sends (portal/beat_guard.py): two real `celery beat` processes on the test
database — the first takes the advisory lock and sends, the second waits and sends nothing;
killed with SIGKILL, the first's session ends and the second takes over within the retry."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from portal.beat_guard import BeatLock
from tests.conftest import ROOT, _database_url, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _beat(tmp_path: Path, name: str, queue: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / f"{name}.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "LINLI_CELERY_QUEUE": queue,  # what it sends lands on a queue nobody takes
        "LINLI_BEAT_LOCK_RETRY": "1",
    }
    cmd = [sys.executable, "-m", "celery", "-A", "portal", "beat", "-l", "info"]
    cmd += ["-s", str(tmp_path / f"{name}-schedule"), "--pidfile", str(tmp_path / f"{name}.pid")]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    return proc, log


def test_a_second_beat_waits_and_takes_over_when_the_first_dies(tmp_path):
    queue = f"test-beat-{uuid.uuid4().hex[:8]}"
    first, first_log = _beat(tmp_path, "first", queue)
    second = None
    try:
        wait_until(lambda: "beat lock taken" in first_log.read_text(), timeout=60)
        second, second_log = _beat(tmp_path, "second", queue)
        wait_until(lambda: "another beat holds the beat lock" in second_log.read_text(), 60)
        waited = second_log.read_text()
        assert "beat lock taken" not in waited and "Sending due task" not in waited
        first.kill()  # SIGKILL: no clean shutdown, the session just ends
        first.wait(10)
        wait_until(lambda: "beat lock taken" in second_log.read_text(), timeout=30)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)


def test_the_lock_is_held_by_one_session_at_a_time():
    one, two = BeatLock(), BeatLock()
    try:
        assert one.held() and not two.held()
        assert one.held()  # still held: checked, not taken again
        one.release()
        assert two.held() and not one.held()
    finally:
        one.release()
        two.release()
