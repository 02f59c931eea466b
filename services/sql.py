"""The SQL of the services app, in one place.

Everything else in services/ goes through the ORM (and portal.bulk for the sweep's batch
writes); what is here is what the ORM cannot say, with the reason. Other SQL the app relies on:
the `any_of` lookup (services.models.cases: `= ANY(ARRAY(subquery))`, an index condition where
`IN (subquery)` scans every case) and, as history, migrations 0005 (C collation on the place
path, for LIKE prefix scans) and 0007 (indexes dropped and renamed in place).
"""

from __future__ import annotations

from datetime import date

from django.db import connection

# The day's case counter, taken in one statement: the ORM has no "increment or insert". The row
# is held only for the statement, so concurrent intakes each get their own number.
NEXT_NUMBER_SQL = (
    "INSERT INTO services_casecounter (day, last) VALUES (%s, 1) "
    "ON CONFLICT (day) DO UPDATE SET last = services_casecounter.last + 1 RETURNING last"
)


def analyze_cases() -> None:
    """After the city seed bulk-loads cases the planner's statistics are stale until autovacuum
    gets round to it, and the benchmarks run right after the seed. VACUUM too, outside a
    transaction: it fills the visibility map, without which index-only scans (the inbox count)
    fall back to reading rows, as they would not on a live server."""
    vacuum = "" if connection.in_atomic_block else "VACUUM "
    with connection.cursor() as cursor:
        for table in ("services_case", "services_caseevent"):
            cursor.execute(f"{vacuum}ANALYZE {table}")


def take_next_number(day: date) -> int:
    """The next sequence number of `day` (1 for its first case)."""
    with connection.cursor() as cursor:
        cursor.execute(NEXT_NUMBER_SQL, [day])
        (last,) = cursor.fetchone()
    return last
