"""Reads of fiscal data: the profile, the exchange rate of a fiscal day, documents, tickets
and the X/Z report figures."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from fiscal.errors import ExchangeRateMissing
from fiscal.models import DocumentKind, ExchangeRate, FiscalDocument, FiscalProfile, ZReport
from fiscal.taxes import LEGAL_CURRENCY
from sales.models import Ticket
from tenants.permissions import sees_every_sale

FISCAL_TZ = ZoneInfo("America/Caracas")


def fiscal_day(moment: datetime | None = None) -> date:
    """The fiscal day of a moment: its date in America/Caracas."""
    return (moment or timezone.now()).astimezone(FISCAL_TZ).date()


def fiscal_profile() -> FiscalProfile:
    profile, _ = FiscalProfile.objects.get_or_create(pk=1)
    return profile


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
    the last business day's rate). Never a silent 1.0."""
    if currency == LEGAL_CURRENCY:
        return Decimal("1")
    rate = (
        ExchangeRate.objects.filter(
            currency=currency, valid_on__lte=on_day,
            valid_on__gte=on_day - timedelta(days=max_age_days),
        )
        .order_by("-valid_on")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise ExchangeRateMissing(
            f"No {currency} exchange rate for {on_day:%d/%m/%Y}: a venue admin must enter "
            "the BCV rate of the day first.",
            currency=currency, day=on_day.isoformat(),
        )
    return rate


# --- Documents and reports ------------------------------------------------------------

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


def day_totals(documents: Iterable[FiscalDocument], *, day: date) -> dict[str, object]:
    """The figures of X and Z reports, summed from the documents themselves: net sales
    (invoices and debit notes minus credit notes) by rate, IVA, IGTF; each kind's own
    totals; first and last number of each series; payments by method and currency as
    they were received (payment receipts, and the part of an invoice paid at checkout)."""
    documents = list(documents)
    net = dict.fromkeys(AMOUNT_FIELDS, ZERO)
    by_kind: dict[str, dict[str, object]] = {}
    taxes: dict[tuple[str, str], list[Decimal]] = {}
    series: dict[str, dict[str, object]] = {}
    payments: dict[tuple[str, str], dict[str, object]] = {}
    receipts = {"count": 0, "amount_ves": ZERO}
    for doc in sorted(documents, key=lambda d: (d.series_code, d.number)):
        numbers = series.setdefault(doc.series_code, {"kind": doc.kind, "count": 0,
                                                      "first": doc.display_number})
        numbers["count"] += 1
        numbers["last"] = doc.display_number
        if doc.kind == DocumentKind.PAYMENT_RECEIPT:
            receipts["count"] += 1
            receipts["amount_ves"] += doc.paid_ves
        if doc.kind in (DocumentKind.INVOICE, DocumentKind.PAYMENT_RECEIPT):
            for p in doc.snapshot.get("payments", []):
                if not p.get("received_now"):
                    continue
                row = payments.setdefault((p["method"], p["currency"]), {
                    "method": p["method"], "currency": p["currency"], "count": 0,
                    "amount": ZERO, "amount_ves": ZERO})
                row["count"] += 1
                row["amount"] += Decimal(p["amount"])
                row["amount_ves"] += Decimal(p["amount_ves"])
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
        "fiscal_day": day.isoformat(),
        "documents": len(documents),
        "counts": {kind: sum(1 for d in documents if d.kind == kind) for kind in DocumentKind},
        "net_sales": {field: _money(value) for field, value in net.items()},
        "taxes": [{"category": category, "rate": rate, "base_ves": _money(base),
                   "iva_ves": _money(iva)}
                  for (category, rate), (base, iva) in sorted(taxes.items())],
        "by_kind": {kind: {k: (v if k == "count" else _money(v)) for k, v in values.items()}
                    for kind, values in sorted(by_kind.items())},
        "series": [{"series": code, **values} for code, values in sorted(series.items())],
        "payments": [{**row, "amount": _money(row["amount"]),
                      "amount_ves": _money(row["amount_ves"])}
                     for _, row in sorted(payments.items())],
        "receipts": {"count": receipts["count"], "amount_ves": _money(receipts["amount_ves"])},
    }


def x_report(*, day: date | None = None) -> dict[str, object]:
    """Totals so far for a fiscal day (default today). Changes nothing."""
    day = day or fiscal_day()
    documents = list(FiscalDocument.objects.filter(fiscal_day=day).order_by("id"))
    return {
        **day_totals(documents, day=day),
        "not_in_z": sum(1 for d in documents if d.z_report_id is None),
        "z_reports": list(ZReport.objects.filter(fiscal_day=day).order_by("number")
                          .values_list("number", flat=True)),
        "generated_at": timezone.now().isoformat(),
    }
