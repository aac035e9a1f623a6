"""Sold means sold, in the database: the rules of sales.services' catalogue section, for
writes that bypass the services, and an interlock with holds written at the same moment.

A claim is an item ACTIVE or COMPLETED, or a ticket. Once claimed:
- an event's currency cannot change, nor the kind of any of its zones;
- a zone's tax category and event cannot change, nor its capacity drop below its claims;
- a seat cannot move (zone, row, number, label). (Deleting a claimed seat, zone or event
  is already refused by the foreign keys of its items and tickets.)

Race: a hold reads the zone's kind and the event's currency before it inserts its items,
and its claims are invisible to a catalogue change until it commits. So the items' insert
takes their zones and event in KEY SHARE mode and checks them again, and a guarded change
takes the zone or event FOR UPDATE, which conflicts with KEY SHARE: whichever comes first,
the other waits for its commit and then sees it. KEY SHARE does not conflict with plain
updates (a price, a name): those never wait for holds. Lock order as in the services and
holds: seats, zones, event.

Refusals are check_violation errors (an IntegrityError in Django) naming the constraint
`sold_means_sold`; pos.errors.refusal_from_database turns them into 409s.

The functions pin their search_path to the schema they are created in (each tenant's
schema): tables resolve there, whatever the caller's search_path."""

from django.db import migrations

CLAIMED = "status IN ('active', 'completed')"

SQL = f"""
CREATE FUNCTION catalogue_event_claims(p_event bigint) RETURNS bigint
LANGUAGE sql SET search_path FROM CURRENT AS $$
    SELECT GREATEST(
        (SELECT COALESCE(sum(quantity), 0) FROM reservations_reservedticket
          WHERE event_id = p_event AND {CLAIMED}),
        (SELECT count(*) FROM sales_ticket WHERE event_id = p_event))
$$;

CREATE FUNCTION catalogue_zone_claims(p_zone bigint) RETURNS bigint
LANGUAGE sql SET search_path FROM CURRENT AS $$
    SELECT GREATEST(
        (SELECT COALESCE(sum(quantity), 0) FROM reservations_reservedticket
          WHERE zone_id = p_zone AND {CLAIMED}),
        (SELECT count(*) FROM sales_ticket WHERE zone_id = p_zone))
$$;

CREATE FUNCTION catalogue_refuse(message text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = 'sold_means_sold',
        MESSAGE = message;
END;
$$;

CREATE FUNCTION sales_event_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    claimed bigint;
BEGIN
    -- Wait for holds being written in the event (KEY SHARE), then count with them.
    PERFORM 1 FROM sales_event WHERE id = OLD.id FOR UPDATE;
    claimed := catalogue_event_claims(OLD.id);
    IF claimed > 0 THEN
        PERFORM catalogue_refuse(format(
            'Event %s has %s sold or held tickets; its currency cannot change.',
            OLD.name, claimed));
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER sales_event_guard
    BEFORE UPDATE ON sales_event FOR EACH ROW
    WHEN (OLD.currency IS DISTINCT FROM NEW.currency)
    EXECUTE FUNCTION sales_event_guard();

CREATE FUNCTION sales_zone_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    claimed bigint;
BEGIN
    -- Zone first, then its event: the order holds take them in.
    PERFORM 1 FROM sales_zone WHERE id = OLD.id FOR UPDATE;
    IF NEW.kind IS DISTINCT FROM OLD.kind THEN
        PERFORM 1 FROM sales_event WHERE id = OLD.event_id FOR UPDATE;
        claimed := catalogue_event_claims(OLD.event_id);
        IF claimed > 0 THEN
            PERFORM catalogue_refuse(format(
                'Event %s has %s sold or held tickets; the kind of zone %s cannot change.',
                (SELECT name FROM sales_event WHERE id = OLD.event_id), claimed, OLD.name));
        END IF;
    END IF;
    claimed := catalogue_zone_claims(OLD.id);
    IF claimed > 0 AND NEW.event_id IS DISTINCT FROM OLD.event_id THEN
        PERFORM catalogue_refuse(format(
            'Zone %s has %s sold or held tickets; it cannot move to another event.',
            OLD.name, claimed));
    END IF;
    IF claimed > 0 AND NEW.tax_category IS DISTINCT FROM OLD.tax_category THEN
        PERFORM catalogue_refuse(format(
            'Zone %s has %s sold or held tickets; its tax category cannot change.',
            OLD.name, claimed));
    END IF;
    IF NEW.capacity < claimed THEN
        PERFORM catalogue_refuse(format(
            'Zone %s has %s sold or held tickets; its capacity cannot drop below that '
            '(asked %s).', OLD.name, claimed, NEW.capacity));
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER sales_zone_guard
    BEFORE UPDATE ON sales_zone FOR EACH ROW
    WHEN (OLD.kind IS DISTINCT FROM NEW.kind
          OR OLD.event_id IS DISTINCT FROM NEW.event_id
          OR OLD.tax_category IS DISTINCT FROM NEW.tax_category
          OR NEW.capacity < OLD.capacity)
    EXECUTE FUNCTION sales_zone_guard();

CREATE FUNCTION sales_seat_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    -- The UPDATE's row lock conflicts with the FOR UPDATE a hold takes on its seats: a
    -- hold being written has committed by now, and is seen.
    IF EXISTS (SELECT 1 FROM reservations_reservedticket
                WHERE seat_id = OLD.id AND {CLAIMED})
       OR EXISTS (SELECT 1 FROM sales_ticket WHERE seat_id = OLD.id) THEN
        PERFORM catalogue_refuse(format(
            'Seat %s is sold or held; it cannot be moved.', OLD.label));
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER sales_seat_guard
    BEFORE UPDATE ON sales_seat FOR EACH ROW
    WHEN (OLD.zone_id IS DISTINCT FROM NEW.zone_id OR OLD.row IS DISTINCT FROM NEW.row
          OR OLD.number IS DISTINCT FROM NEW.number
          OR OLD.label IS DISTINCT FROM NEW.label)
    EXECUTE FUNCTION sales_seat_guard();

CREATE FUNCTION reserved_ticket_catalogue_interlock() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    problem text;
BEGIN
    -- A guarded catalogue change in progress (FOR UPDATE) makes these wait for its
    -- commit; one that comes later waits for this transaction's.
    PERFORM 1 FROM sales_zone WHERE id IN (SELECT zone_id FROM new_items)
        ORDER BY id FOR KEY SHARE;
    PERFORM 1 FROM sales_event WHERE id IN (SELECT event_id FROM new_items)
        ORDER BY id FOR KEY SHARE;
    -- What the hold read may have changed before it took those locks: check again.
    SELECT CASE
             WHEN z.event_id <> i.event_id THEN format('zone %s is not in this event', z.name)
             WHEN i.seat_id IS NOT NULL AND z.kind <> 'numbered'
               THEN format('zone %s is now general admission', z.name)
             WHEN i.seat_id IS NULL AND z.kind <> 'general'
               THEN format('zone %s now has numbered seats', z.name)
             WHEN s.zone_id <> i.zone_id THEN format('seat %s has moved', s.label)
             ELSE format('the event''s currency is now %s', e.currency)
           END
      INTO problem
      FROM new_items i
      JOIN sales_zone z ON z.id = i.zone_id
      JOIN sales_event e ON e.id = i.event_id
      JOIN sales_transaction t ON t.id = i.transaction_id
      LEFT JOIN sales_seat s ON s.id = i.seat_id
     WHERE z.event_id <> i.event_id
        OR (i.seat_id IS NOT NULL) <> (z.kind = 'numbered')
        OR s.zone_id <> i.zone_id
        OR t.currency <> e.currency
     LIMIT 1;
    IF problem IS NOT NULL THEN
        PERFORM catalogue_refuse(format(
            'The catalogue changed while these seats were being held (%s); try again.',
            problem));
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER reserved_ticket_catalogue_interlock
    AFTER INSERT ON reservations_reservedticket
    REFERENCING NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION reserved_ticket_catalogue_interlock();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS reserved_ticket_catalogue_interlock ON reservations_reservedticket;
DROP FUNCTION IF EXISTS reserved_ticket_catalogue_interlock();
DROP TRIGGER IF EXISTS sales_seat_guard ON sales_seat;
DROP FUNCTION IF EXISTS sales_seat_guard();
DROP TRIGGER IF EXISTS sales_zone_guard ON sales_zone;
DROP FUNCTION IF EXISTS sales_zone_guard();
DROP TRIGGER IF EXISTS sales_event_guard ON sales_event;
DROP FUNCTION IF EXISTS sales_event_guard();
DROP FUNCTION IF EXISTS catalogue_refuse(text);
DROP FUNCTION IF EXISTS catalogue_zone_claims(bigint);
DROP FUNCTION IF EXISTS catalogue_event_claims(bigint);
"""


class Migration(migrations.Migration):

    dependencies = [
        ("sales", "0002_idempotency_keys"),
        ("reservations", "0005_active_items_by_cashier"),
    ]

    operations = [migrations.RunSQL(sql=SQL, reverse_sql=REVERSE_SQL)]
