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
# confirmed places and those checked in, kept by the database itself so the dashboard sums a
# district's few thousand activities instead of counting its 200,000 sign-ups per request.
# Statement-level triggers with transition tables: one UPDATE per statement whatever it
# touched (a sign-up, a whole activity's waitlist, the city seed's COPY of 2,000,000 rows), the
# change being the rows' new counts minus their old ones, so any write (a status change, a
# check-in, a move to another activity, a delete) is counted, whichever code made it. A guard
# on the activity keeps the two columns out of every other writer's hands: an insert starts
# them at 0 (an activity has no sign-ups yet), an UPDATE not made by the sign-up trigger keeps
# their old values (an Activity.save() holding a stale copy cannot overwrite them). Installed
# by migration 0011_figs_activity_counts; written to run twice.
SIGNUP_COUNTS_SQL = """
CREATE OR REPLACE FUNCTION centres_signup_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE centres_activity AS a
           SET figs_confirmed = a.figs_confirmed + d.c, figs_checked_in = a.figs_checked_in + d.k
          FROM (SELECT activity_id,
                       count(*) FILTER (WHERE status = 'confirmed') AS c,
                       count(*) FILTER (WHERE status = 'confirmed' AND checked_in_at IS NOT NULL) AS k
                  FROM new_rows GROUP BY activity_id) AS d
         WHERE a.id = d.activity_id AND (d.c <> 0 OR d.k <> 0);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE centres_activity AS a
           SET figs_confirmed = a.figs_confirmed - d.c, figs_checked_in = a.figs_checked_in - d.k
          FROM (SELECT activity_id,
                       count(*) FILTER (WHERE status = 'confirmed') AS c,
                       count(*) FILTER (WHERE status = 'confirmed' AND checked_in_at IS NOT NULL) AS k
                  FROM old_rows GROUP BY activity_id) AS d
         WHERE a.id = d.activity_id AND (d.c <> 0 OR d.k <> 0);
    ELSE
        UPDATE centres_activity AS a
           SET figs_confirmed = a.figs_confirmed + d.c, figs_checked_in = a.figs_checked_in + d.k
          FROM (SELECT activity_id, sum(c) AS c, sum(k) AS k
                  FROM (SELECT activity_id,
                               (status = 'confirmed')::int AS c,
                               (status = 'confirmed' AND checked_in_at IS NOT NULL)::int AS k
                          FROM new_rows
                        UNION ALL
                        SELECT activity_id,
                               -(status = 'confirmed')::int,
                               -(status = 'confirmed' AND checked_in_at IS NOT NULL)::int
                          FROM old_rows) AS rows
                 GROUP BY activity_id) AS d
         WHERE a.id = d.activity_id AND (d.c <> 0 OR d.k <> 0);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION centres_activity_counts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.figs_confirmed := 0;
        NEW.figs_checked_in := 0;
    ELSIF pg_trigger_depth() < 2 THEN
        NEW.figs_confirmed := OLD.figs_confirmed;
        NEW.figs_checked_in := OLD.figs_checked_in;
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS centres_signup_counts_insert ON centres_signup;
CREATE TRIGGER centres_signup_counts_insert AFTER INSERT ON centres_signup
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION centres_signup_counts();
DROP TRIGGER IF EXISTS centres_signup_counts_update ON centres_signup;
CREATE TRIGGER centres_signup_counts_update AFTER UPDATE ON centres_signup
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION centres_signup_counts();
DROP TRIGGER IF EXISTS centres_signup_counts_delete ON centres_signup;
CREATE TRIGGER centres_signup_counts_delete AFTER DELETE ON centres_signup
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION centres_signup_counts();
DROP TRIGGER IF EXISTS centres_activity_counts_guard ON centres_activity;
CREATE TRIGGER centres_activity_counts_guard BEFORE INSERT OR UPDATE ON centres_activity
    FOR EACH ROW EXECUTE FUNCTION centres_activity_counts_guard();
"""

# The counts for the sign-ups already there (run before the guard is installed).
SIGNUP_COUNTS_BACKFILL = """
UPDATE centres_activity AS a SET figs_confirmed = d.c, figs_checked_in = d.k
  FROM (SELECT activity_id,
               count(*) FILTER (WHERE status = 'confirmed') AS c,
               count(*) FILTER (WHERE status = 'confirmed' AND checked_in_at IS NOT NULL) AS k
          FROM centres_signup GROUP BY activity_id) AS d
 WHERE a.id = d.activity_id;
"""

# What the migration leaves when reversed.
SIGNUP_COUNTS_DROP = """
DROP TRIGGER IF EXISTS centres_signup_counts_insert ON centres_signup;
DROP TRIGGER IF EXISTS centres_signup_counts_update ON centres_signup;
DROP TRIGGER IF EXISTS centres_signup_counts_delete ON centres_signup;
DROP TRIGGER IF EXISTS centres_activity_counts_guard ON centres_activity;
DROP FUNCTION IF EXISTS centres_signup_counts();
DROP FUNCTION IF EXISTS centres_activity_counts_guard();
"""
