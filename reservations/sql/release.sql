-- pos_release: release a whole hold (CANCELLED) or some of its seats, in one call.
-- reservations.services.release_hold is its only caller.
--
--   1. lock the transaction and check it (pos_lock_pending_hold: yours, pending, live);
--   2. with `p_seat_ids` (NULL: everything), refuse an empty list or seats not held here;
--   3. lock the items by id and record CANCELLED on them, with an audit row each;
--   4. anything left ACTIVE: the subtotal is what is left; nothing left: the transaction
--      is CANCELLED too (audit row);
--   5. answer the hold with every item (pos_hold_answer).
--
-- Locks, in the order of reservations/lock_objects.py: the transaction, then its items.
CREATE OR REPLACE FUNCTION pos_release(
    p_tx_id bigint,
    p_user_id bigint,
    p_every_hold boolean,
    p_seat_ids bigint[],
    p_reason text,
    p_now timestamptz,
    p_lock_timeout text
) RETURNS jsonb
LANGUAGE plpgsql
-- One plan per statement per connection, made once (reservations/sql/__init__.py).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_refusal jsonb;
    v_missing bigint[];
    v_left numeric;
BEGIN
    PERFORM set_config('lock_timeout', p_lock_timeout, true);

    -- 1. The transaction.
    v_refusal := pos_lock_pending_hold(p_tx_id, p_user_id, p_every_hold, p_now);
    IF v_refusal IS NOT NULL THEN
        RETURN v_refusal;
    END IF;

    -- 2. The seats asked for.
    IF p_seat_ids IS NOT NULL THEN
        IF cardinality(p_seat_ids) = 0 THEN
            RETURN jsonb_build_object('error', 'no_seats');
        END IF;
        SELECT array_agg(DISTINCT wanted ORDER BY wanted) INTO v_missing
          FROM unnest(p_seat_ids) AS wanted
         WHERE NOT EXISTS (SELECT 1 FROM reservations_reservedticket
                            WHERE transaction_id = p_tx_id AND status = 'active'
                              AND seat_id = wanted);
        IF v_missing IS NOT NULL THEN
            RETURN jsonb_build_object('error', 'seats_not_in_hold', 'seat_ids',
                                      to_jsonb(v_missing));
        END IF;
    END IF;

    -- 3. The items, CANCELLED.
    WITH released AS (
        UPDATE reservations_reservedticket SET status = 'cancelled', updated_at = p_now
         WHERE id IN (SELECT id FROM reservations_reservedticket
                       WHERE transaction_id = p_tx_id AND status = 'active'
                         AND (p_seat_ids IS NULL OR seat_id = ANY(p_seat_ids))
                       ORDER BY id FOR NO KEY UPDATE)
           AND status = 'active'
        RETURNING id)
    INSERT INTO reservations_statuschange
           (subject, subject_id, transaction_id, from_status, to_status, reason, note,
            actor_id, created_at)
    SELECT 'reserved_ticket', id, p_tx_id, 'active', 'cancelled', p_reason, '', p_user_id,
           p_now
      FROM released;

    -- 4. The transaction: a smaller hold, or CANCELLED.
    SELECT sum(unit_price * quantity) INTO v_left
      FROM reservations_reservedticket WHERE transaction_id = p_tx_id AND status = 'active';
    IF v_left IS NOT NULL THEN
        UPDATE sales_transaction SET subtotal = v_left, updated_at = p_now
         WHERE id = p_tx_id;
    ELSE
        UPDATE sales_transaction SET status = 'cancelled', updated_at = p_now
         WHERE id = p_tx_id;
        INSERT INTO reservations_statuschange
               (subject, subject_id, transaction_id, from_status, to_status, reason, note,
                actor_id, created_at)
        VALUES ('transaction', p_tx_id, p_tx_id, 'pending', 'cancelled', p_reason, '',
                p_user_id, p_now);
    END IF;

    -- 5. The answer.
    RETURN pos_hold_answer(p_tx_id);
END;
$$;
