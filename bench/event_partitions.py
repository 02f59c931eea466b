"""The case-event hot paths, to compare the table before and after its conversion to monthly
partitions (services.partitions; `manage.py partition_case_events`): run it on a copy of the
city seed, convert, run it again (docs/scaling.md has the figures).

Figures (median and p95 of REPEAT runs, after warm-up): a case's timeline as the case pages
read it (case_id, ordered by at, id) for the newest case and for one from the oldest month;
Open311's servicerequestupdates feed (a day's window of public steps in (at, id) order, 1,000
at most, with their cases); and one sweep batch of 500 due cases (locks, timers, the batch's
timeline steps inserted), rolled back after each run so every run sweeps the same cases.
Plus the table's shape: partitioned or not, its partitions, its size.
"""

from __future__ import annotations

import statistics
from datetime import timedelta

from bench._util import p95, timings

REPEAT = 40


class _Rollback(Exception):
    pass


def run(emit) -> None:
    from django.db import connection, transaction

    from open311 import records
    from services import partitions
    from services.actions.sweep import sweep_batch
    from services.models import Case, CaseEvent

    with connection.cursor() as cursor:
        shaped = partitions.is_partitioned(cursor)
        parts = len(partitions.partitions(cursor)) if shaped else 0
        cursor.execute(
            "SELECT pg_total_relation_size(c.oid) + coalesce((SELECT sum("
            "pg_total_relation_size(i.inhrelid)) FROM pg_inherits i WHERE i.inhparent = c.oid), 0)"
            " FROM pg_class c WHERE c.relname = 'services_caseevent'"
        )
        size = cursor.fetchone()[0]
        cursor.execute("SELECT count(*), min(at), max(at) FROM services_caseevent")
        events, first_at, last_at = cursor.fetchone()
    sizes = {"events": events, "partitioned": shaped, "partitions": parts}
    emit("case-event table size", float(size) / 2**20, "MB", **sizes)

    newest = Case.objects.order_by("-pk").values_list("pk", flat=True).first()
    oldest = CaseEvent.objects.filter(at__lt=first_at + timedelta(days=20)).values_list(
        "case_id", flat=True
    )[:1][0]

    def figure(name: str, fn) -> None:
        samples = timings(fn, repeat=REPEAT)
        emit(name, statistics.median(samples), "ms", p95_ms=round(p95(samples), 3), **sizes)

    for label, case_id in (("newest", newest), ("oldest month", oldest)):
        figure(
            f"a case's timeline ({label} case)",
            lambda case_id=case_id: list(
                CaseEvent.objects.filter(case_id=case_id).order_by("at", "pk")
            ),
        )
    start = last_at - timedelta(days=1)
    figure(
        "Open311 updates feed (a day, 1,000 steps)",
        lambda: list(
            CaseEvent.objects.filter(
                case__in=records.readable(None),
                at__gte=start,
                at__lte=last_at,
                action__in=records.PUBLIC_ACTIONS,
            )
            .select_related("case__handling_area", "case__handling_department")
            .only(*records.UPDATE_FIELDS)
            .order_by("at", "pk")[:1000]
        ),
    )

    due = Case.objects.filter(next_check_at__isnull=False).order_by("next_check_at")
    moment = due.values_list("next_check_at", flat=True)[499:500].first()
    if moment is None:
        return

    def sweep() -> None:
        try:
            with transaction.atomic():
                sweep_batch(now=moment, batch_size=500)
                raise _Rollback
        except _Rollback:
            pass

    samples = timings(sweep, repeat=10, warmup=2)
    emit(
        "sweep batch (500 due cases, rolled back)",
        statistics.median(samples),
        "ms",
        p95_ms=round(p95(samples), 3),
        **sizes,
    )
