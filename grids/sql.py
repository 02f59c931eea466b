"""The SQL of grids that the ORM cannot declare, in one place.

Everything else the database enforces for grids is declared on the models (check, unique and
exclusion constraints in `Meta`). What stays here is run by migrations, which import it:

- ACCESS_LOG_APPEND_ONLY: the access log (grids.AccessLog, who saw which private number and
  why) refuses UPDATE and DELETE for every database user, the portal's included. A trigger,
  because a constraint cannot refuse a statement. Migration 0007 installs it.
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
