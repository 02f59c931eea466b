-- A ledger entry carries a copy of its transaction's time and kind (occurred_at, tx_kind), so
-- the dashboard's 福分 figures (volunteers.figures) sum a district's entries of a period from
-- the (account, occurred_at) index alone instead of looking up 200,000 transactions. The copy
-- is the database's, never the caller's: a BEFORE INSERT trigger writes it from the
-- transaction on every insert (ledger.post, volunteers_award(), the demo seed), whatever the
-- insert said; entries and transactions are append-only, so the copy can never go stale.
-- Installed by migration 0009_figs_entry_copies through volunteers.sql.install; runs twice.
CREATE OR REPLACE FUNCTION volunteers_entry_copies_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT occurred_at, kind INTO NEW.occurred_at, NEW.tx_kind
      FROM volunteers_ledgertransaction
     WHERE id = NEW.transaction_id;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS volunteers_entry_copies_transaction ON volunteers_ledgerentry;
CREATE TRIGGER volunteers_entry_copies_transaction
    BEFORE INSERT ON volunteers_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION volunteers_entry_copies_transaction();
