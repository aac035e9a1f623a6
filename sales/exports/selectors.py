"""The rows of the sales, payments and check-in exports, read in chunks with
`.iterator()`: one tuple per record, in the order of the export's columns."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, OuterRef, QuerySet, Subquery

from fiscal.exports import DOCUMENTS
from fiscal.models import DocumentKind, FiscalDocument
from fiscal.taxes import LEGAL_CURRENCY, to_cents
from pos.exports import Column, Export, ExportQuery, Kind
from sales.models import CheckinScan, Payment, Transaction

CHUNK = 2000

# --- Sales (transactions) -------------------------------------------------------------

SALE_COLUMNS = (
    Column("id", Kind.INT, 8),
    Column("created_at", Kind.DATETIME, 19),
    Column("completed_at", Kind.DATETIME, 19),
    Column("status", Kind.TEXT, 10),
    Column("event", Kind.INT, 8),
    Column("event_name", Kind.TEXT, 28),
    Column("cashier", Kind.TEXT, 14),
    Column("customer_name", Kind.TEXT, 28),
    Column("customer_tax_id", Kind.TEXT, 14),
    Column("customer_email", Kind.TEXT, 24),
    Column("currency", Kind.TEXT, 8),
    Column("tickets", Kind.INT, 8),
    Column("subtotal", Kind.MONEY),
    Column("invoice_number", Kind.TEXT, 14),
    Column("invoice_control_number", Kind.TEXT, 14),
    Column("invoice_total_ves", Kind.MONEY),
    Column("invoice_igtf_ves", Kind.MONEY),
    Column("invoice_amount_due_ves", Kind.MONEY),
)


def sales_in(query: ExportQuery) -> QuerySet[Transaction]:
    """The sales started (created) in the query's range, whatever became of them."""
    sales = Transaction.objects.filter(**query.window("created_at"))
    if query.event is not None:
        sales = sales.filter(event_id=query.event)
    return sales


def sale_rows(sales: QuerySet[Transaction]) -> Iterator[tuple]:
    invoice = FiscalDocument.objects.filter(transaction=OuterRef("pk"),
                                            kind=DocumentKind.INVOICE)

    def of_invoice(name: str) -> Subquery:
        return Subquery(invoice.values(name)[:1])

    rows = (sales.order_by("created_at", "id")
            .annotate(n_tickets=Count("tickets"), inv_code=of_invoice("series_code"),
                      inv_number=of_invoice("number"),
                      inv_control=of_invoice("control_number"),
                      inv_total=of_invoice("total_ves"), inv_igtf=of_invoice("igtf_ves"),
                      inv_due=of_invoice("amount_due_ves"))
            .values_list("id", "created_at", "completed_at", "status", "event_id",
                         "event__name", "cashier__username", "customer_name",
                         "customer_tax_id", "customer_email", "currency", "n_tickets",
                         "subtotal", "inv_code", "inv_number", "inv_control", "inv_total",
                         "inv_igtf", "inv_due"))
    for (*head, code, number, control, total, igtf, due) in rows.iterator(chunk_size=CHUNK):
        yield (*head, f"{code}-{number:08d}" if number else None, control, total, igtf, due)


SALES = Export(name="sales", sheet="Ventas", columns=SALE_COLUMNS, records=sales_in,
               rows=sale_rows)

# --- Payments -------------------------------------------------------------------------

PAYMENT_COLUMNS = (
    Column("id", Kind.INT, 8),
    Column("created_at", Kind.DATETIME, 19),
    Column("transaction", Kind.INT, 10),
    Column("event", Kind.INT, 8),
    Column("event_name", Kind.TEXT, 28),
    Column("method", Kind.TEXT, 12),
    Column("currency", Kind.TEXT, 8),
    Column("amount", Kind.MONEY),
    Column("exchange_rate", Kind.RATE, 14),
    Column("amount_ves", Kind.MONEY),
    Column("change_ves", Kind.MONEY),
    Column("kept_ves", Kind.MONEY),
    Column("reference", Kind.TEXT, 16),
    Column("received_by", Kind.TEXT, 14),
    Column("refunded_at", Kind.DATETIME, 19),
)


def payments_in(query: ExportQuery) -> QuerySet[Payment]:
    payments = Payment.objects.filter(**query.window("created_at"))
    if query.event is not None:
        payments = payments.filter(transaction__event_id=query.event)
    return payments


def payment_rows(payments: QuerySet[Payment]) -> Iterator[tuple]:
    """`amount_ves`: the amount at its rate, rounded to the cent as the documents round it
    (fiscal.taxes); `kept_ves`: less the change handed back in Bs."""
    rows = (payments.order_by("created_at", "id")
            .values_list("id", "created_at", "transaction_id", "transaction__event_id",
                         "transaction__event__name", "method", "currency", "amount",
                         "exchange_rate", "change_ves", "reference", "received_by__username",
                         "refund__created_at"))
    for (pk, at, tx, event, name, method, currency, amount, rate, change, reference, by,
         refunded) in rows.iterator(chunk_size=CHUNK):
        value = amount if currency == LEGAL_CURRENCY else to_cents(amount * rate)
        yield (pk, at, tx, event, name, method, currency, amount, rate, value, change,
               value - change, reference, by, refunded)


PAYMENTS = Export(name="payments", sheet="Pagos", columns=PAYMENT_COLUMNS,
                  records=payments_in, rows=payment_rows)

# --- Check-ins ------------------------------------------------------------------------

CHECKIN_COLUMNS = (
    Column("id", Kind.INT, 8),
    Column("scanned_at", Kind.DATETIME, 19),
    Column("recorded_at", Kind.DATETIME, 19),
    Column("event", Kind.INT, 8),
    Column("ticket", Kind.INT, 8),
    Column("code", Kind.TEXT, 20),
    Column("zone", Kind.TEXT, 14),
    Column("seat", Kind.TEXT, 8),
    Column("action", Kind.TEXT, 8),
    Column("result", Kind.TEXT, 10),
    Column("reason", Kind.TEXT, 18),
    Column("gate", Kind.TEXT, 10),
    Column("device", Kind.TEXT, 10),
    Column("user", Kind.TEXT, 14),
    Column("offline", Kind.BOOL, 8),
)


def checkins_in(query: ExportQuery) -> QuerySet[CheckinScan]:
    """The scans made (the device's clock for offline ones) in the query's range."""
    scans = CheckinScan.objects.filter(**query.window("scanned_at"))
    if query.event is not None:
        scans = scans.filter(ticket__event_id=query.event)
    return scans


def checkin_rows(scans: QuerySet[CheckinScan]) -> Iterator[tuple]:
    yield from (scans.order_by("scanned_at", "id")
                .values_list("id", "scanned_at", "created_at", "ticket__event_id", "ticket_id",
                             "code", "ticket__zone__name", "ticket__seat__label", "action",
                             "result", "reason", "gate", "device", "user__username",
                             "offline")
                .iterator(chunk_size=CHUNK))


CHECKINS = Export(name="checkins", sheet="Accesos", columns=CHECKIN_COLUMNS,
                  records=checkins_in, rows=checkin_rows)

# Every export by name: the API's {kind}, the commands' export_{kind}.
EXPORTS: dict[str, Export] = {e.name: e for e in (SALES, PAYMENTS, DOCUMENTS, CHECKINS)}
