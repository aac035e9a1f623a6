-- pos_lock_sale: the first step of a checkout or of a payment on a reservation, in one
-- call: lock the transaction (first in the lock order, FOR NO KEY UPDATE) and answer it
-- with its ACTIVE items, as the till needs them (sales.checkout.services, through
-- reservations.services.lock_sale, its only caller). The till decides what the status
-- allows; this says whether the items are live:
--   {"error": "not_found"}   no such transaction, or another cashier's (p_every_hold:
--                            venue admins and supervisors act on every hold);
--   {"transaction": {...}, "items": [...], "live": bool}: `live` is false when there is
--   no ACTIVE item or one is past its time (expiry is exact, whether or not the expiry
--   job has run).
CREATE OR REPLACE FUNCTION pos_lock_sale(
    p_tx_id bigint,
    p_user_id bigint,
    p_every_hold boolean,
    p_now timestamptz,
    p_lock_timeout text
) RETURNS jsonb
LANGUAGE plpgsql
-- One plan per statement per connection, made once (reservations/sql/__init__.py).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_tx record;
    v_items jsonb;
    v_live boolean;
BEGIN
    PERFORM set_config('lock_timeout', p_lock_timeout, true);
    SELECT * INTO v_tx FROM sales_transaction WHERE id = p_tx_id FOR NO KEY UPDATE;
    IF NOT FOUND OR (v_tx.cashier_id <> p_user_id AND NOT p_every_hold) THEN
        RETURN jsonb_build_object('error', 'not_found');
    END IF;

    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', i.id, 'seat', i.seat_id, 'seat_label', s.label, 'zone', i.zone_id,
               'zone_name', z.name, 'zone_tax', z.tax_category, 'quantity', i.quantity,
               'unit_price', i.unit_price::text, 'status', i.status,
               'reserved_until', i.reserved_until) ORDER BY i.id), '[]'),
           count(*) > 0 AND bool_and(i.reserved_until > p_now)
      INTO v_items, v_live
      FROM reservations_reservedticket i
      JOIN sales_zone z ON z.id = i.zone_id
      LEFT JOIN sales_seat s ON s.id = i.seat_id
     WHERE i.transaction_id = p_tx_id AND i.status = 'active';

    RETURN jsonb_build_object(
        'transaction', jsonb_build_object(
            'id', v_tx.id, 'event', v_tx.event_id, 'cashier', v_tx.cashier_id,
            'status', v_tx.status, 'currency', v_tx.currency,
            'subtotal', v_tx.subtotal::text, 'extensions_used', v_tx.extensions_used,
            'customer_name', v_tx.customer_name, 'customer_tax_id', v_tx.customer_tax_id,
            'customer_email', v_tx.customer_email,
            'payment_deadline', v_tx.payment_deadline, 'created_at', v_tx.created_at,
            'completed_at', v_tx.completed_at),
        'items', v_items,
        'live', coalesce(v_live, false));
END;
$$;
