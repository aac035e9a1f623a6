"""Fiscal actions: quoting a sale, issuing documents (invoice, payment receipt, credit and
debit notes) with gapless numbers, closing a fiscal day (Z report) and a cashier's shift,
the fiscal settings.

Numbering: a document's number and control number are taken from its series' counter row
with one UPDATE ... RETURNING (which locks the row) inside the same database transaction
that saves the document (see fiscal.lock_objects). A rollback anywhere in that
transaction — the sale failing after the number was taken, a crash — gives the number
back: no gap, no duplicate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from fiscal.errors import (
    DocumentAmountTooLarge,
    DocumentNotFound,
    ExchangeRateMissing,
    FiscalProfileIncomplete,
    InvalidFiscalDay,
    InvalidNote,
    InvalidPayment,
    NotAnInvoice,
    NothingNewToClose,
    NothingToCredit,
)
from fiscal.lock_objects import lock_invoice, lock_profile, take_series_number
from fiscal.models import (
    DocumentKind,
    ExchangeRate,
    FiscalDocument,
    FiscalProfile,
    FiscalSeries,
    Shift,
    VoidedTicket,
    ZReport,
)
from fiscal.selectors import (
    FISCAL_TZ,
    LEGAL_CURRENCY,
    current_fiscal_profile,
    day_totals,
    exchange_rate,
    first_fiscal_day,
    fiscal_day,
    fiscal_profile,
    has_rate_on_file,
    missing_issuer_fields,
    shift_figures,
)
from fiscal.taxes import (
    CreditRequest,
    Line,
    LineAmounts,
    PaymentInput,
    TaxBreakdown,
    TaxCalculationError,
    TaxCategory,
    TaxRates,
    amounts_due,
    calculate,
    credit,
    in_currency,
    to_cents,
)
from fiscal.validators import normalize_buyer_id, normalize_rif
from sales.models import Currency, Ticket, Transaction

logger = structlog.get_logger(__name__)

FINAL_CONSUMER = "Consumidor final"
FOREIGN_CURRENCIES = tuple(c for c in Currency.values if c != LEGAL_CURRENCY)


def tax_rates(profile: FiscalProfile) -> TaxRates:
    return TaxRates(
        iva_general=profile.iva_general,
        iva_reduced=profile.iva_reduced,
        iva_luxury_surcharge=profile.iva_luxury_surcharge,
        igtf=profile.igtf,
        municipal=profile.municipal_tax,
    )


@dataclass(frozen=True)
class Quote:
    """What a sale costs with these payments: the fiscal breakdown, the amount that
    settles it in each accepted currency, and what it was computed with (the exchange
    rate, and the fiscal profile, which the document issued from it must record)."""

    breakdown: TaxBreakdown
    amounts_due: dict[str, Decimal]
    currency: str  # the foreign currency of the rate (VES for a Bs-only sale)
    rate: Decimal
    profile: FiscalProfile

    def in_sale_currency(self, amount_ves: Decimal) -> Decimal:
        return self.breakdown.in_sale_currency(amount_ves)


def quote_sale(
    *,
    sale_currency: str,
    lines: Sequence[Line],
    payments: Sequence[PaymentInput],
    at: datetime,
) -> Quote:
    """Taxes, IGTF, amount due and the amounts that settle it, for these lines and
    payments, at the BCV rate of the fiscal day of `at`.

    Every sale ends in an invoice, so nothing is quoted (and no checkout, which quotes
    before it records anything, goes on) until the venue has an issuer identity and a
    rate of the currency on file: 409 `fiscal_profile_incomplete`. A venue with rates
    but none recent enough for the day: 409 `exchange_rate_missing`. Figures too large
    for a document: 400 `document_amount_too_large`."""
    profile = current_fiscal_profile()
    missing = missing_issuer_fields(profile)
    foreign = {sale_currency} | {p.currency for p in payments}
    foreign.discard(LEGAL_CURRENCY)
    if len(foreign) > 1:
        raise InvalidPayment(
            f"Payments must be in {LEGAL_CURRENCY} or {sale_currency}; "
            f"got {', '.join(sorted(foreign))}."
        )
    currency = next(iter(foreign), LEGAL_CURRENCY)
    day = fiscal_day(at)
    try:
        rate = exchange_rate(currency=currency, on_day=day,
                             max_age_days=profile.max_rate_age_days)
    except ExchangeRateMissing:
        # Only on this failure path: one more query, to tell set-up from the day's rate.
        if not missing and has_rate_on_file(currency=currency, on_day=day):
            raise
        raise FiscalProfileIncomplete([*missing, "exchange_rate"], currency=currency) from None
    if missing:
        raise FiscalProfileIncomplete(missing, currency=currency)
    figures = {"lines": lines, "sale_currency": sale_currency, "rate": rate,
               "rates": tax_rates(profile), "prices_include_tax": profile.prices_include_tax}
    try:
        breakdown = calculate(payments=payments, **figures)
        due = amounts_due(payments=payments, breakdown=breakdown, **figures)
    except TaxCalculationError as exc:
        raise InvalidPayment(str(exc)) from exc
    except ArithmeticError as exc:  # beyond Decimal's 28 digits: far beyond any column
        raise _too_large("amount_due_ves") from exc
    _check_document_amounts(breakdown, currency=currency, rate=rate)
    return Quote(breakdown=breakdown, amounts_due=due, currency=currency, rate=rate,
                 profile=profile)


def _document_amounts(b: TaxBreakdown, *, currency: str, rate: Decimal,
                      paid_ves: Decimal | None = None) -> dict[str, Decimal]:
    """The amount columns of the document issued from `b`, Bs first."""
    return {
        "base_total_ves": b.base_total_ves, "exempt_ves": b.exempt_ves,
        "iva_total_ves": b.iva_total_ves, "municipal_ves": b.municipal_ves,
        "total_ves": b.total_ves, "igtf_ves": b.igtf_ves, "amount_due_ves": b.amount_due_ves,
        "paid_ves": b.paid_ves if paid_ves is None else paid_ves,
        "total_foreign": in_currency(b.total_ves, currency=currency, rate=rate),
        "amount_due_foreign": in_currency(b.amount_due_ves, currency=currency, rate=rate),
    }


def _too_large(name: str) -> DocumentAmountTooLarge:
    field = FiscalDocument._meta.get_field(name)
    whole = field.max_digits - field.decimal_places
    return DocumentAmountTooLarge(
        f"The amounts are too large: a fiscal document holds at most {whole} digits before "
        f"the decimal point ({name}). Check the prices, quantities and payments.",
        field=name,
    )


def _check_document_amounts(b: TaxBreakdown, *, currency: str, rate: Decimal,
                            paid_ves: Decimal | None = None) -> dict[str, Decimal]:
    """The document's amount columns, or DocumentAmountTooLarge naming the first that
    would overflow its column (PostgreSQL's `numeric field overflow`, a 500, otherwise)."""
    try:
        amounts = _document_amounts(b, currency=currency, rate=rate, paid_ves=paid_ves)
    except ArithmeticError as exc:  # a foreign figure beyond Decimal's 28 digits
        raise _too_large("total_ves" if not _fits("total_ves", b.total_ves)
                         else "total_foreign") from exc
    for name, value in amounts.items():
        if not _fits(name, value):
            raise _too_large(name)
    return amounts


def _fits(name: str, value: Decimal) -> bool:
    field = FiscalDocument._meta.get_field(name)
    return abs(value) < Decimal(10) ** (field.max_digits - field.decimal_places)


# --- Settings -------------------------------------------------------------------------


@transaction.atomic
def update_fiscal_profile(*, changes: dict[str, Any]) -> FiscalProfile:
    """Change the venue's fiscal identity or rates. Issued documents keep the rates and
    identity they were issued with (they are snapshots)."""
    profile = lock_profile()
    for field, value in changes.items():
        setattr(profile, field, value)
    # Validate what changed: a fresh profile may still lack an identity while its admin
    # sets the rates first.
    profile.full_clean(exclude=[f.name for f in FiscalProfile._meta.fields
                                if f.name not in changes])
    profile.save()
    logger.info("fiscal.profile_updated", fields=sorted(changes))
    return profile


@transaction.atomic
def set_up_issuer(
    *,
    legal_name: str = "",
    rif: str = "",
    fiscal_address: str = "",
    rates: Mapping[str, Decimal] | None = None,
    valid_on: date | None = None,
) -> FiscalProfile:
    """Enter the venue's issuer identity (the fields given; empty ones are left as they
    are) and BCV rates valid on `valid_on` (default today's fiscal day): what a new tenant
    needs before its first invoice (fiscal.selectors.missing_for_invoicing). Raises
    Django's ValidationError for a malformed RIF, a field too long, an unknown currency or
    a rate out of range."""
    changes = {name: value.strip() for name, value in (
        ("legal_name", legal_name), ("rif", rif), ("fiscal_address", fiscal_address))
        if value.strip()}
    if "rif" in changes:
        changes["rif"] = normalize_rif(changes["rif"])
    profile = update_fiscal_profile(changes=changes) if changes else fiscal_profile()
    valid_on = valid_on or fiscal_day()
    for currency, rate in (rates or {}).items():
        if currency not in FOREIGN_CURRENCIES:
            raise ValidationError(f"Unknown foreign currency {currency!r}: use one of "
                                  f"{', '.join(FOREIGN_CURRENCIES)}.")
        entry = ExchangeRate.objects.filter(currency=currency, valid_on=valid_on).first()
        entry = entry or ExchangeRate(currency=currency, valid_on=valid_on)
        entry.rate = rate
        entry.full_clean()
        entry.save()
    logger.info("fiscal.issuer_set_up", fields=sorted(changes), rates=sorted(rates or {}))
    return profile


# --- Issuing documents ----------------------------------------------------------------


def _rates_snapshot(profile: FiscalProfile) -> dict[str, object]:
    rates = tax_rates(profile)
    return {"iva_general": str(rates.iva_general), "iva_reduced": str(rates.iva_reduced),
            "iva_luxury_surcharge": str(rates.iva_luxury_surcharge), "igtf": str(rates.igtf),
            "municipal": str(rates.municipal),
            "prices_include_tax": profile.prices_include_tax}


def _rates_from_snapshot(snapshot: dict[str, Any]) -> TaxRates:
    rates = snapshot["rates"]
    return TaxRates(**{name: Decimal(rates[name]) for name in (
        "iva_general", "iva_reduced", "iva_luxury_surcharge", "igtf", "municipal")})


def _line_snapshot(index: int, amounts: LineAmounts, currency: str,
                   **extra: object) -> dict[str, object]:
    return {
        "line": index, "description": amounts.description, "quantity": amounts.quantity,
        "unit_price": str(amounts.unit_price), "currency": currency,
        "tax_category": str(amounts.tax_category), "iva_rate": str(amounts.iva_rate),
        "exempt": amounts.tax_category == TaxCategory.EXEMPT,
        "base_ves": str(amounts.base_ves), "iva_ves": str(amounts.iva_ves),
        "municipal_ves": str(amounts.municipal_ves), **extra,
    }


def _line_from_snapshot(line: dict[str, Any]) -> LineAmounts:
    return LineAmounts(
        description=line["description"], quantity=int(line["quantity"]),
        unit_price=Decimal(line["unit_price"]), tax_category=TaxCategory(line["tax_category"]),
        iva_rate=Decimal(line["iva_rate"]), base_ves=Decimal(line["base_ves"]),
        iva_ves=Decimal(line["iva_ves"]), municipal_ves=Decimal(line["municipal_ves"]),
    )


def _payments_snapshot(payments: Sequence[PaymentInput], rate: Decimal,
                       received_now: int) -> list[dict[str, object]]:
    """Each payment with its Bs value; the last `received_now` were taken with this
    document (the others were on earlier payment receipts)."""
    first_new = len(payments) - received_now
    return [
        {"method": p.method, "currency": p.currency, "amount": str(to_cents(p.amount)),
         "amount_ves": str(to_cents(p.amount if p.currency == LEGAL_CURRENCY
                                    else p.amount * rate)),
         "igtf_applies": p.currency != LEGAL_CURRENCY, "received_now": i >= first_new,
         "reference": p.reference, "change_ves": str(to_cents(p.change_ves))}
        for i, p in enumerate(payments)
    ]


def _take_number(kind: str, terminal: str) -> tuple[FiscalSeries, int, str]:
    series, number, control = take_series_number(kind, terminal)
    return series, number, f"{series.control_prefix}-{control:08d}"


@dataclass(frozen=True)
class _Figures:
    breakdown: TaxBreakdown
    foreign_currency: str
    rate: Decimal


def _issue(
    *, kind: str, figures: _Figures, snapshot: dict[str, Any], issued_by: AbstractBaseUser,
    now: datetime, terminal: str = "", tx: Transaction | None = None,
    original: FiscalDocument | None = None, reason: str = "", paid_ves: Decimal | None = None,
    buyer_name: str = "", buyer_tax_id: str = "", profile: FiscalProfile | None = None,
) -> FiscalDocument:
    """Number and save one document. Must run inside the caller's transaction. `profile`:
    the one the caller already read (the document and its rates snapshot then agree)."""
    profile = profile or fiscal_profile()
    b = figures.breakdown
    # Checked before the number is taken (quote_sale checked the figures of a sale).
    amounts = _check_document_amounts(b, currency=figures.foreign_currency, rate=figures.rate,
                                      paid_ves=paid_ves)
    series, number, control = _take_number(kind, terminal)
    snapshot = {
        "issuer": {"name": profile.legal_name, "rif": profile.rif,
                   "address": profile.fiscal_address},
        "buyer": {"name": buyer_name or FINAL_CONSUMER, "tax_id": buyer_tax_id},
        "exchange": {"currency": figures.foreign_currency, "rate": str(figures.rate)},
        "taxes": [{"category": str(t.category), "rate": str(t.rate),
                   "base_ves": str(t.base_ves), "iva_ves": str(t.iva_ves)} for t in b.buckets],
        **snapshot,
    }
    document = FiscalDocument.objects.create(
        kind=kind, series=series, series_code=series.code, number=number,
        control_number=control, issued_at=now, fiscal_day=fiscal_day(now), transaction=tx,
        original=original, reason=reason, issuer_name=profile.legal_name,
        issuer_rif=profile.rif, issuer_address=profile.fiscal_address,
        buyer_name=buyer_name or FINAL_CONSUMER, buyer_tax_id=buyer_tax_id,
        sale_currency=b.sale_currency, foreign_currency=figures.foreign_currency,
        exchange_rate=figures.rate,
        snapshot=snapshot, issued_by=issued_by, terminal=terminal, **amounts,
    )
    logger.info("fiscal.document_issued", kind=kind, number=document.display_number,
                control=control, transaction=tx.pk if tx else None)
    return document


def _buyer(tx: Transaction) -> tuple[str, str]:
    return tx.customer_name or FINAL_CONSUMER, normalize_buyer_id(tx.customer_tax_id)


def _tickets_per_item(tx: Transaction, items: Sequence[Any]) -> list[list[int]]:
    """The tickets of each sold item, in the order of the items (the invoice lines)."""
    tickets = list(Ticket.objects.filter(transaction=tx).order_by("id")
                   .values_list("id", "zone_id", "seat_id"))
    taken: set[int] = set()
    result = []
    for item in items:
        if item.seat_id:
            ids = [t for t, _, seat in tickets if seat == item.seat_id and t not in taken][:1]
        else:
            ids = [t for t, zone, seat in tickets
                   if zone == item.zone_id and seat is None and t not in taken][:item.quantity]
        taken.update(ids)
        result.append(ids)
    return result


def issue_invoice(
    *,
    tx: Transaction,
    items: Sequence[Any],
    quote: Quote,
    received: int,
    issued_by: AbstractBaseUser,
    now: datetime,
    terminal: str = "",
    ticket_ids: list[list[int]] | None = None,
) -> FiscalDocument:
    """The invoice of a sale paid in full, issued inside the checkout's transaction (so a
    failed checkout leaves no number behind). `items` are the sold holds in the order of
    the breakdown's lines; `received` is how many of the breakdown's payments were taken
    now; `ticket_ids`, the tickets of each item when the caller has just issued them
    (else they are read). One invoice per sale (the caller, holding the sale's lock, knows
    it has none)."""
    breakdown, profile = quote.breakdown, quote.profile
    tickets = ticket_ids if ticket_ids is not None else _tickets_per_item(tx, items)
    lines = [_line_snapshot(i, amounts, breakdown.sale_currency, ticket_ids=tickets[i])
             for i, amounts in enumerate(breakdown.lines)]
    buyer_name, buyer_tax_id = _buyer(tx)
    return _issue(
        kind=DocumentKind.INVOICE,
        figures=_Figures(breakdown, quote.currency, quote.rate),
        snapshot={"rates": _rates_snapshot(profile), "lines": lines,
                  "payments": _payments_snapshot(breakdown.payments, quote.rate, received),
                  "balance_ves": str(breakdown.balance_ves)},
        issued_by=issued_by, now=now, terminal=terminal, tx=tx,
        buyer_name=buyer_name, buyer_tax_id=buyer_tax_id, profile=profile,
    )


def issue_payment_receipt(
    *,
    tx: Transaction,
    quote: Quote,
    received: int,
    issued_by: AbstractBaseUser,
    now: datetime,
    terminal: str = "",
) -> FiscalDocument:
    """A numbered receipt for a partial payment (not a fiscal document): the payments
    taken now, what the sale costs, what has been paid so far and the balance."""
    breakdown, profile = quote.breakdown, quote.profile
    payments = _payments_snapshot(breakdown.payments, quote.rate, received)
    received_ves = sum((Decimal(p["amount_ves"]) - Decimal(p["change_ves"])
                        for p in payments if p["received_now"]), Decimal("0.00"))
    buyer_name, buyer_tax_id = _buyer(tx)
    return _issue(
        kind=DocumentKind.PAYMENT_RECEIPT,
        figures=_Figures(breakdown, quote.currency, quote.rate),
        snapshot={"rates": _rates_snapshot(profile), "lines": [
            _line_snapshot(i, amounts, breakdown.sale_currency)
            for i, amounts in enumerate(breakdown.lines)],
            "payments": payments, "paid_so_far_ves": str(breakdown.paid_ves),
            "balance_ves": str(breakdown.balance_ves),
            "amounts_due": {c: str(a) for c, a in quote.amounts_due.items()},
            "payment_deadline": tx.payment_deadline.isoformat() if tx.payment_deadline
            else None},
        issued_by=issued_by, now=now, terminal=terminal, tx=tx, paid_ves=received_ves,
        buyer_name=buyer_name, buyer_tax_id=buyer_tax_id, profile=profile,
    )


@dataclass(frozen=True)
class CreditLine:
    line: int  # index of the invoice line
    quantity: int


def _locked_invoice(invoice_id: int) -> FiscalDocument:
    invoice = lock_invoice(invoice_id)
    if invoice is None:
        raise DocumentNotFound()
    if invoice.kind != DocumentKind.INVOICE:
        raise NotAnInvoice()
    return invoice


def _references(invoice: FiscalDocument) -> dict[str, object]:
    return {"invoice_id": invoice.pk, "invoice_number": invoice.display_number,
            "invoice_control_number": invoice.control_number,
            "invoice_date": f"{invoice.issued_at.astimezone(FISCAL_TZ):%d/%m/%Y}"}


def issue_credit_note(
    *,
    invoice_id: int,
    lines: Sequence[CreditLine] | None = None,
    reason: str,
    issued_by: AbstractBaseUser,
    now: datetime | None = None,
    terminal: str = "",
) -> FiscalDocument:
    """Refund or cancel an invoiced sale, in full (`lines` None: whatever earlier notes
    left) or per line and quantity. Figures come from the invoice (its rates and exchange
    rate). The tickets of the credited units are voided: they no longer admit anyone.
    The seats are not put back on sale (see docs/fiscal.md)."""
    now = now or timezone.now()
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id)
        invoice_lines = invoice.snapshot["lines"]
        earlier = list(invoice.corrections.filter(kind=DocumentKind.CREDIT_NOTE))
        credited = dict.fromkeys(range(len(invoice_lines)), 0)
        for note in earlier:
            for line in note.snapshot["lines"]:
                credited[line["invoice_line"]] += int(line["quantity"])
        if lines is None:
            lines = [CreditLine(line=i, quantity=int(line["quantity"]) - credited[i])
                     for i, line in enumerate(invoice_lines)
                     if int(line["quantity"]) > credited[i]]
            if not lines:
                raise NothingToCredit()
        wanted = [line.line for line in lines]
        if len(set(wanted)) != len(wanted):
            raise InvalidNote("Each invoice line may appear only once in a credit note.")
        bad = [i for i in wanted if i not in credited]
        if bad:
            raise InvalidNote(
                f"The invoice has no line {bad[0]} (lines 0 to {len(credited) - 1}).")
        try:
            breakdown = credit(
                requests=[CreditRequest(line=_line_from_snapshot(invoice_lines[c.line]),
                                        quantity=c.quantity, credited_before=credited[c.line])
                          for c in lines],
                sale_currency=invoice.sale_currency, rate=invoice.exchange_rate,
                rates=_rates_from_snapshot(invoice.snapshot),
                invoice_total_ves=invoice.total_ves, invoice_igtf_ves=invoice.igtf_ves,
                credited_total_before_ves=sum((n.total_ves for n in earlier), Decimal("0.00")),
                igtf_credited_before_ves=sum((n.igtf_ves for n in earlier), Decimal("0.00")),
            )
        except TaxCalculationError as exc:
            raise InvalidNote(str(exc)) from exc
        full = not earlier and all(
            c.quantity == int(invoice_lines[c.line]["quantity"]) for c in lines
        ) and len(lines) == len(invoice_lines)
        voided = _tickets_to_void(invoice, lines)
        note_lines = [
            _line_snapshot(n, amounts, invoice.sale_currency, invoice_line=c.line,
                           ticket_ids=voided[c.line])
            for n, (c, amounts) in enumerate(zip(lines, breakdown.lines, strict=True))
        ]
        note = _issue(
            kind=DocumentKind.CREDIT_NOTE,
            figures=_Figures(breakdown, invoice.foreign_currency, invoice.exchange_rate),
            snapshot={"rates": invoice.snapshot["rates"], "lines": note_lines, "payments": [],
                      "references": _references(invoice), "full": full},
            issued_by=issued_by, now=now, terminal=terminal, tx=invoice.transaction,
            original=invoice, reason=reason, paid_ves=Decimal("0.00"),
            buyer_name=invoice.buyer_name, buyer_tax_id=invoice.buyer_tax_id,
        )
        VoidedTicket.objects.bulk_create(
            VoidedTicket(ticket_id=ticket_id, credit_note=note, voided_at=now)
            for ids in voided.values() for ticket_id in ids
        )
    return note


def _tickets_to_void(invoice: FiscalDocument, lines: Sequence[CreditLine]) -> dict[int, list]:
    """For each credited line, that many of its tickets not voided yet (lowest ids first)."""
    already = set(VoidedTicket.objects.filter(credit_note__original=invoice)
                  .values_list("ticket_id", flat=True))
    result = {}
    for c in lines:
        ids = [t for t in invoice.snapshot["lines"][c.line].get("ticket_ids", [])
               if t not in already]
        result[c.line] = ids[:c.quantity]
    return result


def issue_debit_note(
    *,
    invoice_id: int,
    lines: Sequence[Line],
    reason: str,
    issued_by: AbstractBaseUser,
    now: datetime | None = None,
    terminal: str = "",
) -> FiscalDocument:
    """An increase on an invoiced sale (a surcharge, a missed item). Its lines are priced
    in the invoice's currency and taxed at today's rates and the BCV rate of today: it is
    a new document and records the rates it was issued with."""
    now = now or timezone.now()
    with transaction.atomic():
        invoice = _locked_invoice(invoice_id)
        quote = quote_sale(sale_currency=invoice.sale_currency, lines=lines, payments=(),
                           at=now)
        breakdown = quote.breakdown
        return _issue(
            kind=DocumentKind.DEBIT_NOTE,
            figures=_Figures(breakdown, quote.currency, quote.rate),
            snapshot={"rates": _rates_snapshot(quote.profile), "lines": [
                _line_snapshot(i, amounts, invoice.sale_currency)
                for i, amounts in enumerate(breakdown.lines)],
                "payments": [], "references": _references(invoice)},
            issued_by=issued_by, now=now, terminal=terminal, tx=invoice.transaction,
            original=invoice, reason=reason, paid_ves=Decimal("0.00"),
            buyer_name=invoice.buyer_name, buyer_tax_id=invoice.buyer_tax_id,
            profile=quote.profile,
        )


# --- Closing the day ------------------------------------------------------------------


def close_fiscal_day(
    *, day: date | None = None, closed_by: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> ZReport:
    """The Z report of a fiscal day (America/Caracas): the next consecutive Z number, the
    day's totals, and every document of the day not yet in a Z locked to it. A day is
    closed again only when it has new documents: a second Z with nothing new is refused
    (409). Days from the venue's first document (or today, before any) to today can be
    closed; a day before that or in the future is refused (400). Z numbers are gapless:
    taken under the fiscal profile's row lock."""
    now = now or timezone.now()
    today = fiscal_day(now)
    day = day or today
    if day > today:
        raise InvalidFiscalDay(f"The fiscal day {day:%d/%m/%Y} has not begun yet.",
                               day=day.isoformat())
    first = min(first_fiscal_day() or today, today)
    if day < first:
        raise InvalidFiscalDay(
            f"Nothing was sold before {first:%d/%m/%Y}, the day of this venue's first fiscal "
            f"document: there is no fiscal day {day:%d/%m/%Y} to close.",
            day=day.isoformat(), first_day=first.isoformat())
    with transaction.atomic():
        # The profile's lock serialises Z reports: the day's documents need no lock of
        # their own (only a Z report sets `z_report`; new ones belong to the next Z).
        lock_profile()
        documents = list(
            FiscalDocument.objects.filter(fiscal_day=day, z_report__isnull=True)
            .select_related("issued_by", "series").order_by("id")
        )
        if not documents and ZReport.objects.filter(fiscal_day=day).exists():
            raise NothingNewToClose(
                f"The fiscal day {day:%d/%m/%Y} is already closed and has no new documents.",
                day=day.isoformat(),
            )
        number = (ZReport.objects.aggregate(last=Max("number"))["last"] or 0) + 1
        report = ZReport.objects.create(
            number=number, fiscal_day=day, created_at=now,
            created_by=closed_by if closed_by is not None and closed_by.is_authenticated
            else None,
            totals=day_totals(documents, day=day),
        )
        FiscalDocument.objects.filter(pk__in=[d.pk for d in documents]).update(z_report=report)
    logger.info("fiscal.z_report", number=number, day=day.isoformat(), documents=len(documents))
    return report


# --- Closing a cashier's shift --------------------------------------------------------


def close_shift(
    *, cashier: AbstractBaseUser, terminal: str = "",
    declared: Mapping[str, Decimal] | None = None,
    opening_float: Mapping[str, Decimal] | None = None, now: datetime | None = None,
) -> Shift:
    """Close `cashier`'s shift at `terminal`: the next consecutive shift number, what the
    till took (fiscal.selectors.shift_figures) and every document the cashier issued at
    that terminal not yet in a shift, locked to this one. `declared`, the cash the cashier
    counted per currency, is compared with the cash the drawer should hold: `difference`
    is declared minus expected for every currency of either (one not declared counts as
    none counted). `opening_float`, the cash the drawer started with (the change float),
    is part of what it should hold. A close with no new document is still a shift (a
    drawer counted with nothing sold since the last close). Shift numbers are gapless:
    taken under the fiscal profile's row lock, as Z numbers."""
    now = now or timezone.now()
    with transaction.atomic():
        # The profile's lock serialises closes (and Z reports). Membership is the
        # document's `shift` link, not a time window: a close takes the documents that
        # are committed and unclaimed when it reads them, and one still being issued
        # commits unclaimed and goes into the next close. So no document is in two shifts
        # (the link is set once; the trigger refuses to move it) nor in none, whatever
        # the timing; a window on `issued_at` would lose a sale that commits after a
        # close whose window already covers its issue time.
        lock_profile()
        number = (Shift.objects.aggregate(last=Max("number"))["last"] or 0) + 1
        documents = list(
            FiscalDocument.objects.filter(issued_by=cashier, terminal=terminal,
                                          shift__isnull=True).order_by("id")
        )
        previous = (Shift.objects.filter(cashier=cashier, terminal=terminal)
                    .order_by("-closed_at").values_list("closed_at", flat=True).first())
        # A document that committed between `now` and the read above is in this shift:
        # the close is never earlier than what it closes.
        closed_at = max([now, *(d.issued_at for d in documents)])
        figures = shift_figures(documents)
        shift = Shift.objects.create(
            number=number, cashier=cashier, terminal=terminal,
            opened_at=previous or _start_of_fiscal_day(
                min((d.issued_at for d in documents), default=closed_at)),
            closed_at=closed_at, figures=figures,
            declared=_cash(declared), opening_float=_cash(opening_float),
            difference=None if declared is None else _cash_difference(
                expected=figures["cash_expected"], opening_float=opening_float or {},
                declared=declared),
        )
        FiscalDocument.objects.filter(pk__in=[d.pk for d in documents]).update(shift=shift)
    logger.info("fiscal.shift_closed", number=number, cashier=cashier.pk, terminal=terminal,
                documents=len(documents))
    return shift


def _start_of_fiscal_day(moment: datetime) -> datetime:
    return datetime.combine(fiscal_day(moment), time.min, tzinfo=FISCAL_TZ)


def _cash(amounts: Mapping[str, Decimal] | None) -> dict[str, str] | None:
    return None if amounts is None else {
        currency: str(to_cents(amount)) for currency, amount in sorted(amounts.items())}


def _cash_difference(*, expected: Mapping[str, str], opening_float: Mapping[str, Decimal],
                     declared: Mapping[str, Decimal]) -> dict[str, str]:
    """Declared minus the cash the drawer should hold (its opening float and what the
    till kept), per currency: negative is short, positive over."""
    zero = Decimal("0")
    return {currency: str(to_cents(declared.get(currency, zero)
                                   - opening_float.get(currency, zero)
                                   - Decimal(expected.get(currency, "0"))))
            for currency in sorted(set(expected) | set(declared) | set(opening_float))}
