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


def counter_cache(*, child: str, parent: str, fk: str, counts: dict[str, str]) -> dict[str, str]:
    """Counts kept on a parent row by the database: `counts` maps each parent column to what
    one child row adds to it (an SQL expression over the child's columns, e.g. `1` or
    `(status = 'confirmed')::int`). Returns the SQL to install, drop and backfill them.

    Statement-level triggers with transition tables: one UPDATE per statement whatever it
    touched (one row or a seed's COPY of millions), the change being the rows' new values minus
    their old ones, so any write — a status change, a move to another parent, a delete — is
    counted, whichever code made it. A guard on the parent keeps the columns out of every other
    writer's hands: an insert starts them at 0 (a new parent has no children), an UPDATE not
    made by the counting trigger keeps the old values (a stale Model.save() cannot overwrite
    them). The install text can run twice."""
    function, guard = f"{child}_counts", f"{parent}_counts_guard"
    names = [f"c{i}" for i in range(len(counts))]
    pairs = list(zip(counts, names, strict=True))

    def update(sign: str, source: str) -> str:
        sets = ", ".join(f"{col} = a.{col} {sign} d.{n}" for col, n in pairs)
        return (
            f"UPDATE {parent} AS a SET {sets} FROM ({source}) AS d "
            f"WHERE a.id = d.{fk} AND ({' OR '.join(f'd.{n} <> 0' for n in names)});"
        )

    def summed(table: str) -> str:
        sums = ", ".join(
            f"sum({expr}) AS {n}" for expr, n in zip(counts.values(), names, strict=True)
        )
        return f"SELECT {fk}, {sums} FROM {table} GROUP BY {fk}"

    new = ", ".join(f"({expr}) AS {n}" for expr, n in zip(counts.values(), names, strict=True))
    old = ", ".join(f"-({expr})" for expr in counts.values())
    moved = (
        f"SELECT {fk}, {', '.join(f'sum({n}) AS {n}' for n in names)} FROM "
        f"(SELECT {fk}, {new} FROM new_rows UNION ALL SELECT {fk}, {old} FROM old_rows) AS r "
        f"GROUP BY {fk}"
    )
    zero = " ".join(f"NEW.{col} := 0;" for col in counts)
    keep = " ".join(f"NEW.{col} := OLD.{col};" for col in counts)
    triggers = "\n".join(
        f"DROP TRIGGER IF EXISTS {function}_{op.lower()} ON {child};\n"
        f"CREATE TRIGGER {function}_{op.lower()} AFTER {op} ON {child} REFERENCING {tables} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
        for op, tables in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        )
    )
    install = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {update("+", summed("new_rows"))}
    ELSIF TG_OP = 'DELETE' THEN
        {update("-", summed("old_rows"))}
    ELSE
        {update("+", moved)}
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION {guard}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {zero}
    ELSIF pg_trigger_depth() < 2 THEN
        {keep}
    END IF;
    RETURN NEW;
END
$$;
{triggers}
DROP TRIGGER IF EXISTS {guard} ON {parent};
CREATE TRIGGER {guard} BEFORE INSERT OR UPDATE ON {parent}
    FOR EACH ROW EXECUTE FUNCTION {guard}();
"""
    sets = ", ".join(f"{col} = d.{n}" for col, n in pairs)
    backfill = f"UPDATE {parent} AS a SET {sets} FROM ({summed(child)}) AS d WHERE a.id = d.{fk};"
    drop = "\n".join(
        [
            f"DROP TRIGGER IF EXISTS {function}_{op} ON {child};"
            for op in ("insert", "update", "delete")
        ]
        + [
            f"DROP TRIGGER IF EXISTS {guard} ON {parent};",
            f"DROP FUNCTION IF EXISTS {function}();",
            f"DROP FUNCTION IF EXISTS {guard}();",
        ]
    )
    return {"install": install, "drop": drop, "backfill": backfill}
