"""flush_outbox drains a backlog in a chain of runs (issue 17, item 7): a run sends for its
time budget and queues the next at once with its place; one chain at a time (an advisory
lock); a row being sent by another task is skipped, a failing row is not tried again by the
same chain. The real-worker drain of 7,321 rows is tests/faults/test_outbox_drain.py."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from notifications import notify, tasks
from notifications.models import NotificationOutbox
from portal.locks import lock_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms(settings):
    fake = notify.FakeChannel("sms")
    saved = dict(notify._CHANNELS)
    notify.register(fake)
    yield fake
    notify._CHANNELS.clear()
    notify._CHANNELS.update(saved)


def _rows(n: int) -> list[int]:
    NotificationOutbox.objects.bulk_create(
        [
            NotificationOutbox(channel="sms", address=f"139{i:08d}", kind="resolved", title=f"{i}")
            for i in range(n)
        ]
    )
    NotificationOutbox.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    return list(NotificationOutbox.objects.order_by("pk").values_list("pk", flat=True))


def test_a_run_out_of_time_hands_over_at_once_with_its_place(sms, monkeypatch):
    _rows(5)
    queued = []
    monkeypatch.setattr(tasks.flush_outbox, "apply_async", lambda **kw: queued.append(kw))
    clock = itertools.count()
    monkeypatch.setattr(tasks, "_clock", lambda: next(clock))
    # Each row after the first "takes a second"; a budget of 2.5 s sends 3 rows.
    assert tasks.flush_outbox(budget=2.5, limit=2) == 3
    assert len(queued) == 1 and "countdown" not in queued[0]
    after = queued[0]["kwargs"]["after"]
    assert NotificationOutbox.objects.filter(status="pending").count() == 2
    # The next run goes on from there and stops when the queue is empty: no further run.
    queued.clear()
    assert tasks.flush_outbox(budget=100, limit=2, after=after) == 2
    assert queued == [] and len(sms.sent) == 5


def test_one_chain_at_a_time(sms):
    _rows(3)
    other = connections.create_connection("default")  # another worker's session
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock_id(tasks.FLUSH_LOCK)])
        assert tasks.flush_outbox() == 0  # the chain running elsewhere has them
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_id(tasks.FLUSH_LOCK)])
        assert tasks.flush_outbox() == 3
    finally:
        other.close()
    assert tasks.flush_outbox() == 0  # sent once


def test_a_failing_row_is_left_to_its_own_retry(
    sms, monkeypatch, django_capture_on_commit_callbacks
):
    ids = _rows(3)
    sms.fail_times = 1  # the oldest row fails once
    with django_capture_on_commit_callbacks(execute=False) as retries:
        assert tasks.flush_outbox(limit=1) == 2
    assert len(retries) == 1  # its retry message, with backoff
    first = NotificationOutbox.objects.get(pk=ids[0])
    assert first.status == "pending" and first.attempts == 1
    assert len(sms.sent) == 2  # tried once by the chain, not again and again


def test_recent_and_held_rows_wait(sms):
    ids = _rows(2)
    NotificationOutbox.objects.filter(pk=ids[0]).update(created_at=timezone.now())
    NotificationOutbox.objects.filter(pk=ids[1]).update(
        not_before=timezone.now() + timedelta(hours=1)
    )
    assert tasks.flush_outbox() == 0
    assert tasks.flush_outbox(older_than_seconds=0) == 1
