-- The ledger's own guards in PostgreSQL (docs/volunteers.md, "What the database enforces"):
-- - a DEFERRABLE INITIALLY DEFERRED constraint trigger: at commit, every transaction's entries
--   sum to zero per point type (the check waits for commit because the legs arrive one by one);
-- - a BEFORE INSERT trigger: an entry's point type is its account's;
-- - BEFORE UPDATE OR DELETE triggers on entries and transactions: the ledger is append-only,
--   corrections are reversing transactions;
-- - a balance row is its entries' sum: DEFERRABLE INITIALLY DEFERRED constraint triggers on
--   balance rows (insert, update) and on entries (insert) check at commit that every balance row
--   touched holds exactly the sum and the count of its account's entries. Posting (ledger.post,
--   volunteers_award) moves both in one transaction and passes; a balance changed by hand, or
--   entries written without their balance, is refused whole at commit. A balance row is never
--   deleted;
-- - BEFORE TRUNCATE triggers on entries, transactions and balances: refused, unless the
--   database itself carries `linli.ledger_truncate = 'allowed'` (ALTER DATABASE … SET, which
--   only its owner can do): the test databases, whose teardown empties every table.
-- Installed by migrations through volunteers.sql.install("ledger_triggers") (0005 re-creates
-- what 0002 first did, 0007 adds the balance and TRUNCATE guards); the file can run again:
-- functions are replaced, triggers re-created.
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

CREATE OR REPLACE FUNCTION volunteers_balance_is_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    stored record;
    computed record;
BEGIN
    -- The row as this transaction leaves it (NEW may be an earlier version of it).
    SELECT balance, entry_count INTO stored
      FROM volunteers_accountbalance WHERE account_id = NEW.account_id;
    IF NOT FOUND THEN
        RETURN NULL;  -- an account without a balance row (issuance, clearing): entries only
    END IF;
    SELECT COALESCE(SUM(amount), 0) AS total, COUNT(*) AS n INTO computed
      FROM volunteers_ledgerentry WHERE account_id = NEW.account_id;
    IF stored.balance <> computed.total OR stored.entry_count <> computed.n THEN
        RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE =
            'balance of account ' || NEW.account_id || ' (' || stored.balance || ', '
            || stored.entry_count || ' entries) is not its entries'' sum (' || computed.total
            || ', ' || computed.n || ' entries): a balance moves only by posting entries';
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS volunteers_balance_is_entries ON volunteers_accountbalance;
CREATE CONSTRAINT TRIGGER volunteers_balance_is_entries
    AFTER INSERT OR UPDATE ON volunteers_accountbalance
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION volunteers_balance_is_entries();

DROP TRIGGER IF EXISTS volunteers_entry_moves_balance ON volunteers_ledgerentry;
CREATE CONSTRAINT TRIGGER volunteers_entry_moves_balance
    AFTER INSERT ON volunteers_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION volunteers_balance_is_entries();

DROP TRIGGER IF EXISTS volunteers_balance_kept ON volunteers_accountbalance;
CREATE TRIGGER volunteers_balance_kept
    BEFORE DELETE ON volunteers_accountbalance
    FOR EACH ROW EXECUTE FUNCTION volunteers_ledger_append_only();

CREATE OR REPLACE FUNCTION volunteers_ledger_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1
                 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
                WHERE d.datname = current_database() AND s.setrole = 0
                  AND 'linli.ledger_truncate=allowed' = ANY (s.setconfig)) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE =
        'the points ledger is append-only: TRUNCATE of ' || TG_TABLE_NAME || ' refused';
END
$$;

DROP TRIGGER IF EXISTS volunteers_entry_no_truncate ON volunteers_ledgerentry;
CREATE TRIGGER volunteers_entry_no_truncate
    BEFORE TRUNCATE ON volunteers_ledgerentry
    FOR EACH STATEMENT EXECUTE FUNCTION volunteers_ledger_no_truncate();

DROP TRIGGER IF EXISTS volunteers_transaction_no_truncate ON volunteers_ledgertransaction;
CREATE TRIGGER volunteers_transaction_no_truncate
    BEFORE TRUNCATE ON volunteers_ledgertransaction
    FOR EACH STATEMENT EXECUTE FUNCTION volunteers_ledger_no_truncate();

DROP TRIGGER IF EXISTS volunteers_balance_no_truncate ON volunteers_accountbalance;
CREATE TRIGGER volunteers_balance_no_truncate
    BEFORE TRUNCATE ON volunteers_accountbalance
    FOR EACH STATEMENT EXECUTE FUNCTION volunteers_ledger_no_truncate();
