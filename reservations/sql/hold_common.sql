-- Shared by pos_release and pos_extend (reservations/sql/release.sql, extend.sql).

-- pos_lock_pending_hold: lock the hold's transaction (first in the lock order, FOR NO KEY
-- UPDATE) and check that the caller may act on it now. NULL when they may; otherwise
-- the refusal as jsonb, {"error": code, ...}:
--   not_found     no such transaction, or another cashier's (p_every_hold: venue admins);
--   expired       recorded EXPIRED, or an ACTIVE item past its time (expiry is exact,
--                 whether or not the expiry job has run);
--   not_pending   completed, reserved or cancelled: `status` says which.
CREATE OR REPLACE FUNCTION pos_lock_pending_hold(
    p_tx_id bigint, p_user_id bigint, p_every_hold boolean, p_now timestamptz
) RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
    v_tx record;
BEGIN
    SELECT id, cashier_id, status INTO v_tx
      FROM sales_transaction WHERE id = p_tx_id FOR NO KEY UPDATE;
    IF NOT FOUND OR (v_tx.cashier_id <> p_user_id AND NOT p_every_hold) THEN
        RETURN jsonb_build_object('error', 'not_found');
    END IF;
    IF v_tx.status = 'expired' THEN
        RETURN jsonb_build_object('error', 'expired');
    END IF;
    IF v_tx.status <> 'pending' THEN
        RETURN jsonb_build_object('error', 'not_pending', 'status', v_tx.status);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM reservations_reservedticket
                    WHERE transaction_id = p_tx_id AND status = 'active')
       OR EXISTS (SELECT 1 FROM reservations_reservedticket
                   WHERE transaction_id = p_tx_id AND status = 'active'
                     AND reserved_until <= p_now) THEN
        RETURN jsonb_build_object('error', 'expired');
    END IF;
    RETURN NULL;
END;
$$;

-- pos_hold_answer: the hold as the API shows it: the transaction and every item (any
-- status), by id.
CREATE OR REPLACE FUNCTION pos_hold_answer(p_tx_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'transaction', jsonb_build_object(
            'id', t.id, 'status', t.status, 'event', t.event_id, 'cashier', t.cashier_id,
            'currency', t.currency,
            'subtotal', t.subtotal::text, 'extensions_used', t.extensions_used),
        'items', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                      'id', i.id, 'seat', i.seat_id, 'seat_label', s.label,
                      'zone', i.zone_id, 'zone_name', z.name, 'zone_tax', z.tax_category, 'quantity', i.quantity,
                      'unit_price', i.unit_price::text, 'status', i.status,
                      'reserved_until', i.reserved_until) ORDER BY i.id), '[]')
                    FROM reservations_reservedticket i
                    JOIN sales_zone z ON z.id = i.zone_id
                    LEFT JOIN sales_seat s ON s.id = i.seat_id
                   WHERE i.transaction_id = t.id))
      FROM sales_transaction t WHERE t.id = p_tx_id
$$;
