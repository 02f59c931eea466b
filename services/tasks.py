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

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import connection
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
def drain_city_outbox(budget: float | None = None) -> int:
    """Send pending city 12345 events (services.city.drain: in order per case, each marked
    sent in its own transaction, within `budget` seconds); returns how many were delivered.
    Out of time with more to send, it queues the next drain at once; with events waiting for
    a retry, one drain for then. Beat runs it every 30 s as well."""
    from services import city
    from services.models import WebhookNonce

    # Nonces older than twice the timestamp window can never be replayed (the window refuses
    # them first), so the table stays small.
    WebhookNonce.objects.filter(
        received_at__lt=timezone.now() - timedelta(seconds=2 * city.WINDOW)
    ).delete()
    sender = city.client()
    if sender is None:
        return 0
    result = city.drain(sender, city.DRAIN_BUDGET if budget is None else budget)
    if result.stopped == "budget":
        logger.info("city drain handed over after %s events (time limit)", result.delivered)
        try:
            drain_city_outbox.apply_async(kwargs={"budget": budget})
        except Exception as exc:  # the broker is down: beat drains once it is back
            logger.warning("next city drain not queued: %s", exc.__class__.__name__)
    else:
        wait = city.next_retry_in()
        if wait is not None:
            city.kick(countdown=max(float(city.KICK_DEBOUNCE), wait + 0.5))
    if result.stopped == "city_down":
        logger.info("city 12345 looks down; %s events delivered before", result.delivered)
    return result.delivered


@shared_task(acks_late=True)
def upkeep_event_partitions() -> list[str]:
    """Create the case-event months ahead (services.partitions.ensure_months, idempotent) and
    analyze the partitioned parent; returns the partitions created."""
    from services import partitions

    created = partitions.ensure_months()
    partitions.analyze()
    return created


@shared_task(acks_late=True)
def prune_city_outbox() -> int:
    """Delete city outbox rows sent more than LINLI_OUTBOX_KEEP_DAYS ago (0: keep them)."""
    from django.conf import settings

    if not settings.LINLI_OUTBOX_KEEP_DAYS:
        return 0
    return actions.prune_city_outbox(
        timezone.now() - timedelta(days=settings.LINLI_OUTBOX_KEEP_DAYS)
    )


# --- moving deadlines after a change of the holiday calendar -------------------------------------


@shared_task(acks_late=True)
def recompute_deadlines(change_id: int, after_id: int = 0, final: bool = False) -> int:
    """Move the deadlines a holiday change crosses (services.actions.recompute_batch), batch
    by batch, each its own short transaction; returns how many cases moved. Sent on commit of
    the change; idempotent (a case already right is left), so a redelivered message or the
    second pass moves nothing twice. The second pass comes once every process has reloaded the
    table (calendar.RELOAD_SECONDS): it catches a clock started meanwhile under the old one."""
    from services import calendar
    from services.models import HolidayChange

    moved = 0
    started = time.monotonic()
    while True:
        taken, n, after_id = actions.recompute_batch(change_id, after_id)
        moved += n
        if taken < actions.calendar.RECOMPUTE_BATCH:
            break
        if time.monotonic() - started > 60:  # hand over: no task holds a worker for long
            recompute_deadlines.apply_async((change_id, after_id, final))
            return moved
    change = HolidayChange.objects.filter(pk=change_id).first()
    if change is None:
        return moved
    if final:
        actions.finish_change(change_id)
        return moved
    age = (timezone.now() - change.created_at).total_seconds()
    recompute_deadlines.apply_async(
        (change_id, 0, True), countdown=max(0.0, calendar.RELOAD_SECONDS + 5 - age)
    )
    return moved


@shared_task(acks_late=True)
def recompute_unfinished_changes(older_than_seconds: int = 600) -> int:
    """Send the recompute again for holiday changes not finished after `older_than_seconds`
    (its message was lost: a broker down at commit, a worker killed). Idempotent, like it."""
    from services.models import HolidayChange

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        HolidayChange.objects.filter(finished_at__isnull=True, created_at__lte=cutoff)
        .exclude(days={})
        .values_list("pk", flat=True)[:100]
    )
    for pk in ids:
        recompute_deadlines.delay(pk)
    return len(ids)
