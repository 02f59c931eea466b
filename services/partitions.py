"""The case-event table, partitioned by month on `at` (PostgreSQL declarative RANGE
partitioning), and its upkeep: months created ahead, old months detached and archived.

Why: a province writes about 30 million events a year, and the operations team keeps them for
years. One heap of 150 million rows makes every VACUUM, index rebuild and retention purge a
job over the whole table; by month, each is a job over one partition, and retention is a
DETACH and a DROP instead of a DELETE of millions of rows. The hot reads (a case's timeline by
(case_id, at), Open311's feed by (at, id), the sweep's starters by case_id) stay index scans,
one per partition (docs/scaling.md has the plans measured before and after).

Shape: the primary key is (id, at), as PostgreSQL requires the partition key in every unique
constraint. Django still treats `id` alone as the key; ids stay unique because they only ever
come from the identity sequence (nothing inserts an explicit id: the actions, bulk_create and
the demo seed all leave it to the database). No foreign key points at the table, so nothing
else needs id to be unique on its own. Months are calendar months of settings.TIME_ZONE; a
DEFAULT partition catches anything outside the months created (it should stay empty: the beat
task creates the months ahead, see ensure_months).

Migration path: services 0019 converts a table below DIRECT_LIMIT rows in place (a fresh
install, the test database); a bigger one is left as it is and the operator runs
`manage.py partition_case_events` (services.partition_convert: online, resumable).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

logger = logging.getLogger("services.partitions")

TABLE = "services_caseevent"
# Below this many rows migration 0019 converts the table itself, in its transaction (a few
# seconds at most); above, it leaves the table alone and the command does it online.
DIRECT_LIMIT = 100_000
# Months created ahead of the current one by the beat task (and by a conversion).
MONTHS_AHEAD = 3
# Per partition: PostgreSQL keeps no storage parameters on a partitioned parent, so migration
# 0016's thresholds for the event table are set on every month instead (each month is about
# three million rows at a province's volume, as the whole table was when 0016 was written).
EVENT_AUTOVACUUM = (
    "autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_vacuum_insert_threshold = 50000, "
    "autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 50000"
)
# DDL on the live table waits at most this long for its lock, so that a long reader never
# turns it into a queue that stalls every intake behind it; the caller tries again later.
LOCK_TIMEOUT = "3s"
_MONTH_NAME = re.compile(r"_p(\d{4})_(\d{2})$")


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_of(moment: datetime) -> date:
    """The first day of the month (in settings.TIME_ZONE) that `moment` falls in."""
    local = moment.astimezone(zone())
    return date(local.year, local.month, 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def bound(month: date) -> datetime:
    """The first instant of `month`, as an aware datetime in settings.TIME_ZONE."""
    return datetime(month.year, month.month, 1, tzinfo=zone())


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month.year:04d}_{month.month:02d}"


def default_name(table: str) -> str:
    return f"{table}_default"


def name_month(name: str) -> date | None:
    found = _MONTH_NAME.search(name)
    return date(int(found[1]), int(found[2]), 1) if found else None


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def is_partitioned(cursor: CursorWrapper, table: str = TABLE) -> bool:
    cursor.execute("SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(%s)", [quote(table)])
    row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def exists(cursor: CursorWrapper, table: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [quote(table)])
    return cursor.fetchone()[0]


@dataclass(frozen=True)
class Partition:
    name: str
    month: date | None  # None: the DEFAULT partition
    rows: int  # the planner's estimate (reltuples), -1 before the first ANALYZE


def partitions(cursor: CursorWrapper, table: str = TABLE) -> list[Partition]:
    """The partitions attached to `table`, oldest month first, DEFAULT last."""
    cursor.execute(
        "SELECT c.relname, c.reltuples::bigint, pg_get_expr(c.relpartbound, c.oid) "
        "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(%s)",
        [quote(table)],
    )
    found = [
        Partition(name, None if spec == "DEFAULT" else name_month(name), rows)
        for name, rows, spec in cursor.fetchall()
    ]
    return sorted(found, key=lambda p: (p.month is None, p.month or date.min))


def create_month_sql(parent: str, table: str, month: date) -> str:
    """CREATE TABLE for `month`'s partition of `parent` (named after `table`, the name the
    parent has or will have once a conversion swaps it in)."""
    lo, hi = bound(month).isoformat(), bound(add_months(month, 1)).isoformat()
    return (
        f"CREATE TABLE IF NOT EXISTS {quote(partition_name(table, month))} "
        f"PARTITION OF {quote(parent)} FOR VALUES FROM ('{lo}') TO ('{hi}') "
        f"WITH ({EVENT_AUTOVACUUM})"
    )


def create_default_sql(parent: str, table: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {quote(default_name(table))} "
        f"PARTITION OF {quote(parent)} DEFAULT WITH ({EVENT_AUTOVACUUM})"
    )


def months_between(first: date, last: date) -> Iterable[date]:
    month = first
    while month <= last:
        yield month
        month = add_months(month, 1)


def ensure_months(
    ahead: int = MONTHS_AHEAD, now: datetime | None = None, table: str = TABLE
) -> list[str]:
    """Create the partitions of the current month and the `ahead` months after it, and the
    DEFAULT partition, where they are missing; returns the names created. Idempotent (the beat
    runs it daily); does nothing while the table is not partitioned yet. A month that cannot
    be created (the lock not had in LOCK_TIMEOUT, or rows for it already in DEFAULT) is logged
    and left for the next run: its rows meanwhile land in DEFAULT, which loses nothing."""
    from django.utils import timezone

    first = month_of(now or timezone.now())
    created: list[str] = []
    with connection.cursor() as cursor:
        if not is_partitioned(cursor, table):
            return created
        have = {p.month for p in partitions(cursor, table)}
        wanted: list[tuple[str, str]] = []
        if None not in have:
            wanted.append((default_name(table), create_default_sql(table, table)))
        wanted += [
            (partition_name(table, month), create_month_sql(table, table, month))
            for month in months_between(first, add_months(first, ahead))
            if month not in have
        ]
        for name, sql in wanted:
            try:
                with transaction.atomic():
                    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                    cursor.execute(sql)
            except Exception as exc:  # one month failing must not stop the others
                logger.error("partition %s not created: %s", name, exc)
                continue
            created.append(name)
            logger.info("partition %s created", name)
    return created


def analyze(table: str = TABLE) -> None:
    """ANALYZE the partitioned parent: autovacuum analyzes each month but never the parent,
    whose statistics the planner uses for queries across months (the joins on case_id)."""
    with connection.cursor() as cursor:
        if is_partitioned(cursor, table):
            cursor.execute(f"ANALYZE {quote(table)}")
