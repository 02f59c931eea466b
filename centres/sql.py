"""The SQL of the centres app, in one place.

Everything else in centres/ goes through the ORM; what is here is what the ORM cannot say as
cheaply, each with the reason. The rules themselves are not here: the place-taking rule is
centres.actions.activities._places_for (under the activity's row lock), and the no-overlap rule for
bookings is the ExclusionConstraint in Booking.Meta.

Only the city-scale demo (centres.demo.seed_city, for the benchmarks) uses these: loading
2,000,000 sign-ups with bulk_create takes minutes, with COPY seconds.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from django.db import connection

from portal.sql import counter_cache

# After a bulk load the planner's statistics are stale until autovacuum gets round to it;
# the benchmarks run right after the seed.
ANALYZE_SQL = (
    "ANALYZE centres_centre; ANALYZE centres_activity; ANALYZE centres_signup; "
    "ANALYZE centres_service; ANALYZE centres_function"
)

# The counters sign_up would have left, for activities whose sign-ups were copied in: one
# UPDATE … FROM (VALUES …) per page instead of one UPDATE per activity.
SET_COUNTS_SQL = (
    "UPDATE centres_activity AS a SET confirmed_count = v.c, waitlist_count = v.w "
    "FROM (VALUES %s) AS v(id, c, w) WHERE a.id = v.id"
)


def analyze() -> None:
    """Refresh the planner's statistics of the centre tables."""
    with connection.cursor() as cursor:
        cursor.execute(ANALYZE_SQL)


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """COPY text rows (tab-separated, NULL as \\N) into `table`."""
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join(row) + "\n")
    buf.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_from(buf, table, columns=tuple(columns), null="\\N")


def set_counts(counts: Sequence[tuple[int, int, int]]) -> None:
    """Set (activity id, confirmed, waiting) counters, 5,000 activities a statement."""
    from psycopg2.extras import execute_values

    with connection.cursor() as cursor:
        execute_values(cursor.cursor, SET_COUNTS_SQL, counts, page_size=5000)


# The sign-up figures' counts per activity (Activity.figs_confirmed, figs_checked_in): the
# confirmed places and those checked in, kept by the database itself (portal.sql.counter_cache
# says how) so the dashboard sums a district's few thousand activities instead of counting its
# 200,000 sign-ups per request. Installed by migration 0011_figs_activity_counts.
_SIGNUP_COUNTS = counter_cache(
    child="centres_signup",
    parent="centres_activity",
    fk="activity_id",
    counts={
        "figs_confirmed": "(status = 'confirmed')::int",
        "figs_checked_in": "(status = 'confirmed' AND checked_in_at IS NOT NULL)::int",
    },
)
SIGNUP_COUNTS_SQL = _SIGNUP_COUNTS["install"]
# The counts for the sign-ups already there (run before the guard is installed).
SIGNUP_COUNTS_BACKFILL = _SIGNUP_COUNTS["backfill"]
# What the migration leaves when reversed.
SIGNUP_COUNTS_DROP = _SIGNUP_COUNTS["drop"]
