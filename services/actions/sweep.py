"""The batch operations the Celery tasks drive: dispatching the cases that wait for it and one
batch of the deadline sweep. The tasks (services/tasks.py) only schedule, loop and run threads;
every row these batches change is changed here.

Each batch is one transaction over rows locked with `SELECT … FOR UPDATE SKIP LOCKED`: two
workers (or two threads of one sweep) share the due rows instead of waiting for each other, a
row another batch holds is left to it, and a worker killed mid-batch rolls its batch back for
the next sweep to take. The stage markers on each case keep every timer step single."""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from portal.bulk import update_rows
from services import routing
from services.actions.core import S, schedule
from services.actions.dispatch import dispatch
from services.actions.supervision import TIMER_FIELDS, TimerBatch, advance_timers
from services.models import Case

logger = logging.getLogger("services.tasks")


def awaiting_dispatch() -> QuerySet:
    """Cases stored as waiting for the dispatch task (the partial index services_case_awaiting)."""
    return Case.objects.filter(state=S.SUBMITTED, next_check_at__isnull=False)


def dispatch_waiting(case: Case, cache: dict | None = None) -> bool:
    """Dispatch one case waiting for it, inside the caller's transaction (the row is locked).
    A case the routing rules cannot place stops waiting: it stays with its first receiver
    and the dispatchers, who see it in the 'submitted' inbox. `cache`: routing's batch cache."""
    case_id = case.pk
    try:
        with transaction.atomic():
            dispatch(case_id, actor=None, target=routing.route(case, cache))
        return True
    except (ValidationError, LookupError) as exc:
        logger.warning("case %s left for a dispatcher: %s", case_id, exc)
        Case.objects.filter(pk=case_id, state=S.SUBMITTED).update(next_check_at=None)
        return False


@transaction.atomic
def dispatch_waiting_batch(batch_size: int = 100) -> tuple[int, int]:
    """Route up to `batch_size` waiting cases, oldest first, by the routing rules, in one
    transaction. Returns (cases taken, cases dispatched); fewer taken than asked means none
    is left waiting (or the rest are another worker's)."""
    qs = awaiting_dispatch().order_by("next_check_at").select_for_update(skip_locked=True)
    cases = list(qs[:batch_size])
    # What routing reads for the whole batch, once: places, grid workers, rules.
    cache: dict = {}
    routing.prefetch_chains(cases, cache)
    routing.prefetch_grid_workers(cache)
    dispatched = sum(dispatch_waiting(case, cache) for case in cases)
    return len(cases), dispatched


def lock_due(now: datetime, limit: int) -> list[Case]:
    """Lock up to `limit` cases with a timer step due by `now`, earliest first, skipping rows
    another sweep holds. Call inside a transaction."""
    # No select_related: the handling units come from the batch's place chains
    # (routing.attach_units), which a join would build a second time for every row.
    qs = Case.objects.filter(next_check_at__lte=now).order_by("next_check_at")
    return list(qs.select_for_update(skip_locked=True, of=("self",))[:limit])


def write_timers(cases: list[Case]) -> None:
    """Save what the sweep changed on many locked cases (TIMER_FIELDS) in one statement per
    page (portal.bulk.update_rows: Django's bulk_update writes a CASE per field per row, which
    cost more than the rest of the sweep)."""
    now = timezone.now()
    for case in cases:
        case.updated_at = now
    update_rows(Case, cases, TIMER_FIELDS)


def sweep_batch(
    now: datetime | None = None, batch_size: int = 500, chains: dict | None = None
) -> int:
    """One batch of the deadline sweep, in one transaction: take every timer step now due on
    up to `batch_size` locked cases (yellow and red cards, escalation, 催办, 督办, callback no
    answer; a case whose dispatch message was lost is dispatched), save them, write their
    timeline steps and notices. Returns how many cases were taken.

    `chains` carries the place chains read by earlier batches of the same sweep (the area tree
    does not change between batches a second apart; people and rules are read afresh)."""
    now = now or timezone.now()
    with transaction.atomic():
        cases = lock_due(now, batch_size)
        taken = len(cases)
        if not taken:
            return 0
        # A case still waiting for dispatch past its grace time lost its message: route it now.
        waiting = [case for case in cases if case.state == S.SUBMITTED]
        if waiting:
            for case in waiting:
                dispatch_waiting(case)
            cases = [case for case in cases if case.state != S.SUBMITTED]
        batch = TimerBatch()
        if chains is not None:
            batch.cache.update(chains)
        # Everything escalation needs for the whole batch, in a few queries.
        routing.prefetch_chains(cases, batch.cache)
        if chains is not None:
            chains.update(routing.tree_entries(batch.cache))
        routing.attach_units(cases, batch.cache)
        routing.prefetch_unit_users(batch.cache, batch.user_cache, cases)
        for case in cases:
            if not advance_timers(case, now, batch):
                # Its check time came with nothing to do: it just gets its next time.
                schedule(case, now)
        write_timers(cases)
        batch.flush()
        return taken
