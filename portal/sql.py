"""SQL the portal app installs in PostgreSQL (run by its migrations).

- LOGIN_LOG_APPEND_ONLY: the login log (portal.LoginEvent) refuses UPDATE for every database
  user, and DELETE of a row younger than 180 days (the legal minimum for network logs, China's
  Cybersecurity Law art. 21), so only `purge_login_log`'s retention removes rows, and never
  recent ones. Like the access log's trigger it does not guard TRUNCATE (the test runner
  empties tables with it); production withholds that privilege from the portal's role
  (docs/operations.md, "Security").

A change here needs a new migration that runs the new text.
"""

LOGIN_LOG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION portal_loginevent_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.at < now() - interval '180 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'portal_loginevent is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_loginevent_append_only
    BEFORE UPDATE OR DELETE ON portal_loginevent
    FOR EACH ROW EXECUTE FUNCTION portal_loginevent_guard();
"""
DROP_LOGIN_LOG_APPEND_ONLY = """
DROP TRIGGER IF EXISTS portal_loginevent_append_only ON portal_loginevent;
DROP FUNCTION IF EXISTS portal_loginevent_guard();
"""
