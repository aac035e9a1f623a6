-- pos_hold: a hold, whole, in one call (one round trip). reservations.services.hold_seats
-- is its only caller and maps the answer to the domain errors; this is the only
-- implementation of the rule. Installed in every tenant schema by a migration
-- (reservations/sql/__init__.py); tables resolve through the tenant's search_path.
--
-- The rule, step by step:
--   1. the event exists and is on sale;
--   2. lock the cashier's user row, then count their live items, held or reserved (a
--      partial-payment reservation counts too): the per-session limit cannot be raced
--      by two requests of one cashier;
--   3. lock the seats, then the general-admission zones, by id (FOR NO KEY UPDATE:
--      rows that reference them, items and refusals, can still be inserted meanwhile);
--      refuse seats and zones that are not of this event;
--   4. record EXPIRED on stale claims of those seats (ACTIVE, past their time), and on
--      their transactions when nothing is left ACTIVE (SKIP LOCKED: never wait for a
--      transaction, so this step cannot deadlock with a checkout; a skipped one is left
--      to the expiry job);
--   5. read the claims that stand (a fresh snapshot: each statement of a function gets
--      one, so a claim committed while we waited for a lock is seen), the seats a venue
--      admin blocked (sales_seatblock, written under the same seat lock, so a block and
--      a hold of one seat never both win; `p_include_blocked`: a venue admin holding
--      blocked seats to sell them, checked by the caller) and the GA units left; if
--      anything is taken, record one refusal per seat or zone (HoldAttempt) and answer
--      them all;
--   6. otherwise insert the transaction (PENDING), its items (ACTIVE until now + hold
--      minutes: the event's, else the tenant's `p_hold_minutes`) and the audit rows,
--      and answer them.
--
-- Locks, in the one order of reservations/lock_objects.py: cashier, seats, zones, items.
-- Time is the caller's `p_now` (tests move it), never the database clock.
-- A new NOT NULL column on a table written here needs a db_default, or a line below.
--
-- Answer (jsonb): {"error": code, ...} for a refusal, else
-- {"transaction": {...}, "items": [{...}, ...]}; both after step 4 carry "lapsed", the
-- ids of the partial-payment reservations step 4 expired.
CREATE OR REPLACE FUNCTION pos_hold(
    p_user_id bigint,
    p_event_id bigint,
    p_seat_ids bigint[],
    p_zone_ids bigint[],
    p_quantities integer[],
    p_now timestamptz,
    p_hold_minutes integer,
    p_session_limit integer,
    p_lock_timeout text,
    p_include_blocked boolean
) RETURNS jsonb
LANGUAGE plpgsql
-- One plan per statement per connection, made once (reservations/sql/__init__.py).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_event record;
    v_bad_zone record;
    v_requested integer;
    v_held integer;
    v_unknown bigint[];
    v_stale_tx bigint[];
    v_lapsed bigint[];
    v_refused_seats jsonb;
    v_refused_zones jsonb;
    v_subtotal numeric;
    v_tx_id bigint;
    v_items jsonb;
    v_until timestamptz;
BEGIN
    PERFORM set_config('lock_timeout', p_lock_timeout, true);

    -- 1. The event.
    SELECT id, name, status, currency, reservation_hold_minutes INTO v_event
      FROM sales_event WHERE id = p_event_id;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('error', 'unknown_event');
    END IF;
    -- Per-event rules: the event's own hold minutes when it sets them (sales.Event),
    -- else the tenant's, which the caller passes.
    v_until := p_now + make_interval(
        mins => coalesce(v_event.reservation_hold_minutes, p_hold_minutes));
    IF v_event.status <> 'on_sale' THEN
        RETURN jsonb_build_object('error', 'not_on_sale', 'event_name', v_event.name);
    END IF;

    -- 2. The cashier, and their per-session limit.
    PERFORM 1 FROM auth_user WHERE id = p_user_id FOR NO KEY UPDATE;
    v_requested := cardinality(p_seat_ids)
                   + coalesce((SELECT sum(q) FROM unnest(p_quantities) AS q), 0);
    SELECT coalesce(sum(rt.quantity), 0) INTO v_held
      FROM reservations_reservedticket rt
      JOIN sales_transaction t ON t.id = rt.transaction_id
     WHERE rt.created_by_id = p_user_id AND rt.status = 'active'
       AND rt.reserved_until > p_now AND t.status IN ('pending', 'reserved');
    IF v_held + v_requested > p_session_limit THEN
        RETURN jsonb_build_object('error', 'session_limit', 'held', v_held,
                                  'limit', p_session_limit, 'requested', v_requested);
    END IF;

    -- 3. The seats, then the general-admission zones, locked by id.
    PERFORM 1 FROM sales_seat WHERE id = ANY(p_seat_ids) ORDER BY id FOR NO KEY UPDATE;
    SELECT array_agg(u.wanted ORDER BY u.ord) INTO v_unknown
      FROM unnest(p_seat_ids) WITH ORDINALITY AS u(wanted, ord)
     WHERE NOT EXISTS (SELECT 1 FROM sales_seat s JOIN sales_zone z ON z.id = s.zone_id
                        WHERE s.id = u.wanted AND z.event_id = p_event_id);
    IF v_unknown IS NOT NULL THEN
        RETURN jsonb_build_object('error', 'unknown_seats', 'seat_ids', to_jsonb(v_unknown));
    END IF;

    PERFORM 1 FROM sales_zone WHERE id = ANY(p_zone_ids) ORDER BY id FOR NO KEY UPDATE;
    SELECT u.zone_id, z.name, z.kind INTO v_bad_zone
      FROM unnest(p_zone_ids) WITH ORDINALITY AS u(zone_id, ord)
      LEFT JOIN sales_zone z ON z.id = u.zone_id AND z.event_id = p_event_id
     WHERE z.id IS NULL OR z.kind <> 'general'
     ORDER BY u.ord
     LIMIT 1;
    IF FOUND THEN
        IF v_bad_zone.name IS NULL THEN
            RETURN jsonb_build_object('error', 'unknown_zone', 'zone_id', v_bad_zone.zone_id);
        END IF;
        RETURN jsonb_build_object('error', 'numbered_zone', 'zone_name', v_bad_zone.name);
    END IF;

    -- 4. Stale claims on these seats: EXPIRED (items by id), then their transactions.
    WITH stale AS (
        UPDATE reservations_reservedticket SET status = 'expired', updated_at = p_now
         WHERE id IN (SELECT id FROM reservations_reservedticket
                       WHERE seat_id = ANY(p_seat_ids) AND status = 'active'
                         AND reserved_until <= p_now
                       ORDER BY id FOR NO KEY UPDATE)
           AND status = 'active'
        RETURNING id, transaction_id),
    audit AS (
        INSERT INTO reservations_statuschange
               (subject, subject_id, transaction_id, from_status, to_status, reason, note,
                actor_id, created_at)
        SELECT 'reserved_ticket', id, transaction_id, 'active', 'expired', 'stale_on_hold',
               '', NULL, p_now
          FROM stale)
    SELECT array_agg(DISTINCT transaction_id) INTO v_stale_tx FROM stale;

    IF v_stale_tx IS NOT NULL THEN
        WITH ending AS (
            SELECT t.id, t.status FROM sales_transaction t
             WHERE t.id = ANY(v_stale_tx) AND t.status IN ('pending', 'reserved')
               AND NOT EXISTS (SELECT 1 FROM reservations_reservedticket rt
                                WHERE rt.transaction_id = t.id AND rt.status = 'active')
             ORDER BY t.id
               FOR NO KEY UPDATE SKIP LOCKED),
        changed AS (
            UPDATE sales_transaction t SET status = 'expired', updated_at = p_now
              FROM ending WHERE t.id = ending.id
            RETURNING t.id, ending.status AS from_status),
        audit AS (
            INSERT INTO reservations_statuschange
                   (subject, subject_id, transaction_id, from_status, to_status, reason,
                    note, actor_id, created_at)
            SELECT 'transaction', id, id, from_status, 'expired', 'stale_on_hold', '', NULL,
                   p_now
              FROM changed)
        -- Partial-payment reservations that lapsed here: the caller announces them
        -- (reservation.expired), as the expiry job does for the ones it ends.
        SELECT array_agg(id ORDER BY id) FILTER (WHERE from_status = 'reserved')
          INTO v_lapsed FROM changed;
    END IF;

    -- 5. What is taken: seats (with why) and general-admission units.
    SELECT jsonb_agg(jsonb_build_object('id', s.id, 'label', s.label, 'reason', s.reason)
             ORDER BY s.row, s.number, s.id)
      INTO v_refused_seats
      FROM (SELECT s.id, s.label, s.row, s.number,
                   CASE WHEN rt.status = 'completed' THEN 'sold' ELSE 'reserved' END AS reason
              FROM reservations_reservedticket rt
              JOIN sales_seat s ON s.id = rt.seat_id
             WHERE rt.seat_id = ANY(p_seat_ids)
               AND (rt.status = 'completed'
                    OR (rt.status = 'active' AND rt.reserved_until > p_now))
            UNION ALL
            -- Blocked and not claimed (a venue admin's hold of a blocked seat is a claim).
            SELECT s.id, s.label, s.row, s.number, 'blocked'
              FROM sales_seatblock b
              JOIN sales_seat s ON s.id = b.seat_id
             WHERE b.seat_id = ANY(p_seat_ids) AND NOT p_include_blocked
               AND NOT EXISTS (
                   SELECT 1 FROM reservations_reservedticket rt
                    WHERE rt.seat_id = b.seat_id
                      AND (rt.status = 'completed'
                           OR (rt.status = 'active' AND rt.reserved_until > p_now)))) AS s;

    SELECT jsonb_agg(jsonb_build_object(
               'id', z.id, 'name', z.name, 'requested', u.quantity,
               'available', greatest(z.capacity - coalesce(claimed.units, 0), 0))
             ORDER BY u.ord)
      INTO v_refused_zones
      FROM unnest(p_zone_ids, p_quantities) WITH ORDINALITY AS u(zone_id, quantity, ord)
      JOIN sales_zone z ON z.id = u.zone_id
      LEFT JOIN LATERAL (
          SELECT sum(rt.quantity) AS units FROM reservations_reservedticket rt
           WHERE rt.zone_id = z.id AND rt.seat_id IS NULL
             AND (rt.status = 'completed'
                  OR (rt.status = 'active' AND rt.reserved_until > p_now))) AS claimed
        ON true
     WHERE u.quantity > greatest(z.capacity - coalesce(claimed.units, 0), 0);

    IF v_refused_seats IS NOT NULL OR v_refused_zones IS NOT NULL THEN
        -- Kept whatever the caller does next: contested-seat statistics and alerts.
        INSERT INTO reservations_holdattempt (event_id, seat_id, zone_id, outcome, user_id,
                                              created_at)
        SELECT p_event_id, (r ->> 'id')::bigint, NULL, 'conflict', p_user_id, p_now
          FROM jsonb_array_elements(coalesce(v_refused_seats, '[]')) AS r
        UNION ALL
        SELECT p_event_id, NULL, (r ->> 'id')::bigint, 'conflict', p_user_id, p_now
          FROM jsonb_array_elements(coalesce(v_refused_zones, '[]')) AS r;
        RETURN jsonb_build_object('error', 'unavailable',
                                  'seats', coalesce(v_refused_seats, '[]'),
                                  'zones', coalesce(v_refused_zones, '[]'),
                                  'lapsed', coalesce(to_jsonb(v_lapsed), '[]'));
    END IF;

    -- 6. The hold: transaction, items (seats by id, then zones as asked), audit rows.
    SELECT coalesce(sum(w.price * w.quantity), 0) INTO v_subtotal
      FROM (SELECT z.price, 1 AS quantity
              FROM sales_seat s JOIN sales_zone z ON z.id = s.zone_id
             WHERE s.id = ANY(p_seat_ids)
            UNION ALL
            SELECT z.price, u.quantity
              FROM unnest(p_zone_ids, p_quantities) AS u(zone_id, quantity)
              JOIN sales_zone z ON z.id = u.zone_id) AS w;

    INSERT INTO sales_transaction (event_id, cashier_id, status, currency, subtotal,
                                   customer_name, customer_tax_id, customer_email,
                                   payment_deadline, extensions_used, created_at, updated_at,
                                   completed_at)
    VALUES (p_event_id, p_user_id, 'pending', v_event.currency, v_subtotal, '', '', '', NULL,
            0, p_now, p_now, NULL)
    RETURNING id INTO v_tx_id;

    INSERT INTO reservations_statuschange
           (subject, subject_id, transaction_id, from_status, to_status, reason, note,
            actor_id, created_at)
    VALUES ('transaction', v_tx_id, v_tx_id, '', 'pending', 'user', '', p_user_id, p_now);

    WITH wanted AS (
        SELECT s.zone_id, s.id AS seat_id, 1 AS quantity, z.price, 0 AS grp, s.id AS ord
          FROM sales_seat s JOIN sales_zone z ON z.id = s.zone_id
         WHERE s.id = ANY(p_seat_ids)
        UNION ALL
        SELECT u.zone_id, NULL, u.quantity, z.price, 1, u.ord
          FROM unnest(p_zone_ids, p_quantities) WITH ORDINALITY AS u(zone_id, quantity, ord)
          JOIN sales_zone z ON z.id = u.zone_id),
    new_items AS (
        INSERT INTO reservations_reservedticket
               (transaction_id, event_id, zone_id, seat_id, quantity, unit_price,
                reserved_until, status, created_by_id, created_at, updated_at)
        SELECT v_tx_id, p_event_id, w.zone_id, w.seat_id, w.quantity, w.price, v_until,
               'active', p_user_id, p_now, p_now
          FROM wanted w
         ORDER BY w.grp, w.ord
        RETURNING id, zone_id, seat_id, quantity, unit_price),
    audit AS (
        INSERT INTO reservations_statuschange
               (subject, subject_id, transaction_id, from_status, to_status, reason, note,
                actor_id, created_at)
        SELECT 'reserved_ticket', id, v_tx_id, '', 'active', 'user', '', p_user_id, p_now
          FROM new_items)
    SELECT jsonb_agg(jsonb_build_object(
               'id', i.id, 'seat', i.seat_id, 'seat_label', s.label, 'zone', i.zone_id,
               'zone_name', z.name, 'zone_tax', z.tax_category, 'quantity', i.quantity,
               'unit_price', i.unit_price::text) ORDER BY i.id)
      INTO v_items
      FROM new_items i
      JOIN sales_zone z ON z.id = i.zone_id
      LEFT JOIN sales_seat s ON s.id = i.seat_id;

    RETURN jsonb_build_object(
        'transaction', jsonb_build_object('id', v_tx_id, 'currency', v_event.currency,
                                          'subtotal', v_subtotal::text),
        'reserved_until', v_until,
        'items', v_items,
        'lapsed', coalesce(to_jsonb(v_lapsed), '[]'));
END;
$$;
