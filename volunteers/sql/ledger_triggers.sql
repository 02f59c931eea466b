-- The ledger's own guards in PostgreSQL (docs/volunteers.md, "What the database enforces"):
-- - a DEFERRABLE INITIALLY DEFERRED constraint trigger: at commit, every transaction's entries
--   sum to zero per point type (the check waits for commit because the legs arrive one by one);
-- - a BEFORE INSERT trigger: an entry's point type is its account's;
-- - BEFORE UPDATE OR DELETE triggers on entries and transactions: the ledger is append-only,
--   corrections are reversing transactions. (TRUNCATE, used only by test teardown, is allowed.)
-- Installed by migrations through volunteers.sql.install("ledger_triggers") (0005 re-creates
-- what 0002 first did); the file can run again: functions are replaced, triggers re-created.
CREATE OR REPLACE FUNCTION volunteers_entry_zero_sum() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT point_type_id, SUM(amount) AS total INTO bad
      FROM volunteers_ledgerentry
     WHERE transaction_id = NEW.transaction_id
     GROUP BY point_type_id
    HAVING SUM(amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE =
            'ledger transaction ' || NEW.transaction_id || ' does not sum to zero (point type '
            || bad.point_type_id || ', sum ' || bad.total || ')';
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS volunteers_entry_zero_sum ON volunteers_ledgerentry;
CREATE CONSTRAINT TRIGGER volunteers_entry_zero_sum
    AFTER INSERT ON volunteers_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION volunteers_entry_zero_sum();

CREATE OR REPLACE FUNCTION volunteers_entry_point_type() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.point_type_id IS DISTINCT FROM
       (SELECT point_type_id FROM volunteers_account WHERE id = NEW.account_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            MESSAGE = 'ledger entry point type differs from its account''s';
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS volunteers_entry_point_type ON volunteers_ledgerentry;
CREATE TRIGGER volunteers_entry_point_type
    BEFORE INSERT ON volunteers_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION volunteers_entry_point_type();

CREATE OR REPLACE FUNCTION volunteers_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE =
        'the points ledger is append-only: ' || TG_OP || ' on ' || TG_TABLE_NAME
        || ' refused (post a reversal)';
END
$$;

DROP TRIGGER IF EXISTS volunteers_entry_append_only ON volunteers_ledgerentry;
CREATE TRIGGER volunteers_entry_append_only
    BEFORE UPDATE OR DELETE ON volunteers_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION volunteers_ledger_append_only();

DROP TRIGGER IF EXISTS volunteers_transaction_append_only ON volunteers_ledgertransaction;
CREATE TRIGGER volunteers_transaction_append_only
    BEFORE UPDATE OR DELETE ON volunteers_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION volunteers_ledger_append_only();
