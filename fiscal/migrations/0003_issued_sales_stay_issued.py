"""Issued stays issued, in the database: what a fiscal document records is never changed or
deleted afterwards, as for the documents themselves (0002_documents). Corrections go
through credit and debit notes.

- The payments and tickets of a transaction with a fiscal document (an invoice, or the
  payment receipt of a partial payment) never change and are never deleted: no service
  updates or deletes them, they are only inserted.
- A COMPLETED transaction with a document, and its items once they have left ACTIVE, never
  change and are never deleted. A RESERVED transaction (a payment receipt, not yet an
  invoice) still moves on as the services move it: its items are kept until a new deadline
  or extended, completed when it is paid off (the transaction becomes COMPLETED in the same
  database transaction that inserts the invoice), or expired; those writes all start from a
  status other than COMPLETED (items: ACTIVE), which the triggers' WHEN clauses let through
  without a lookup.

A write that changes nothing (every column equal) is let through. Refusals are
restrict_violation errors (an IntegrityError in Django) naming the constraint
`issued_stays_issued`; pos.errors.refusal_from_database turns them into 409s."""

from django.db import migrations

SQL = """
CREATE FUNCTION sale_has_fiscal_document(p_transaction bigint) RETURNS boolean
LANGUAGE sql SET search_path FROM CURRENT AS $$
    SELECT EXISTS (SELECT 1 FROM fiscal_fiscaldocument WHERE transaction_id = p_transaction)
$$;

CREATE FUNCTION issued_sale_immutable() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    sale bigint;
BEGIN
    IF TG_OP = 'UPDATE' AND to_jsonb(NEW) IS NOT DISTINCT FROM to_jsonb(OLD) THEN
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

CREATE TRIGGER issued_sale_immutable
    BEFORE UPDATE OR DELETE ON sales_transaction FOR EACH ROW
    WHEN (OLD.status = 'completed')
    EXECUTE FUNCTION issued_sale_immutable();
CREATE TRIGGER issued_sale_immutable
    BEFORE UPDATE OR DELETE ON reservations_reservedticket FOR EACH ROW
    WHEN (OLD.status <> 'active')
    EXECUTE FUNCTION issued_sale_immutable();
CREATE TRIGGER issued_sale_immutable
    BEFORE UPDATE OR DELETE ON sales_payment FOR EACH ROW
    EXECUTE FUNCTION issued_sale_immutable();
CREATE TRIGGER issued_sale_immutable
    BEFORE UPDATE OR DELETE ON sales_ticket FOR EACH ROW
    EXECUTE FUNCTION issued_sale_immutable();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS issued_sale_immutable ON sales_ticket;
DROP TRIGGER IF EXISTS issued_sale_immutable ON sales_payment;
DROP TRIGGER IF EXISTS issued_sale_immutable ON reservations_reservedticket;
DROP TRIGGER IF EXISTS issued_sale_immutable ON sales_transaction;
DROP FUNCTION IF EXISTS issued_sale_immutable();
DROP FUNCTION IF EXISTS sale_has_fiscal_document(bigint);
"""


class Migration(migrations.Migration):

    dependencies = [
        ("fiscal", "0002_documents"),
        ("sales", "0003_catalogue_guards"),
        ("reservations", "0005_active_items_by_cashier"),
    ]

    operations = [migrations.RunSQL(sql=SQL, reverse_sql=REVERSE_SQL)]
