"""Delivery by a real Celery worker process on Redis: an SMS sent on commit reaches the
gateway once; one held for quiet hours waits through the flush and goes when they end."""

from __future__ import annotations

import subprocess
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from notifications import actions, notify, tasks
from notifications.models import Notification, NotificationOutbox
from tests.conftest import start_worker, wait_until
from tests.notifications.conftest import Gateway


@pytest.fixture
def sms_worker(transactional_db, tmp_path, settings, gateway):
    """A worker with SMS switched on and pointed at the local gateway, like this process."""
    from portal.celery import app

    settings.LINLI = {
        **settings.LINLI,
        "NOTIFY_CHANNELS": ["inbox", "sms"],
        "SMS_URL": f"{gateway}/sms",
        "NOTIFY_QUIET_HOURS": "",
    }
    queue = f"test-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    env = {
        "LINLI_NOTIFY_CHANNELS": "inbox,sms",
        "SMS_URL": f"{gateway}/sms",
        "LINLI_NOTIFY_QUIET_HOURS": "",
    }
    worker = start_worker(tmp_path, queue, extra_env=env)
    try:
        yield worker
    finally:
        worker.proc.terminate()
        try:
            worker.proc.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
        app.conf.task_default_queue = previous


def _done(worker, task: str) -> bool:
    return any(task in line and "succeeded" in line for line in worker.output().splitlines())


def _sms_to(phone: str) -> list:
    return [body for path, _auth, body in Gateway.received if body["to"] == phone]


@pytest.mark.worker
def test_an_sms_is_delivered_on_commit_by_the_worker_once(sms_worker, transactional_territory):
    resident = transactional_territory.user("resident_a")
    with transaction.atomic():
        notify.queue(users=[resident], kind="resolved", title="您的诉求已办结", link="/cases/")
    # The inbox has it at once; the SMS goes out through the worker.
    assert Notification.objects.filter(recipient=resident, kind="resolved").exists()
    wait_until(lambda: _sms_to(resident.phone), timeout=60)
    row = NotificationOutbox.objects.get(recipient=resident)
    wait_until(lambda: NotificationOutbox.objects.get(pk=row.pk).status == "sent")
    # A duplicate delivery message and a flush send nothing twice.
    tasks.deliver_notifications.delay([row.pk])
    tasks.flush_outbox.delay(older_than_seconds=0)
    wait_until(lambda: sms_worker.output().count("succeeded") >= 3, timeout=60)
    assert len(_sms_to(resident.phone)) == 1


@pytest.mark.worker
def test_quiet_hours_hold_an_sms_until_the_flush_after_they_end(
    sms_worker, transactional_territory
):
    resident = transactional_territory.user("resident_a")
    now = timezone.localtime()
    # Quiet now (an hour either side, whatever the time of day the test runs).
    actions.save_preferences(
        resident,
        channels={},
        quiet_hours=True,
        quiet_start=(now - timedelta(hours=1)).time(),
        quiet_end=(now + timedelta(hours=1)).time(),
    )
    with transaction.atomic():
        notify.queue(users=[resident], kind="promoted", title="候补转正")
    row = NotificationOutbox.objects.get(recipient=resident)
    assert row.not_before is not None and row.not_before > timezone.now()
    NotificationOutbox.objects.filter(pk=row.pk).update(created_at=now - timedelta(minutes=5))
    tasks.flush_outbox.delay()
    wait_until(lambda: _done(sms_worker, "flush_outbox"), timeout=60)
    assert NotificationOutbox.objects.get(pk=row.pk).status == "pending"
    assert not _sms_to(resident.phone)
    # The quiet hours end (the row's time moved back, as time would move it).
    NotificationOutbox.objects.filter(pk=row.pk).update(
        not_before=timezone.now() - timedelta(seconds=1)
    )
    tasks.flush_outbox.delay()
    wait_until(lambda: NotificationOutbox.objects.get(pk=row.pk).status == "sent", timeout=60)
    assert len(_sms_to(resident.phone)) == 1
