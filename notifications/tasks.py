"""Celery tasks of notifications: delivering outbox rows, and the flush that picks up rows
whose message was lost or which waited for the end of quiet hours.

The database is the source of truth: tasks take ids, each row is delivered under its row lock
and only while pending (notifications.actions.deliver), so a task run twice, a lost message
or a killed worker never sends a message twice or loses one."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from notifications import actions
from notifications.models import NotificationOutbox, OutboxStatus
from portal.locks import advisory

logger = logging.getLogger("notifications.tasks")


@shared_task(acks_late=True)
def deliver_notifications(outbox_ids: list[int]) -> int:
    """Deliver pending outbox rows; a failing channel is retried per row with backoff."""
    return sum(actions.deliver(pk) == "sent" for pk in outbox_ids)


@shared_task(acks_late=True)
def deliver_notification(outbox_id: int) -> int:
    """The retry of one row (backoff: 10 s, 20 s, 40 s … up to an hour)."""
    return deliver_notifications([outbox_id])


FLUSH_LOCK = "notifications.flush_outbox"
_clock = time.monotonic  # tests give it a clock of their own


def flush_settings() -> tuple[int, float]:
    """(rows per batch, seconds per run) of the flush: LINLI_NOTIFY_FLUSH_BATCH and
    LINLI_NOTIFY_FLUSH_BUDGET (docs/operations.md)."""
    linli = settings.LINLI
    return int(linli.get("NOTIFY_FLUSH_BATCH", 200)), float(linli.get("NOTIFY_FLUSH_BUDGET", 45))


def _due(older_than_seconds: int, after: tuple[str, int] | None, size: int) -> list[tuple]:
    """The next `size` pending rows due for the flush, oldest first, after the cursor
    (created_at, pk): each run moves forward, so a row whose channel failed (it has its own
    retry message) is not tried again and again by the same chain."""
    now = timezone.now()
    qs = NotificationOutbox.objects.filter(
        status=OutboxStatus.PENDING, created_at__lte=now - timedelta(seconds=older_than_seconds)
    ).filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
    if after is not None:
        at, pk = datetime.fromisoformat(after[0]), after[1]
        qs = qs.filter(Q(created_at__gt=at) | Q(created_at=at, pk__gt=pk))
    return list(qs.order_by("created_at", "pk").values_list("pk", "created_at")[:size])


@shared_task(acks_late=True)
def flush_outbox(
    older_than_seconds: int = 120,
    limit: int | None = None,
    budget: float | None = None,
    after: list | None = None,
) -> int:
    """Deliver rows whose delivery message was lost (broker restart, worker killed) and rows
    held for quiet hours that have now ended; returns how many were sent.

    Beat sends it every two minutes (portal/beat.py), but a backlog (7,000 notices after an
    outage) does not wait for the ticks: one run delivers batches of `limit` rows for up to
    `budget` seconds, then queues the next run at once, carrying its place in the queue, and
    so on while rows are pending: the backlog drains as fast as the channels take it. One
    chain at a time across all workers (a PostgreSQL advisory lock, gone with a killed
    worker's connection); a tick that finds a chain running returns at once. Each row is sent
    under its own row lock, skipping rows another task holds (actions.deliver), so a repeated
    or overlapping run never sends a row twice."""
    size, default_budget = flush_settings()
    size = limit or size
    budget = default_budget if budget is None else budget
    started = _clock()
    sent = 0
    cursor = tuple(after) if after else None
    more = False
    tried = 0
    with advisory(FLUSH_LOCK) as held:
        if not held:
            return 0  # another chain is draining
        while not more:
            rows = _due(older_than_seconds, cursor, size)
            for pk, created_at in rows:
                if tried and _clock() - started >= budget:
                    more = True  # out of time: the next run goes on from the cursor
                    break
                sent += actions.deliver(pk, skip_locked=True) == "sent"
                tried += 1
                cursor = (created_at.isoformat(), pk)
            if len(rows) < size:
                break  # the queue is empty (up to the cutoff)
    elapsed = _clock() - started
    if sent:
        logger.info("outbox flush sent %s in %.1f s (%.0f/s)", sent, elapsed, sent / elapsed)
    if more:
        # After the lock is released, so the next run can take it (a tick that got it first
        # carries on instead, and this one returns).
        flush_outbox.apply_async(
            kwargs={
                "older_than_seconds": older_than_seconds,
                "limit": limit,
                "budget": budget,
                "after": list(cursor),
            }
        )
        logger.info("outbox flush handed over to the next run")
    return sent
