"""The deadline sweep under faults, with real processes: a Celery worker killed with SIGKILL
in the middle of a sweep, and the PostgreSQL server restarted in the middle of one. Each ends
with every due case escalated exactly once (nothing lost, nothing doubled) once the next sweep
has run, as beat would send it."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from notifications.models import Notification
from services import tasks
from services.models import Case, CaseEvent
from tests.conftest import start_worker, wait_until
from tests.faults.conftest import due_cases

pytestmark = pytest.mark.django_db(transaction=True)

N = 2000
BATCH = 50


def _escalated() -> int:
    return CaseEvent.objects.filter(action="escalate").count()


def _doubled_notices() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM (SELECT 1 FROM notifications_notificationoutbox "
            "GROUP BY case_id, recipient_id, kind, channel HAVING count(*) > 1) o) + (SELECT "
            "count(*) FROM (SELECT 1 FROM notifications_notification WHERE case_id IS NOT NULL "
            "GROUP BY case_id, recipient_id, kind HAVING count(*) > 1) n)"
        )
        return cursor.fetchone()[0]


def test_a_worker_killed_mid_sweep_loses_and_doubles_nothing(
    transactional_desk, tmp_path, private_queue
):
    ids = due_cases(transactional_desk, N)
    worker = start_worker(tmp_path, private_queue)
    try:
        tasks.sweep_deadlines.apply_async(kwargs={"batch_size": BATCH})
        wait_until(lambda: _escalated() >= BATCH, timeout=30, interval=0.02)
        worker.kill()  # SIGKILL: no shutdown, its open batch rolls back
        at_kill = _escalated()
        assert at_kill < N, "the sweep ended before the kill: nothing was tested"
    finally:
        if worker.proc.poll() is None:
            worker.kill()
    time.sleep(0.5)
    assert CaseEvent.objects.filter(action="escalate").count() == _escalated()  # settled
    assert _doubled_notices() == 0
    # A new worker; the next sweep (beat's) and the helpers sent before the kill finish it.
    worker = start_worker(tmp_path, private_queue)
    try:
        tasks.sweep_deadlines.apply_async(kwargs={"batch_size": BATCH})
        wait_until(lambda: _escalated() == N, timeout=45, interval=0.2)
        time.sleep(1)  # any late duplicate would show now
    finally:
        worker.proc.terminate()
        worker.proc.wait(15)
    assert _escalated() == N
    assert set(Case.objects.filter(pk__in=ids).values_list("escalation_level", flat=True)) == {1}
    assert CaseEvent.objects.filter(action="red").count() == N
    assert _doubled_notices() == 0
    # Red cards reach the inbox (written directly, not through the outbox).
    assert Notification.objects.filter(kind="red").count() > 0


def _private_count(server, database: str, sql: str) -> int:
    conn = server.connect(database)  # a new connection each time: the server restarts
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]
    finally:
        conn.close()


ESCALATED = "SELECT count(*) FROM services_caseevent WHERE action = 'escalate'"
DOUBLED = (
    "SELECT (SELECT count(*) FROM (SELECT 1 FROM notifications_notificationoutbox "
    "GROUP BY case_id, recipient_id, kind, channel HAVING count(*) > 1) o) + (SELECT "
    "count(*) FROM (SELECT 1 FROM notifications_notification WHERE case_id IS NOT NULL "
    "GROUP BY case_id, recipient_id, kind HAVING count(*) > 1) n)"
)


def test_postgresql_restarted_mid_sweep_loses_and_doubles_nothing(
    transactional_desk, tmp_path, private_queue, private_pg
):
    due_cases(transactional_desk, N)
    database = f"faults_{private_queue.replace('-', '_')}"
    private_pg.copy_database(connection.settings_dict, database)
    worker = start_worker(
        tmp_path, private_queue, extra_env={"DATABASE_URL": private_pg.url(database)}
    )
    try:
        tasks.sweep_deadlines.apply_async(kwargs={"batch_size": BATCH})
        wait_until(
            lambda: _private_count(private_pg, database, ESCALATED) >= BATCH,
            timeout=30,
            interval=0.02,
        )
        private_pg.restart("fast", down_for=1.0)  # every session cut off mid-batch
        at_restart = _private_count(private_pg, database, ESCALATED)
        assert at_restart < N, "the sweep ended before the restart: nothing was tested"
        assert worker.proc.poll() is None, worker.output()[-2000:]  # the worker lives on
        # Beat's next sweep, on the same worker: its connections are opened afresh.
        tasks.sweep_deadlines.apply_async(kwargs={"batch_size": BATCH})
        wait_until(
            lambda: _private_count(private_pg, database, ESCALATED) == N,
            timeout=45,
            interval=0.2,
        )
        time.sleep(1)
    finally:
        worker.proc.terminate()
        worker.proc.wait(15)
    assert _private_count(private_pg, database, ESCALATED) == N
    assert _private_count(private_pg, database, DOUBLED) == 0
    levels = (
        "SELECT count(*) FROM services_case WHERE state = 'dispatched' AND escalation_level <> 1"
    )
    assert _private_count(private_pg, database, levels) == 0
    assert "OperationalError" in worker.output() or "terminating connection" in worker.output()
