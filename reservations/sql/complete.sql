-- pos_complete: a hold or a reservation paid in full becomes a sale, in one call.
-- reservations.services.complete_hold is its only caller, inside the checkout's (or the
-- payment's) transaction, which has already locked the transaction row (lock order step
-- 3), checked that it may become COMPLETED, and inserted the payments.
--
--   1. the audit rows of the payments just taken (ids and notes from the caller);
--   2. lock the items by id and record COMPLETED on them, with an audit row each; if one
--      is no longer ACTIVE (the expiry job got there first), answer 'expired' and write
--      nothing more (the caller raises, which rolls everything back);
--   3. the transaction COMPLETED, its payment deadline cleared (audit row);
--   4. one ticket per seat or general-admission unit: `p_ticket_items` names the item of
--      each ticket (an item of 3 GA units three times), `p_ticket_codes` its code (made
--      in Python, sales.models.new_ticket_code);
--   5. answer each ticket's id by its code;
--   6. and the sale's history (every audit row of the transaction), so that the answer
--      needs no second read.
--
-- Locks, in the order of reservations/lock_objects.py: the items (6), after the caller's
-- transaction row (3).
CREATE OR REPLACE FUNCTION pos_complete(
    p_tx_id bigint,
    p_user_id bigint,
    p_now timestamptz,
    p_item_ids bigint[],
    p_ticket_items bigint[],
    p_ticket_codes text[],
    p_payment_ids bigint[],
    p_payment_notes text[],
    p_lock_timeout text
) RETURNS jsonb
LANGUAGE plpgsql
-- One plan per statement per connection, made once (reservations/sql/__init__.py).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_from text;
    v_completed integer;
    v_tickets jsonb;
BEGIN
    PERFORM set_config('lock_timeout', p_lock_timeout, true);

    -- 1. The payments' audit rows.
    INSERT INTO reservations_statuschange
           (subject, subject_id, transaction_id, from_status, to_status, reason, note,
            actor_id, created_at)
    SELECT 'payment', payment_id, p_tx_id, '', 'received', 'user', note, p_user_id, p_now
      FROM unnest(p_payment_ids, p_payment_notes) WITH ORDINALITY AS p(payment_id, note, n)
     ORDER BY n;

    -- 2. The items, COMPLETED.
    WITH completed AS (
        UPDATE reservations_reservedticket SET status = 'completed', updated_at = p_now
         WHERE id IN (SELECT id FROM reservations_reservedticket
                       WHERE id = ANY(p_item_ids) ORDER BY id FOR NO KEY UPDATE)
           AND status = 'active'
        RETURNING id),
    audited AS (
        INSERT INTO reservations_statuschange
               (subject, subject_id, transaction_id, from_status, to_status, reason, note,
                actor_id, created_at)
        SELECT 'reserved_ticket', id, p_tx_id, 'active', 'completed', 'user', '', p_user_id,
               p_now
          FROM completed ORDER BY id
        RETURNING 1)
    SELECT count(*) INTO v_completed FROM audited;
    IF v_completed <> cardinality(p_item_ids) THEN
        RETURN jsonb_build_object('error', 'expired');
    END IF;

    -- 3. The transaction.
    SELECT status INTO v_from FROM sales_transaction WHERE id = p_tx_id;
    UPDATE sales_transaction
       SET status = 'completed', completed_at = p_now, payment_deadline = NULL,
           updated_at = p_now
     WHERE id = p_tx_id;
    INSERT INTO reservations_statuschange
           (subject, subject_id, transaction_id, from_status, to_status, reason, note,
            actor_id, created_at)
    VALUES ('transaction', p_tx_id, p_tx_id, v_from, 'completed', 'user', '', p_user_id,
            p_now);

    -- 4 and 5. The tickets.
    WITH issued AS (
        INSERT INTO sales_ticket (transaction_id, event_id, zone_id, seat_id, code, price,
                                  issued_at)
        SELECT p_tx_id, item.event_id, item.zone_id, item.seat_id, t.code, item.unit_price,
               p_now
          FROM unnest(p_ticket_items, p_ticket_codes) WITH ORDINALITY AS t(item_id, code, n)
          JOIN reservations_reservedticket item ON item.id = t.item_id
         ORDER BY t.n
        RETURNING id, code)
    SELECT jsonb_object_agg(code, id) INTO v_tickets FROM issued;

    -- 6. The sale's whole history, for the answer (reservations.models.StatusChange
    --    order).
    RETURN jsonb_build_object('tickets', v_tickets, 'history', (
        SELECT jsonb_agg(jsonb_build_object(
                   'id', sc.id, 'subject', sc.subject, 'subject_id', sc.subject_id,
                   'from_status', sc.from_status, 'to_status', sc.to_status,
                   'reason', sc.reason, 'note', sc.note, 'actor', sc.actor_id,
                   'actor_username', u.username, 'created_at', sc.created_at)
                 ORDER BY sc.created_at, sc.id)
          FROM reservations_statuschange sc
          LEFT JOIN auth_user u ON u.id = sc.actor_id
         WHERE sc.transaction_id = p_tx_id));
END;
$$;
