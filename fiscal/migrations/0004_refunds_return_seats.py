"""Issued stays issued, with one exception: a credit note's refund moves a sold item
from COMPLETED to REFUNDED (and changes nothing else of it), which puts its seat back on
sale."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION issued_sale_immutable() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    sale bigint;
BEGIN
    IF TG_OP = 'UPDATE' AND to_jsonb(NEW) IS NOT DISTINCT FROM to_jsonb(OLD) THEN
        RETURN NEW;
    END IF;
    -- A refund is the one change of a sold item: COMPLETED -> REFUNDED, nothing else,
    -- recorded with the credit note that returns its seat (sales.checkout.refund_sale).
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'reservations_reservedticket'
       AND to_jsonb(OLD) ->> 'status' = 'completed'
       AND to_jsonb(NEW) ->> 'status' = 'refunded'
       AND (to_jsonb(NEW) - 'status' - 'updated_at')
           = (to_jsonb(OLD) - 'status' - 'updated_at') THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'sales_transaction' THEN
        sale := OLD.id;
    ELSE
        sale := OLD.transaction_id;
    END IF;
    IF TG_TABLE_NAME = 'reservations_reservedticket' AND NOT EXISTS (
            SELECT 1 FROM sales_transaction WHERE id = sale AND status = 'completed') THEN
        sale := NULL;  -- an item of a sale not completed: the services still move it
    END IF;
    IF sale IS NOT NULL AND sale_has_fiscal_document(sale) THEN
        RAISE EXCEPTION USING ERRCODE = 'restrict_violation',
            CONSTRAINT = 'issued_stays_issued',
            MESSAGE = format(
                'Transaction %s has an issued fiscal document: its %s cannot be %s; '
                'correct it with a credit or debit note.', sale,
                CASE TG_TABLE_NAME WHEN 'sales_transaction' THEN 'record'
                                   WHEN 'sales_payment' THEN 'payments'
                                   WHEN 'sales_ticket' THEN 'tickets'
                                   ELSE 'items' END,
                CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'changed' END);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("fiscal", "0003_issued_sales_stay_issued"),
    ]

    operations = [
        # The function is replaced in place (its triggers stay); going back keeps the
        # newer body, which refuses everything the older one refused.
        migrations.RunSQL(SQL, migrations.RunSQL.noop),
    ]
