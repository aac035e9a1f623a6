-- pos_extend: give a live hold its hold minutes (the event's, else the venue's) once more,
-- in one call.
-- reservations.services.extend_hold is its only caller.
--
--   1. lock the transaction and check it (pos_lock_pending_hold: yours, pending, live);
--   2. refuse when the venue does not allow extensions, or the hold was extended once;
--   3. lock the items by id and keep them until the latest expiry + the hold minutes
--      (the event's own, else the tenant's);
--   4. count the extension and write the audit row (who extended it, until when);
--   5. answer the hold with every item (pos_hold_answer).
--
-- Locks, in the order of reservations/lock_objects.py: the transaction, then its items.
CREATE OR REPLACE FUNCTION pos_extend(
    p_tx_id bigint,
    p_user_id bigint,
    p_every_hold boolean,
    p_allowed boolean,
    p_hold_minutes integer,
    p_now timestamptz,
    p_lock_timeout text
) RETURNS jsonb
LANGUAGE plpgsql
-- One plan per statement per connection, made once (reservations/sql/__init__.py).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_refusal jsonb;
    v_used integer;
    v_until timestamptz;
BEGIN
    PERFORM set_config('lock_timeout', p_lock_timeout, true);

    -- 1. The transaction.
    v_refusal := pos_lock_pending_hold(p_tx_id, p_user_id, p_every_hold, p_now);
    IF v_refusal IS NOT NULL THEN
        RETURN v_refusal;
    END IF;

    -- 2. Allowed?
    IF NOT p_allowed THEN
        RETURN jsonb_build_object('error', 'extension_not_allowed');
    END IF;
    SELECT extensions_used INTO v_used FROM sales_transaction WHERE id = p_tx_id;
    IF v_used >= 1 THEN
        RETURN jsonb_build_object('error', 'already_extended');
    END IF;

    -- 3. The items, kept longer: by the event's own hold minutes when it sets them
    --    (as pos_hold), else the tenant's `p_hold_minutes`.
    SELECT max(reserved_until) + make_interval(mins => coalesce(
               (SELECT e.reservation_hold_minutes FROM sales_transaction t
                  JOIN sales_event e ON e.id = t.event_id WHERE t.id = p_tx_id),
               p_hold_minutes)) INTO v_until
      FROM reservations_reservedticket WHERE transaction_id = p_tx_id AND status = 'active';
    UPDATE reservations_reservedticket SET reserved_until = v_until, updated_at = p_now
     WHERE id IN (SELECT id FROM reservations_reservedticket
                   WHERE transaction_id = p_tx_id AND status = 'active'
                   ORDER BY id FOR NO KEY UPDATE)
       AND status = 'active';

    -- 4. The extension counted, and the audit row.
    UPDATE sales_transaction SET extensions_used = extensions_used + 1, updated_at = p_now
     WHERE id = p_tx_id;
    INSERT INTO reservations_statuschange
           (subject, subject_id, transaction_id, from_status, to_status, reason, note,
            actor_id, created_at)
    VALUES ('transaction', p_tx_id, p_tx_id, 'pending', 'pending', 'user',
            'hold extended until '
            || to_char(v_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
            p_user_id, p_now);

    -- 5. The answer.
    RETURN pos_hold_answer(p_tx_id);
END;
$$;
