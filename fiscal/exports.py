"""The export of fiscal documents (every kind, payment receipts included, each with its
figures as issued): its columns and rows, written by pos.exports' CSV and XLSX writers
for the API (sales.exports.views), the admin's actions and `manage.py export_documents`."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from fiscal.models import FiscalDocument
from pos.exports import Column, Export, ExportQuery, Kind

CHUNK = 2000

DOCUMENT_COLUMNS = (
    Column("id", Kind.INT, 8),
    Column("kind", Kind.TEXT, 16),
    Column("number", Kind.TEXT, 14),
    Column("control_number", Kind.TEXT, 14),
    Column("issued_at", Kind.DATETIME, 19),
    Column("fiscal_day", Kind.DATE, 11),
    Column("transaction", Kind.INT, 10),
    Column("event", Kind.INT, 8),
    Column("buyer_name", Kind.TEXT, 28),
    Column("buyer_tax_id", Kind.TEXT, 14),
    Column("sale_currency", Kind.TEXT, 8),
    Column("foreign_currency", Kind.TEXT, 8),
    Column("exchange_rate", Kind.RATE, 14),
    Column("base_ves", Kind.MONEY),
    Column("exempt_ves", Kind.MONEY),
    Column("iva_ves", Kind.MONEY),
    Column("municipal_ves", Kind.MONEY),
    Column("total_ves", Kind.MONEY),
    Column("igtf_ves", Kind.MONEY),
    Column("amount_due_ves", Kind.MONEY),
    Column("paid_ves", Kind.MONEY),
    Column("total_foreign", Kind.MONEY),
    Column("amount_due_foreign", Kind.MONEY),
    Column("affects_number", Kind.TEXT, 14),
    Column("affects_control_number", Kind.TEXT, 14),
    Column("reason", Kind.TEXT, 24),
    Column("terminal", Kind.TEXT, 10),
    Column("issued_by", Kind.TEXT, 14),
    Column("z_report", Kind.INT, 8),
)

_VALUES = ("id", "kind", "series_code", "number", "control_number", "issued_at", "fiscal_day",
           "transaction_id", "transaction__event_id", "buyer_name", "buyer_tax_id",
           "sale_currency", "foreign_currency", "exchange_rate", "base_total_ves",
           "exempt_ves", "iva_total_ves", "municipal_ves", "total_ves", "igtf_ves",
           "amount_due_ves", "paid_ves", "total_foreign", "amount_due_foreign",
           "original__series_code", "original__number", "original__control_number",
           "reason", "terminal", "issued_by__username", "z_report__number")


def documents_in(query: ExportQuery) -> QuerySet[FiscalDocument]:
    """The documents issued in the query's range (the venue's clock), of its event."""
    documents = FiscalDocument.objects.filter(**query.window("issued_at"))
    if query.event is not None:
        documents = documents.filter(transaction__event_id=query.event)
    return documents


def document_rows(documents: QuerySet[FiscalDocument]) -> Iterator[tuple]:
    """One row per document, in order of issue, read in chunks (a month of a busy venue
    never sits in memory whole)."""
    for v in (documents.order_by("issued_at", "id").values_list(*_VALUES)
              .iterator(chunk_size=CHUNK)):
        (pk, kind, code, number, control, issued_at, day, tx, event, buyer, buyer_id,
         sale_currency, foreign, rate, base, exempt, iva, municipal, total, igtf, due, paid,
         total_foreign, due_foreign, original_code, original_number, original_control,
         reason, terminal, issued_by, z_number) = v
        affects = f"{original_code}-{original_number:08d}" if original_number else None
        yield (pk, kind, f"{code}-{number:08d}", control, issued_at, day, tx, event, buyer,
               buyer_id, sale_currency, foreign, rate, base, exempt, iva, municipal, total,
               igtf, due, paid, total_foreign, due_foreign, affects, original_control,
               reason, terminal, issued_by, z_number)


DOCUMENTS = Export(name="documents", sheet="Documentos", columns=DOCUMENT_COLUMNS,
                   records=documents_in, rows=document_rows)
