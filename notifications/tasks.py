"""Celery tasks of notifications: delivering outbox rows, and the flush that picks up rows
whose message was lost or which waited for the end of quiet hours.

The database is the source of truth: tasks take ids, each row is delivered under its row lock
and only while pending (notifications.actions.deliver), so a task run twice, a lost message
or a killed worker never sends a message twice or loses one."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import connection
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


def flush_settings() -> tuple[int, float, int]:
    """(rows per batch, seconds per run, sending threads) of the flush:
    LINLI_NOTIFY_FLUSH_BATCH, LINLI_NOTIFY_FLUSH_BUDGET, LINLI_NOTIFY_FLUSH_THREADS
    (docs/operations.md)."""
    linli = settings.LINLI
    return (
        int(linli.get("NOTIFY_FLUSH_BATCH", 200)),
        float(linli.get("NOTIFY_FLUSH_BUDGET", 45)),
        max(1, int(linli.get("NOTIFY_FLUSH_THREADS", 4))),
    )


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


def _send(rows: list[tuple], out_of_time, threads: int, progress: list[int]) -> tuple[int, int]:
    """Send one batch of rows, in `threads` threads (each with its own connection) when the
    caller's commits are its own; each row under its own lock, skipping locked ones. Returns
    (rows sent, how many rows from the first on were all tried): the cursor moves over those
    only, so a row a thread left when time ran out is the next run's first."""
    tried = [False] * len(rows)

    def work(indexes, own_connection: bool) -> int:
        n = 0
        try:
            for i in indexes:
                if out_of_time():
                    break
                n += actions.deliver(rows[i][0], skip_locked=True) == "sent"
                tried[i] = True
                progress[0] += 1
        finally:
            if own_connection:
                connection.close()
        return n

    threads = min(threads, len(rows))
    if threads <= 1 or connection.in_atomic_block:
        sent = work(range(len(rows)), False)
    else:
        with ThreadPoolExecutor(threads, thread_name_prefix="flush") as pool:
            parts = [pool.submit(work, range(t, len(rows), threads), True) for t in range(threads)]
            sent = sum(part.result() for part in parts)
    done = 0
    while done < len(rows) and tried[done]:
        done += 1
    return sent, done


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
    so on while rows are pending: the backlog drains as fast as the channels take it, in
    `LINLI_NOTIFY_FLUSH_THREADS` threads (a gateway's latency is most of a send). One
    chain at a time across all workers (a PostgreSQL advisory lock, gone with a killed
    worker's connection); a tick that finds a chain running returns at once. Each row is sent
    under its own row lock, skipping rows another task holds (actions.deliver), so a repeated
    or overlapping run never sends a row twice."""
    size, default_budget, threads = flush_settings()
    size = limit or size
    budget = default_budget if budget is None else budget
    started = _clock()
    sent = 0
    cursor = tuple(after) if after else None
    more = False
    progress = [0]  # rows tried by this run: each run tries at least one, so a chain moves

    def out_of_time() -> bool:
        return progress[0] > 0 and _clock() - started >= budget

    with advisory(FLUSH_LOCK) as held:
        if not held:
            return 0  # another chain is draining
        while True:
            rows = _due(older_than_seconds, cursor, size)
            n, done = _send(rows, out_of_time, threads, progress)
            sent += n
            if done:
                cursor = (rows[done - 1][1].isoformat(), rows[done - 1][0])
            if done < len(rows):
                more = True  # out of time: the next run goes on from the cursor
                break
            if len(rows) < size:
                break  # the queue is empty (up to the cutoff)
    elapsed = _clock() - started
    if sent:
        logger.info(
            "outbox flush sent %s in %.1f s (%.0f/s)", sent, elapsed, sent / max(elapsed, 1e-6)
        )
    if more:
        # After the lock is released, so the next run can take it (a tick that got it first
        # carries on instead, and this one returns).
        flush_outbox.apply_async(
            kwargs={
                "older_than_seconds": older_than_seconds,
                "limit": limit,
                "budget": budget,
                "after": list(cursor) if cursor else None,
            }
        )
        logger.info("outbox flush handed over to the next run")
    return sent


@shared_task(acks_late=True)
def prune_outbox() -> int:
    """Delete outbox rows sent more than LINLI_OUTBOX_KEEP_DAYS ago (0: keep them)."""
    if not settings.LINLI_OUTBOX_KEEP_DAYS:
        return 0
    return actions.prune_sent(timezone.now() - timedelta(days=settings.LINLI_OUTBOX_KEEP_DAYS))
