-- volunteers_award(): the award rule of the points ledger, in one round trip.
-- Called by volunteers.ledger.award() (through volunteers.sql.CALL_AWARD); installed and
-- re-installed by migrations that run volunteers.sql.install("award") (0005 first). Changing
-- this file needs a new migration that installs it again; tests/volunteers/test_award_function.py
-- fails while the database's copy differs from this file.
--
-- In the caller's transaction:
-- 1. the idempotency key: an existing transaction is the answer ('exists');
-- 2. the point type (by id, else by code), the community's policy in force on p_today (else the
--    model's defaults, passed in by Python), the amount in hundredths of a point, rounded half
--    to even as volunteers.models.to_cents does; nothing positive: 'no_amount';
-- 3. the member's account, the community's issuance account and, when the member has a storage
--    cap, its donation pool; one missing: 'open' (Python opens it and calls again);
-- 4. INSERT of the transaction, ON CONFLICT (idempotency_key) DO NOTHING: a concurrent posting
--    with the same key that committed first is the answer ('exists'), nothing else is written;
-- 5. the balance moves, in the lock order of ledger.post: the member's row gets the whole
--    amount when its conditional UPDATE (floor and ceiling in the WHERE) passes; otherwise the
--    member's and the pool's rows are locked in account-id order, what fits under the member's
--    ceiling goes to the member and the rest to the pool (as in Nanjing). A refused move raises
--    check_violation naming volunteers_balance_within_bounds, so the whole statement
--    (transaction row included) is undone;
-- 6. the entries: issuance -amount, member +kept (with the expiry date), pool +rest, zero legs
--    left out. The ledger's triggers (ledger_triggers.sql) still run on them, the deferred
--    zero-sum check at commit.
-- Returns (status, transaction id).
CREATE OR REPLACE FUNCTION volunteers_award(
    p_key text, p_user bigint, p_community bigint, p_pt bigint, p_pt_code text,
    p_hours numeric, p_today date, p_now timestamptz, p_memo text, p_source text,
    p_actor bigint, p_approved_by bigint, p_default_rate numeric, p_default_expiry integer,
    OUT status text, OUT txn_id bigint
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_pt bigint;
    v_rate numeric;
    v_expiry integer;
    v_found boolean;
    v_raw numeric;
    v_amount bigint;
    v_expires date;
    v_member bigint;
    v_m_ceiling bigint;
    v_issuance bigint;
    v_pool bigint;
    v_balance bigint;
    v_keep bigint;
BEGIN
    SELECT id INTO txn_id FROM volunteers_ledgertransaction WHERE idempotency_key = p_key;
    IF FOUND THEN
        status := 'exists';
        RETURN;
    END IF;

    IF p_pt IS NOT NULL THEN
        SELECT id INTO v_pt FROM volunteers_pointtype WHERE id = p_pt;
    ELSE
        SELECT id INTO v_pt FROM volunteers_pointtype WHERE code = p_pt_code;
    END IF;
    IF v_pt IS NULL THEN
        status := 'open';
        RETURN;
    END IF;

    SELECT points_per_hour, expiry_days, true INTO v_rate, v_expiry, v_found
      FROM volunteers_pointspolicy
     WHERE community_id = p_community AND point_type_id = v_pt AND effective_from <= p_today
     ORDER BY effective_from DESC
     LIMIT 1;
    IF v_found IS NULL THEN
        v_rate := p_default_rate;
        v_expiry := p_default_expiry;
    END IF;

    -- to_cents(): hundredths of a point, rounded half to even (Python's decimal default).
    v_raw := p_hours * v_rate * 100;
    v_amount := trunc(v_raw);
    IF abs(v_raw - v_amount) > 0.5 OR (abs(v_raw - v_amount) = 0.5 AND v_amount % 2 <> 0) THEN
        v_amount := v_amount + sign(v_raw);
    END IF;
    IF v_amount <= 0 THEN
        status := 'no_amount';
        RETURN;
    END IF;
    IF v_expiry IS NOT NULL AND v_expiry <> 0 THEN
        v_expires := p_today + v_expiry;
    END IF;

    SELECT id, ceiling INTO v_member, v_m_ceiling
      FROM volunteers_account
     WHERE point_type_id = v_pt AND owner_id = p_user AND kind = 'member';
    SELECT id INTO v_issuance
      FROM volunteers_account
     WHERE point_type_id = v_pt AND community_id = p_community AND kind = 'issuance';
    IF v_m_ceiling IS NOT NULL THEN
        SELECT id INTO v_pool
          FROM volunteers_account
         WHERE point_type_id = v_pt AND community_id = p_community AND kind = 'donation';
    END IF;
    IF v_member IS NULL OR v_issuance IS NULL OR (v_m_ceiling IS NOT NULL AND v_pool IS NULL) THEN
        status := 'open';
        RETURN;
    END IF;

    INSERT INTO volunteers_ledgertransaction
        (kind, idempotency_key, community_id, memo, source, created_by_id, approved_by_id,
         reverses_id, occurred_at, created_at)
    VALUES ('award', p_key, p_community, p_memo, p_source, p_actor, p_approved_by,
            NULL, p_now, p_now)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO txn_id;
    IF txn_id IS NULL THEN
        -- Another posting with this key committed while we waited: it is the answer.
        SELECT id INTO txn_id FROM volunteers_ledgertransaction WHERE idempotency_key = p_key;
        status := 'exists';
        RETURN;
    END IF;

    -- Optimistic: most awards fit under the cap, and this UPDATE refuses one that does not.
    UPDATE volunteers_accountbalance
       SET balance = balance + v_amount, entry_count = entry_count + 1, updated_at = p_now
     WHERE account_id = v_member
       AND (floor IS NULL OR balance + v_amount >= floor)
       AND (ceiling IS NULL OR balance + v_amount <= ceiling);
    IF FOUND THEN
        v_keep := v_amount;
    ELSIF v_m_ceiling IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation',
            CONSTRAINT = 'volunteers_balance_within_bounds',
            MESSAGE = 'award refused by volunteers_balance_within_bounds (account '
                      || v_member || ')';
    ELSE
        -- Split at the cap: lock both rows in account-id order (the order ledger.post uses),
        -- then read the member's headroom.
        PERFORM 1 FROM volunteers_accountbalance
          WHERE account_id IN (v_member, v_pool) ORDER BY account_id FOR UPDATE;
        SELECT balance INTO v_balance FROM volunteers_accountbalance WHERE account_id = v_member;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'account % has no balance row', v_member;
        END IF;
        v_keep := least(v_amount, greatest(0, v_m_ceiling - v_balance));
        IF v_keep > 0 THEN
            UPDATE volunteers_accountbalance
               SET balance = balance + v_keep, entry_count = entry_count + 1, updated_at = p_now
             WHERE account_id = v_member
               AND (floor IS NULL OR balance + v_keep >= floor)
               AND (ceiling IS NULL OR balance + v_keep <= ceiling);
            IF NOT FOUND THEN
                RAISE EXCEPTION USING ERRCODE = 'check_violation',
                    CONSTRAINT = 'volunteers_balance_within_bounds',
                    MESSAGE = 'award refused by volunteers_balance_within_bounds (account '
                              || v_member || ')';
            END IF;
        END IF;
        IF v_amount - v_keep > 0 THEN
            UPDATE volunteers_accountbalance
               SET balance = balance + (v_amount - v_keep), entry_count = entry_count + 1,
                   updated_at = p_now
             WHERE account_id = v_pool
               AND (floor IS NULL OR balance + (v_amount - v_keep) >= floor)
               AND (ceiling IS NULL OR balance + (v_amount - v_keep) <= ceiling);
            IF NOT FOUND THEN
                RAISE EXCEPTION USING ERRCODE = 'check_violation',
                    CONSTRAINT = 'volunteers_balance_within_bounds',
                    MESSAGE = 'award refused by volunteers_balance_within_bounds (account '
                              || v_pool || ')';
            END IF;
        END IF;
    END IF;

    INSERT INTO volunteers_ledgerentry
        (transaction_id, account_id, point_type_id, amount, expires_on)
    SELECT txn_id, v.a, v_pt, v.m, v.x
      FROM (VALUES (v_issuance, -v_amount, NULL::date),
                   (v_pool, v_amount - v_keep, NULL::date),
                   (v_member, v_keep, v_expires)) AS v(a, m, x)
     WHERE v.m <> 0;
    status := 'created';
END
$$;
