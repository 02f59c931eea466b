"""Celery tasks: dispatch on submit, the deadline sweep, the city 12345 link (notification
delivery is notifications.tasks).

The database is the source of truth: tasks take ids, every step checks the stored state, so
a task run twice, a lost message or a killed worker never does a step twice or loses one.
Case rows change only in services.actions (the dispatch and sweep batches are
services.actions.sweep); the tasks schedule, loop and run threads around them."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from services import actions
from services.models import Case

logger = logging.getLogger("services.tasks")

SWEEP_BATCH = 500


# At most one dispatch message per window per process: a busy intake sends a handful a second,
# not one per case (publishing cost more than the rest of the intake). The task runs when the
# window closes, after every case committed in it.
DISPATCH_DEBOUNCE = 0.2  # seconds
_window_lock = threading.Lock()
_window_ends = 0.0


def request_dispatch() -> None:
    """Ask a worker to dispatch the cases waiting for it (called on commit of an intake)."""
    global _window_ends
    now = time.monotonic()
    with _window_lock:
        if now < _window_ends:
            return  # the message sent for this window will see this case too
        _window_ends = now + DISPATCH_DEBOUNCE
    dispatch_pending.apply_async(countdown=DISPATCH_DEBOUNCE)


@shared_task(acks_late=True)
def dispatch_pending(batch_size: int = 100, max_batches: int = 100) -> int:
    """Route every case waiting for dispatch, oldest first, in batches locked with SKIP LOCKED
    (two workers share the work; a case already dispatched is no longer waiting)."""
    total = 0
    for _ in range(max_batches):
        taken, dispatched = actions.dispatch_waiting_batch(batch_size)
        total += dispatched
        if taken < batch_size:
            break
    return total


@shared_task(acks_late=True)
def dispatch_case(case_id: int) -> str:
    """Route one submitted case by the routing rules and notify the unit. Intake now sends
    dispatch_pending; this stays for messages queued before that change (cases filed then
    have no waiting mark for the sweep to find) and for dispatching one case from a shell. A
    case no longer waiting (dispatched by hand, or this message came twice) is left alone."""
    if not Case.objects.filter(pk=case_id, state="submitted").exists():
        return "skipped"
    try:
        actions.dispatch(case_id, actor=None)
    except ValidationError as exc:
        logger.info("dispatch of case %s skipped: %s", case_id, exc.messages)
        return "skipped"
    return "dispatched"


def sweep_once(now=None, batch_size: int = SWEEP_BATCH, chains: dict | None = None) -> int:
    """One batch of due cases (services.actions.sweep_batch). Returns how many were taken."""
    return actions.sweep_batch(now, batch_size, chains)


SWEEP_HELPERS = 3  # extra sweeps sent when more than one batch is due
# Batches one sweep keeps in flight, each in a thread with its own connection: while the
# database writes one batch, Python prepares the next (each alone left the other idle half the
# time). SKIP LOCKED splits the rows between them as it does between sweeps.
SWEEP_THREADS = 2


def _sweep_batches(now, batch_size: int, max_batches: int, chains: dict) -> int:
    total = 0
    for _ in range(max_batches):
        taken = sweep_once(now, batch_size, chains)
        total += taken
        if taken < batch_size:
            break
    return total


def _sweep_in_thread(now, batch_size: int, max_batches: int) -> int:
    try:
        return _sweep_batches(now, batch_size, max_batches, {})
    finally:
        connection.close()  # this thread's own connection


@shared_task(acks_late=True)
def sweep_deadlines(
    batch_size: int = SWEEP_BATCH,
    max_batches: int = 200,
    helpers: int = SWEEP_HELPERS,
    threads: int = SWEEP_THREADS,
) -> int:
    """Every minute (portal/beat.py): yellow at 80 %, red + escalation at expiry, 催办 the
    working day after, 督办 5 working days later, callback no-answer. Batches commit one by
    one; a worker killed mid-batch rolls that batch back and the next sweep takes it again.

    When the first batch comes back full (a burst: a holiday ending, a sweep that was down),
    `helpers` more sweeps are sent so idle worker processes join in, and this sweep goes on
    in `threads` threads, each taking up to `max_batches` batches; SKIP LOCKED splits the due
    rows between them all and the stage markers keep every step single. The batches
    themselves are services.actions.sweep_batch: this task only loops and runs threads."""
    now = timezone.now()
    chains: dict = {}
    total = sweep_once(now, batch_size, chains)
    if total < batch_size:
        return total
    for _ in range(helpers):
        sweep_deadlines.apply_async(
            kwargs={"batch_size": batch_size, "max_batches": max_batches, "helpers": 0}
        )
    if max_batches <= 1:
        return total
    # Only where each thread's commits are its own: inside a caller's transaction another
    # connection would not see its rows (nor its locks).
    extra = threads - 1
    if extra <= 0 or connection.in_atomic_block:
        return total + _sweep_batches(now, batch_size, max_batches - 1, chains)
    with ThreadPoolExecutor(extra, thread_name_prefix="sweep") as pool:
        others = [
            pool.submit(_sweep_in_thread, now, batch_size, max_batches - 1) for _ in range(extra)
        ]
        total += _sweep_batches(now, batch_size, max_batches - 1, chains)
        total += sum(f.result() for f in others)
    return total


CITY_BATCH = 50


@shared_task(acks_late=True)
def drain_city_outbox() -> int:
    """Send pending city 12345 events oldest first; returns how many were delivered.

    Rows are locked with SKIP LOCKED, so two drains never send the same row. A failure pauses
    the queue (every due row waits until the retry time, keeping each case's events in order)
    with exponential backoff, and this task schedules itself for then; beat runs it too."""
    from services import city
    from services.models import CityOutbox, CityStatus, WebhookNonce

    # Nonces older than twice the timestamp window can never be replayed (the window refuses
    # them first), so the table stays small.
    WebhookNonce.objects.filter(
        received_at__lt=timezone.now() - timedelta(seconds=2 * city.WINDOW)
    ).delete()
    client = city.client()
    if client is None:
        return 0
    delivered = 0
    while True:
        with transaction.atomic():
            now = timezone.now()
            rows = list(
                CityOutbox.objects.select_for_update(skip_locked=True)
                .filter(status=CityStatus.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "id")[:CITY_BATCH]
            )
            if not rows:
                return delivered
            for row in rows:
                try:
                    client.send({"event_id": str(row.event_id), **row.payload})
                except city.CityError as exc:
                    row.attempts += 1
                    row.last_error = str(exc)[:500]
                    if exc.permanent:
                        row.status = CityStatus.FAILED
                        row.save(update_fields=["attempts", "last_error", "status"])
                        logger.warning("city 12345 refused event %s: %s", row.event_id, exc)
                        continue
                    retry_at = now + city.backoff(row.attempts)
                    row.next_attempt_at = retry_at
                    row.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                    CityOutbox.objects.filter(
                        status=CityStatus.PENDING, next_attempt_at__lt=retry_at
                    ).exclude(pk=row.pk).update(next_attempt_at=retry_at)
                    delay = (retry_at - now).total_seconds()
                    transaction.on_commit(partial(drain_city_outbox.apply_async, countdown=delay))
                    logger.info("city 12345 unavailable (%s); retry in %.0fs", exc, delay)
                    return delivered
                row.status = CityStatus.SENT
                row.sent_at = timezone.now()
                row.attempts += 1
                row.save(update_fields=["status", "sent_at", "attempts"])
                delivered += 1
