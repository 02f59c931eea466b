"""The SQL of grids that the ORM cannot declare, in one place.

Everything else the database enforces for grids is declared on the models (check, unique and
exclusion constraints in `Meta`). What stays here is run by migrations, which import it:

- ACCESS_LOG_APPEND_ONLY: the access log (grids.AccessLog, who saw which private number and
  why) refuses UPDATE and DELETE for every database user, the portal's included. A trigger,
  because a constraint cannot refuse a statement. Migration 0007 installs it.
- HOUSEHOLD_COUNTS: each area's figs_households / figs_people (the households registered on
  it and their members), kept by statement-level triggers on grids_household (portal.sql.counter_cache; each
  statement's new rows' counts added, its old rows' taken away, whoever writes), and a guard
  on grids_area that keeps the two columns out of every other writer's hands (an insert
  starts at 0, an UPDATE not made by the trigger keeps the old values). Migration 0013.
- AREA_PATH_C_COLLATION: area paths compare byte by byte (treebeard's materialised paths are
  ordered and range-scanned as strings, "0001" < "000A" < "0010"), whatever collation the
  database was created with. Migration 0008 applies it.

A change here needs a new migration that runs the new text; old migrations keep running
whatever this module says at the time they are applied.
"""

from portal.sql import counter_cache

ACCESS_LOG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION grids_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'grids_accesslog is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER grids_accesslog_append_only
    BEFORE UPDATE OR DELETE ON grids_accesslog
    FOR EACH ROW EXECUTE FUNCTION grids_accesslog_append_only();
"""
DROP_ACCESS_LOG_APPEND_ONLY = """
DROP TRIGGER IF EXISTS grids_accesslog_append_only ON grids_accesslog;
DROP FUNCTION IF EXISTS grids_accesslog_append_only();
"""

AREA_PATH_C_COLLATION = 'ALTER TABLE grids_area ALTER COLUMN path TYPE varchar(255) COLLATE "C"'
AREA_PATH_DEFAULT_COLLATION = (
    'ALTER TABLE grids_area ALTER COLUMN path TYPE varchar(255) COLLATE "default"'
)


_HOUSEHOLD_COUNTS = counter_cache(
    child="grids_household",
    parent="grids_area",
    fk="building_id",
    counts={"figs_households": "1", "figs_people": "member_count::bigint"},
)
HOUSEHOLD_COUNTS = _HOUSEHOLD_COUNTS["install"]
# The counts for the households already there (run before the guard exists).
HOUSEHOLD_COUNTS_BACKFILL = _HOUSEHOLD_COUNTS["backfill"]
DROP_HOUSEHOLD_COUNTS = _HOUSEHOLD_COUNTS["drop"]
