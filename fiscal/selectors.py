"""Reads of fiscal data: the profile, the exchange rate of a fiscal day, documents, tickets,
the X/Z report figures and cashier shifts."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from fiscal.errors import ExchangeRateMissing
from fiscal.models import (
    DocumentKind,
    ExchangeRate,
    FiscalDocument,
    FiscalProfile,
    Shift,
    ZReport,
)
from fiscal.taxes import LEGAL_CURRENCY
from sales.models import PaymentMethod, Ticket
from tenants import identity
from tenants.permissions import sees_every_sale

FISCAL_TZ = ZoneInfo("America/Caracas")


def fiscal_day(moment: datetime | None = None) -> date:
    """The fiscal day of a moment: its date in America/Caracas."""
    return (moment or timezone.now()).astimezone(FISCAL_TZ).date()


def fiscal_profile() -> FiscalProfile:
    profile, _ = FiscalProfile.objects.get_or_create(pk=1)
    return profile


def current_fiscal_profile() -> FiscalProfile:
    """The profile for pricing a sale, remembered per process until it changes
    (tenants.identity; fiscal.apps connects the signals): a hold's answer and a checkout
    spend no query on it. A copy: the caller may not save it."""
    return copy.copy(identity.remembered(("fiscal_profile", connection.schema_name),
                                         fiscal_profile))


# What a document must name of its issuer (FiscalProfile fields).
ISSUER_FIELDS = ("legal_name", "rif", "fiscal_address")


def missing_issuer_fields(profile: FiscalProfile) -> list[str]:
    """The issuer fields the venue has not entered yet, in ISSUER_FIELDS order."""
    return [name for name in ISSUER_FIELDS if not getattr(profile, name).strip()]


def has_rate_on_file(*, currency: str, on_day: date) -> bool:
    """Whether any `currency` rate was ever entered for `on_day` or before (Bs needs none).
    Unlike `exchange_rate`, an old one counts: this tells a venue never set up from one
    whose rate of the day is missing."""
    if currency == LEGAL_CURRENCY:
        return True
    return ExchangeRate.objects.filter(currency=currency, valid_on__lte=on_day).exists()


def missing_for_invoicing(*, currency: str = "USD", on_day: date | None = None) -> list[str]:
    """What the venue must still enter before a sale in `currency` can be invoiced:
    ISSUER_FIELDS it lacks, and "exchange_rate" when no rate of that currency is on file."""
    missing = missing_issuer_fields(fiscal_profile())
    if not has_rate_on_file(currency=currency, on_day=on_day or fiscal_day()):
        missing.append("exchange_rate")
    return missing


def exchange_rate(*, currency: str, on_day: date, max_age_days: int) -> Decimal:
    """Bs per unit of `currency` valid on `on_day`: the latest BCV rate published on or
    before that day, if it is not older than `max_age_days` (weekends and holidays carry
    the last business day's rate). Never a silent 1.0. Remembered per process until a rate
    changes, like the profile."""
    if currency == LEGAL_CURRENCY:
        return Decimal("1")

    def load() -> Decimal | None:
        return (
            ExchangeRate.objects.filter(
                currency=currency, valid_on__lte=on_day,
                valid_on__gte=on_day - timedelta(days=max_age_days),
            )
            .order_by("-valid_on")
            .values_list("rate", flat=True)
            .first()
        )

    rate = identity.remembered(
        ("exchange_rate", connection.schema_name, currency, on_day.isoformat(),
         str(max_age_days)), load)
    if rate is None:
        raise ExchangeRateMissing(
            f"No {currency} exchange rate for {on_day:%d/%m/%Y}: a venue admin must enter "
            "the BCV rate of the day first.",
            currency=currency, day=on_day.isoformat(),
        )
    return rate


# --- Documents and reports ------------------------------------------------------------


def first_fiscal_day() -> date | None:
    """The fiscal day of the venue's first document (of any kind), None before any."""
    return FiscalDocument.objects.aggregate(first=Min("fiscal_day"))["first"]


# Sign of each fiscal document in the day's net sales.
SIGN = {DocumentKind.INVOICE: 1, DocumentKind.DEBIT_NOTE: 1, DocumentKind.CREDIT_NOTE: -1}
AMOUNT_FIELDS = ("base_total_ves", "exempt_ves", "iva_total_ves", "municipal_ves",
                 "total_ves", "igtf_ves", "amount_due_ves")
ZERO = Decimal("0.00")


def documents_visible_to(user: AbstractBaseUser) -> QuerySet[FiscalDocument]:
    """Cashiers see the documents of their own sales and those they issued; venue admins
    and operators see all."""
    queryset = FiscalDocument.objects.select_related(
        "issued_by", "z_report").order_by("-issued_at", "-id")
    if sees_every_sale(user):  # tenants.permissions.EVERY_SALE
        return queryset
    return queryset.filter(Q(issued_by=user) | Q(transaction__cashier=user))


def tickets_visible_to(user: AbstractBaseUser) -> QuerySet[Ticket]:
    queryset = Ticket.objects.select_related("event__venue", "zone", "seat", "transaction",
                                             "voided__credit_note")
    if sees_every_sale(user):  # tenants.permissions.EVERY_SALE
        return queryset
    return queryset.filter(transaction__cashier=user)


def _money(value: Decimal) -> str:
    return str(value.quantize(ZERO))


PaymentRows = dict[tuple[str, str], dict[str, object]]


def _payment_row(rows: PaymentRows, method: str, currency: str) -> dict[str, object]:
    return rows.setdefault((method, currency), {
        "method": method, "currency": currency, "count": 0, "amount": ZERO,
        "amount_ves": ZERO, "change_given_ves": ZERO})


def _payment_rows(rows: PaymentRows) -> list[dict[str, object]]:
    return [{**row, "amount": _money(row["amount"]), "amount_ves": _money(row["amount_ves"]),
             "change_given_ves": _money(row["change_given_ves"])}
            for _, row in sorted(rows.items())]


def _received_payments(doc: FiscalDocument) -> list[dict[str, Any]]:
    """The payments taken with the document: those of a payment receipt, and the part of
    an invoice paid at its checkout (earlier partial payments are on their receipts)."""
    if doc.kind not in (DocumentKind.INVOICE, DocumentKind.PAYMENT_RECEIPT):
        return []
    return [p for p in doc.snapshot.get("payments", []) if p.get("received_now")]


def _count_payment(rows: PaymentRows, payment: dict[str, Any]) -> None:
    """Add one payment to `rows`: the one place payments are summed."""
    row = _payment_row(rows, payment["method"], payment["currency"])
    row["count"] += 1
    row["amount"] += Decimal(payment["amount"])
    row["amount_ves"] += Decimal(payment["amount_ves"])
    # Change goes back out of the Bs cash drawer: the rows count what the venue kept, so
    # each drawer reconciles.
    change = Decimal(payment.get("change_ves", "0"))
    if change:
        drawer = _payment_row(rows, "cash", LEGAL_CURRENCY)
        drawer["amount"] -= change
        drawer["amount_ves"] -= change
        drawer["change_given_ves"] += change


def _series_numbers(documents: Iterable[FiscalDocument]) -> list[dict[str, object]]:
    """First and last number and count of each series among the documents."""
    series: dict[str, dict[str, object]] = {}
    for doc in sorted(documents, key=lambda d: (d.series_code, d.number)):
        numbers = series.setdefault(doc.series_code, {"kind": doc.kind, "count": 0,
                                                      "first": doc.display_number})
        numbers["count"] += 1
        numbers["last"] = doc.display_number
    return [{"series": code, **values} for code, values in sorted(series.items())]


def _counts(documents: Sequence[FiscalDocument]) -> dict[str, int]:
    return {kind: sum(1 for d in documents if d.kind == kind) for kind in DocumentKind}


def _till_of(doc: FiscalDocument) -> tuple[str, str]:
    """Who took the money and at which terminal. Documents issued before the terminal was
    recorded on them fall back to their series' (empty for the default series)."""
    return (doc.issued_by.username if doc.issued_by_id else "",
            doc.terminal or doc.series.terminal)


def day_totals(documents: Iterable[FiscalDocument], *, day: date) -> dict[str, object]:
    """The figures of a day's X and Z reports (document_totals), naming the day."""
    return {"fiscal_day": day.isoformat(), **document_totals(documents)}


def document_totals(documents: Iterable[FiscalDocument]) -> dict[str, object]:
    """The figures of X and Z reports, summed from the documents themselves: net sales
    (invoices and debit notes minus credit notes) by rate, IVA, IGTF; each kind's own
    totals; first and last number of each series; payments by method and currency as
    they were received (payment receipts, and the part of an invoice paid at checkout),
    net of the change given back in Bs: what the venue kept in each drawer."""
    documents = list(documents)
    net = dict.fromkeys(AMOUNT_FIELDS, ZERO)
    by_kind: dict[str, dict[str, object]] = {}
    taxes: dict[tuple[str, str], list[Decimal]] = {}
    payments: PaymentRows = {}
    tills: dict[tuple[str, str], PaymentRows] = {}
    receipts = {"count": 0, "amount_ves": ZERO}
    for doc in documents:
        if doc.kind == DocumentKind.PAYMENT_RECEIPT:
            receipts["count"] += 1
            receipts["amount_ves"] += doc.paid_ves
        for p in _received_payments(doc):
            till = tills.setdefault(_till_of(doc), {})
            for rows in (payments, till):
                _count_payment(rows, p)
        sign = SIGN.get(doc.kind)
        if sign is None:
            continue
        kind = by_kind.setdefault(doc.kind, {"count": 0, **dict.fromkeys(AMOUNT_FIELDS, ZERO)})
        kind["count"] += 1
        for field in AMOUNT_FIELDS:
            kind[field] += getattr(doc, field)
            net[field] += sign * getattr(doc, field)
        for tax in doc.snapshot.get("taxes", []):
            bucket = taxes.setdefault((tax["category"], tax["rate"]), [ZERO, ZERO])
            bucket[0] += sign * Decimal(tax["base_ves"])
            bucket[1] += sign * Decimal(tax["iva_ves"])
    return {
        "documents": len(documents),
        "counts": _counts(documents),
        "net_sales": {field: _money(value) for field, value in net.items()},
        "taxes": [{"category": category, "rate": rate, "base_ves": _money(base),
                   "iva_ves": _money(iva)}
                  for (category, rate), (base, iva) in sorted(taxes.items())],
        "by_kind": {kind: {k: (v if k == "count" else _money(v)) for k, v in values.items()}
                    for kind, values in sorted(by_kind.items())},
        "series": _series_numbers(documents),
        "payments": _payment_rows(payments),
        # The same, per cashier and terminal: each till's drawer on its own.
        "by_till": [{"cashier": cashier, "terminal": terminal, "payments": _payment_rows(rows)}
                    for (cashier, terminal), rows in sorted(tills.items())],
        "receipts": {"count": receipts["count"], "amount_ves": _money(receipts["amount_ves"])},
    }


def shift_figures(documents: Iterable[FiscalDocument]) -> dict[str, object]:
    """What one till took over a shift, summed as day_totals sums a day's payments: the
    documents (count per kind, first and last number of each series), payments by method
    and currency net of the change given back in Bs, and `cash_expected`, the cash each
    currency's drawer should hold (negative when more Bs went out as change than came in
    as cash)."""
    documents = list(documents)
    rows: PaymentRows = {}
    for doc in documents:
        for p in _received_payments(doc):
            _count_payment(rows, p)
    return {
        "documents": len(documents),
        "counts": _counts(documents),
        "series": _series_numbers(documents),
        "payments": _payment_rows(rows),
        "cash_expected": {currency: _money(row["amount"])
                          for (method, currency), row in sorted(rows.items())
                          if method == PaymentMethod.CASH},
    }


def shifts_visible_to(user: AbstractBaseUser) -> QuerySet[Shift]:
    """Cashiers see their own shifts; venue admins and operators all (as documents)."""
    queryset = Shift.objects.select_related("cashier").order_by("-number")
    if sees_every_sale(user):  # tenants.permissions.EVERY_SALE
        return queryset
    return queryset.filter(cashier=user)


def x_report(*, day: date | None = None) -> dict[str, object]:
    """Totals so far for a fiscal day (default today). Changes nothing."""
    day = day or fiscal_day()
    documents = list(FiscalDocument.objects.filter(fiscal_day=day)
                     .select_related("issued_by", "series").order_by("id"))
    return {
        **day_totals(documents, day=day),
        "not_in_z": sum(1 for d in documents if d.z_report_id is None),
        "z_reports": list(ZReport.objects.filter(fiscal_day=day).order_by("number")
                          .values_list("number", flat=True)),
        "generated_at": timezone.now().isoformat(),
    }
