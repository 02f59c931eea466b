"""The SQL of grids that the ORM cannot declare, in one place.

Everything else the database enforces for grids is declared on the models (check, unique and
exclusion constraints in `Meta`). What stays here is run by migrations, which import it:

- ACCESS_LOG_APPEND_ONLY: the access log (grids.AccessLog, who saw which private number and
  why) refuses UPDATE and DELETE for every database user, the portal's included. A trigger,
  because a constraint cannot refuse a statement. Migration 0007 installs it.
- HOUSEHOLD_COUNTS: each area's figs_households / figs_people (the households registered on
  it and their members), kept by statement-level triggers on grids_household (each
  statement's new rows' counts added, its old rows' taken away, whoever writes), and a guard
  on grids_area that keeps the two columns out of every other writer's hands (an insert
  starts at 0, an UPDATE not made by the trigger keeps the old values). Migration 0013.
- AREA_PATH_C_COLLATION: area paths compare byte by byte (treebeard's materialised paths are
  ordered and range-scanned as strings, "0001" < "000A" < "0010"), whatever collation the
  database was created with. Migration 0008 applies it.

A change here needs a new migration that runs the new text; old migrations keep running
whatever this module says at the time they are applied.
"""

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


HOUSEHOLD_COUNTS = """
CREATE OR REPLACE FUNCTION grids_household_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE grids_area AS a
           SET figs_households = a.figs_households + d.n, figs_people = a.figs_people + d.p
          FROM (SELECT building_id, count(*) AS n, sum(member_count) AS p
                  FROM new_rows GROUP BY building_id) AS d
         WHERE a.id = d.building_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE grids_area AS a
           SET figs_households = a.figs_households - d.n, figs_people = a.figs_people - d.p
          FROM (SELECT building_id, count(*) AS n, sum(member_count) AS p
                  FROM old_rows GROUP BY building_id) AS d
         WHERE a.id = d.building_id;
    ELSE
        UPDATE grids_area AS a
           SET figs_households = a.figs_households + d.n, figs_people = a.figs_people + d.p
          FROM (SELECT building_id, sum(n) AS n, sum(p) AS p
                  FROM (SELECT building_id, 1 AS n, member_count::bigint AS p FROM new_rows
                        UNION ALL
                        SELECT building_id, -1, -member_count::bigint FROM old_rows) AS r
                 GROUP BY building_id) AS d
         WHERE a.id = d.building_id AND (d.n <> 0 OR d.p <> 0);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION grids_area_counts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.figs_households := 0;
        NEW.figs_people := 0;
    ELSIF pg_trigger_depth() < 2 THEN
        NEW.figs_households := OLD.figs_households;
        NEW.figs_people := OLD.figs_people;
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS grids_household_counts_insert ON grids_household;
CREATE TRIGGER grids_household_counts_insert AFTER INSERT ON grids_household
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_household_counts();
DROP TRIGGER IF EXISTS grids_household_counts_update ON grids_household;
CREATE TRIGGER grids_household_counts_update AFTER UPDATE ON grids_household
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_household_counts();
DROP TRIGGER IF EXISTS grids_household_counts_delete ON grids_household;
CREATE TRIGGER grids_household_counts_delete AFTER DELETE ON grids_household
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION grids_household_counts();
DROP TRIGGER IF EXISTS grids_area_counts_guard ON grids_area;
CREATE TRIGGER grids_area_counts_guard BEFORE INSERT OR UPDATE ON grids_area
    FOR EACH ROW EXECUTE FUNCTION grids_area_counts_guard();
"""

# The counts for the households already there (run before the guard exists).
HOUSEHOLD_COUNTS_BACKFILL = """
UPDATE grids_area AS a SET figs_households = d.n, figs_people = d.p
  FROM (SELECT building_id, count(*) AS n, sum(member_count) AS p
          FROM grids_household GROUP BY building_id) AS d
 WHERE a.id = d.building_id;
"""

DROP_HOUSEHOLD_COUNTS = """
DROP TRIGGER IF EXISTS grids_household_counts_insert ON grids_household;
DROP TRIGGER IF EXISTS grids_household_counts_update ON grids_household;
DROP TRIGGER IF EXISTS grids_household_counts_delete ON grids_household;
DROP TRIGGER IF EXISTS grids_area_counts_guard ON grids_area;
DROP FUNCTION IF EXISTS grids_household_counts();
DROP FUNCTION IF EXISTS grids_area_counts_guard();
"""
