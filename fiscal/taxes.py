"""Venezuelan sale taxes, as pure arithmetic (no database): IVA per rate, exempt lines,
municipal spectacles tax, IGTF on foreign-currency payments, amount due and balance,
in bolívares and in the sale's currency.

Rules (docs: ../shared/FISCAL.md): every line is converted to Bs and rounded ROUND_HALF_UP
to cents on its own, then summed. IGTF is 3 % (a setting) of the Bs value of what was
paid in foreign currency, capped at the document total incl. IVA; it is not part of the
IVA base and is added to the amount due. Payments in Bs never pay IGTF.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum

LEGAL_CURRENCY = "VES"
CENT = Decimal("0.01")
HUNDRED = Decimal("100")


class TaxCalculationError(ValueError):
    """The inputs cannot make a valid sale (negative amount, no rate, unknown currency)."""


class TaxCategory(StrEnum):
    GENERAL = "general"
    REDUCED = "reduced"
    LUXURY = "luxury"
    EXEMPT = "exempt"


@dataclass(frozen=True)
class TaxRates:
    """Percentages, e.g. Decimal("16") for 16 %."""

    iva_general: Decimal = Decimal("16")
    iva_reduced: Decimal = Decimal("8")
    iva_luxury_surcharge: Decimal = Decimal("15")
    igtf: Decimal = Decimal("3")
    municipal: Decimal = Decimal("0")

    def iva_for(self, category: TaxCategory) -> Decimal:
        return {
            TaxCategory.GENERAL: self.iva_general,
            TaxCategory.REDUCED: self.iva_reduced,
            TaxCategory.LUXURY: self.iva_general + self.iva_luxury_surcharge,
            TaxCategory.EXEMPT: Decimal("0"),
        }[category]


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_price: Decimal  # in the sale currency
    tax_category: TaxCategory = TaxCategory.GENERAL


@dataclass(frozen=True)
class PaymentInput:
    """A payment as tendered at the till, and (once checkout has decided it) the change
    handed back for it, in Bs."""

    method: str
    currency: str
    amount: Decimal
    reference: str = ""
    change_ves: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class LineAmounts:
    description: str
    quantity: int
    unit_price: Decimal
    tax_category: TaxCategory
    iva_rate: Decimal
    base_ves: Decimal
    iva_ves: Decimal
    municipal_ves: Decimal


@dataclass(frozen=True)
class RateBucket:
    category: TaxCategory
    rate: Decimal
    base_ves: Decimal
    iva_ves: Decimal


@dataclass(frozen=True)
class TaxBreakdown:
    sale_currency: str
    exchange_rate: Decimal  # Bs per unit of the foreign currency (1 for a Bs-only sale)
    lines: tuple[LineAmounts, ...]
    buckets: tuple[RateBucket, ...]  # taxable bases and IVA, one per category used
    exempt_ves: Decimal
    base_total_ves: Decimal  # taxable bases, without exempt
    iva_total_ves: Decimal
    municipal_ves: Decimal
    total_ves: Decimal  # bases + exempt + IVA + municipal: the document total
    foreign_paid_ves: Decimal  # Bs value of the payments in foreign currency
    igtf_ves: Decimal
    amount_due_ves: Decimal  # total + IGTF
    paid_ves: Decimal
    balance_ves: Decimal  # amount due - paid; negative means change to give
    payments: tuple[PaymentInput, ...] = field(default=())

    @property
    def is_paid_in_full(self) -> bool:
        return self.balance_ves <= 0

    def in_sale_currency(self, amount_ves: Decimal) -> Decimal:
        return in_currency(amount_ves, currency=self.sale_currency, rate=self.exchange_rate)

    @property
    def total_sale(self) -> Decimal:
        return self.in_sale_currency(self.total_ves)

    @property
    def amount_due_sale(self) -> Decimal:
        return self.in_sale_currency(self.amount_due_ves)

    @property
    def balance_sale(self) -> Decimal:
        return self.in_sale_currency(self.balance_ves)

    def to_dict(self) -> dict[str, object]:
        money = str
        return {
            "sale_currency": self.sale_currency,
            "exchange_rate": str(self.exchange_rate),
            "lines": [
                {"description": line.description, "quantity": line.quantity,
                 "unit_price": money(line.unit_price), "tax_category": str(line.tax_category),
                 "iva_rate": money(line.iva_rate), "base_ves": money(line.base_ves),
                 "iva_ves": money(line.iva_ves)}
                for line in self.lines
            ],
            "taxes": [
                {"category": str(b.category), "rate": money(b.rate),
                 "base_ves": money(b.base_ves), "iva_ves": money(b.iva_ves)}
                for b in self.buckets
            ],
            "exempt_ves": money(self.exempt_ves),
            "base_total_ves": money(self.base_total_ves),
            "iva_total_ves": money(self.iva_total_ves),
            "municipal_ves": money(self.municipal_ves),
            "total_ves": money(self.total_ves),
            "foreign_paid_ves": money(self.foreign_paid_ves),
            "igtf_ves": money(self.igtf_ves),
            "amount_due_ves": money(self.amount_due_ves),
            "paid_ves": money(self.paid_ves),
            "balance_ves": money(self.balance_ves),
            "total_sale": money(self.total_sale),
            "amount_due_sale": money(self.amount_due_sale),
            "balance_sale": money(self.balance_sale),
            "paid_in_full": self.is_paid_in_full,
        }


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _percent(amount: Decimal, rate: Decimal) -> Decimal:
    return to_cents(amount * rate / HUNDRED)


def _line_amounts(line: Line, *, to_ves: Decimal, rates: TaxRates,
                  prices_include_tax: bool) -> LineAmounts:
    if line.quantity < 1:
        raise TaxCalculationError(f"Line {line.description!r}: quantity must be at least 1.")
    if line.unit_price < 0:
        raise TaxCalculationError(f"Line {line.description!r}: price cannot be negative.")
    category = TaxCategory(line.tax_category)
    iva_rate = rates.iva_for(category)
    municipal_rate = Decimal("0") if category == TaxCategory.EXEMPT else rates.municipal
    gross_ves = to_cents(line.unit_price * line.quantity * to_ves)
    if prices_include_tax:
        # The price already carries IVA and the municipal tax: take them back out.
        base = to_cents(gross_ves * HUNDRED / (HUNDRED + iva_rate + municipal_rate))
        municipal = _percent(base, municipal_rate)
        iva = gross_ves - base - municipal
    else:
        base = gross_ves
        iva = _percent(base, iva_rate)
        municipal = _percent(base, municipal_rate)
    return LineAmounts(
        description=line.description, quantity=line.quantity, unit_price=line.unit_price,
        tax_category=category, iva_rate=iva_rate, base_ves=base, iva_ves=iva,
        municipal_ves=municipal,
    )


def _summarise(
    amounts: Sequence[LineAmounts], rates: TaxRates
) -> tuple[Decimal, tuple[RateBucket, ...], Decimal, Decimal, Decimal]:
    """Exempt total, base and IVA per rate, taxable base, IVA and municipal tax: sums of
    the lines' rounded amounts."""
    buckets: dict[TaxCategory, list[Decimal]] = {}
    exempt = Decimal("0.00")
    for amount in amounts:
        if amount.tax_category == TaxCategory.EXEMPT:
            exempt += amount.base_ves
            continue
        bucket = buckets.setdefault(amount.tax_category, [Decimal("0.00"), Decimal("0.00")])
        bucket[0] += amount.base_ves
        bucket[1] += amount.iva_ves
    rate_buckets = tuple(
        RateBucket(category=category, rate=rates.iva_for(category), base_ves=base, iva_ves=iva)
        for category, (base, iva) in sorted(buckets.items())
    )
    base_total = sum((b.base_ves for b in rate_buckets), Decimal("0.00"))
    iva_total = sum((b.iva_ves for b in rate_buckets), Decimal("0.00"))
    municipal = sum((a.municipal_ves for a in amounts), Decimal("0.00"))
    return exempt, rate_buckets, base_total, iva_total, municipal



def calculate(
    *,
    lines: Sequence[Line],
    payments: Sequence[PaymentInput] = (),
    sale_currency: str,
    rate: Decimal,
    rates: TaxRates,
    prices_include_tax: bool = False,
) -> TaxBreakdown:
    """The full fiscal picture of a sale. `rate` is Bs per unit of the one foreign
    currency involved (the sale's, or the payments'); 1 when everything is in Bs."""
    if not lines:
        raise TaxCalculationError("A sale needs at least one line.")
    if rate <= 0:
        raise TaxCalculationError("The exchange rate must be positive.")
    to_ves = Decimal("1") if sale_currency == LEGAL_CURRENCY else rate
    amounts = tuple(
        _line_amounts(line, to_ves=to_ves, rates=rates, prices_include_tax=prices_include_tax)
        for line in lines
    )

    exempt, rate_buckets, base_total, iva_total, municipal = _summarise(amounts, rates)
    total = base_total + exempt + iva_total + municipal

    paid, foreign_paid = _paid(payments, rate=rate)
    igtf, amount_due = _amount_due(total, foreign_paid, rates.igtf)
    return TaxBreakdown(
        sale_currency=sale_currency, exchange_rate=rate, lines=amounts, buckets=rate_buckets,
        exempt_ves=exempt, base_total_ves=base_total, iva_total_ves=iva_total,
        municipal_ves=municipal, total_ves=total, foreign_paid_ves=foreign_paid,
        igtf_ves=igtf, amount_due_ves=amount_due, paid_ves=paid,
        balance_ves=amount_due - paid, payments=tuple(payments),
    )


def _paid(payments: Sequence[PaymentInput], *, rate: Decimal) -> tuple[Decimal, Decimal]:
    """The Bs value of `payments`, and of the part paid in foreign currency: each payment
    converted and rounded on its own."""
    foreign_paid = Decimal("0.00")
    paid = Decimal("0.00")
    for payment in payments:
        if payment.amount <= 0:
            raise TaxCalculationError(f"Payment by {payment.method}: amount must be positive.")
        if payment.currency == LEGAL_CURRENCY:
            paid += to_cents(payment.amount)
            continue
        value = to_cents(payment.amount * rate)
        foreign_paid += value
        paid += value
    return paid, foreign_paid


def _amount_due(total: Decimal, foreign_paid: Decimal,
                igtf_rate: Decimal) -> tuple[Decimal, Decimal]:
    """IGTF on what was paid in foreign currency (capped at the total), and the amount due
    with it."""
    igtf = _percent(min(foreign_paid, total), igtf_rate)
    return igtf, total + igtf


def amounts_due(
    *,
    lines: Sequence[Line],
    payments: Sequence[PaymentInput] = (),
    sale_currency: str,
    rate: Decimal,
    rates: TaxRates,
    prices_include_tax: bool = False,
    breakdown: TaxBreakdown | None = None,
) -> dict[str, Decimal]:
    """For each currency the sale may be paid in (Bs, and the sale's own currency when it
    is foreign): the amount that, paid entirely in that currency on top of `payments`,
    settles the sale, IGTF included where such a payment bears it. Rounded so that paying
    it always settles and one cent less does not: Bs to the cent as due, a foreign amount
    up to the cent (any excess is change, given in Bs). The one place this is computed:
    the hold, the quote and every reserved sale answer it; the POS page uses it.
    `breakdown`: the sale with `payments`, when the caller has just calculated it."""
    if breakdown is None:
        breakdown = calculate(lines=lines, payments=payments, sale_currency=sale_currency,
                              rate=rate, rates=rates, prices_include_tax=prices_include_tax)
    due = {LEGAL_CURRENCY: max(breakdown.balance_ves, Decimal("0.00"))}
    if sale_currency == LEGAL_CURRENCY:
        return due
    if breakdown.is_paid_in_full:
        due[sale_currency] = Decimal("0.00")
        return due

    def settles(amount: Decimal) -> bool:
        # What `calculate` would answer with this payment on top: the lines are as they
        # were, only the payments' sums and the IGTF move.
        paid, foreign_paid = _paid(
            [PaymentInput(method="cash", currency=sale_currency, amount=amount)], rate=rate)
        _, amount_due = _amount_due(breakdown.total_ves,
                                    breakdown.foreign_paid_ves + foreign_paid, rates.igtf)
        return breakdown.paid_ves + paid >= amount_due

    # The balance left is monotone in the amount paid. Paying less than the balance's
    # value never settles (IGTF only grows); paying it grossed up by IGTF on every unit
    # nearly always does (the cap and the roundings decide the last cents). Search the
    # least cent in between.
    balance = breakdown.balance_ves
    unreached = max((balance / rate).quantize(CENT, rounding=ROUND_FLOOR) - CENT,
                    Decimal("0.00"))
    untaxed_share = 1 - rates.igtf / HUNDRED
    gross = balance / rate / untaxed_share if untaxed_share > 0 else balance / rate
    enough = max(gross.quantize(CENT, rounding=ROUND_CEILING), CENT)
    while not settles(enough):
        unreached, enough = enough, enough * 2
    if enough - CENT > unreached and not settles(enough - CENT):
        return {**due, sale_currency: enough}  # the usual case: the estimate is the answer
    while enough - unreached > CENT:
        middle = ((unreached + enough) / 2).quantize(CENT, rounding=ROUND_FLOOR)
        if settles(middle):
            enough = middle
        else:
            unreached = middle
    due[sale_currency] = enough
    return due


@dataclass(frozen=True)
class CreditRequest:
    """`quantity` units of an invoice line to credit, `credited_before` of them having
    been credited by earlier notes."""

    line: LineAmounts  # the invoice line as issued
    quantity: int
    credited_before: int = 0


def _cumulative_share(amount: Decimal, part: int, whole: int) -> Decimal:
    return to_cents(amount * part / whole)


def credit(
    *,
    requests: Sequence[CreditRequest],
    sale_currency: str,
    rate: Decimal,
    rates: TaxRates,
    invoice_total_ves: Decimal,
    invoice_igtf_ves: Decimal,
    credited_total_before_ves: Decimal = Decimal("0.00"),
    igtf_credited_before_ves: Decimal = Decimal("0.00"),
) -> TaxBreakdown:
    """A credit note's figures, taken from the invoice's own amounts (never recomputed at
    today's rates). Shares are cumulative: the first m units of a line are worth
    round(amount × m / quantity), ROUND_HALF_UP, and a note takes the difference between
    after and before it. So however an invoice is credited, in one note or unit by unit,
    no note is negative and all of them add up to the invoice to the cent. The IGTF charged
    on the invoice comes back the same way, in proportion of the total credited."""
    if not requests:
        raise TaxCalculationError("A credit note needs at least one line.")
    amounts = []
    for req in requests:
        line = req.line
        left = line.quantity - req.credited_before
        if not 1 <= req.quantity <= left:
            raise TaxCalculationError(
                f"Line {line.description!r}: {req.quantity} to credit, {left} left on the "
                "invoice."
            )
        before, after = req.credited_before, req.credited_before + req.quantity

        def part(amount: Decimal, before: int = before, after: int = after,
                 whole: int = line.quantity) -> Decimal:
            return (_cumulative_share(amount, after, whole)
                    - _cumulative_share(amount, before, whole))

        amounts.append(LineAmounts(
            description=line.description, quantity=req.quantity, unit_price=line.unit_price,
            tax_category=line.tax_category, iva_rate=line.iva_rate,
            base_ves=part(line.base_ves), iva_ves=part(line.iva_ves),
            municipal_ves=part(line.municipal_ves),
        ))
    exempt, buckets, base_total, iva_total, municipal = _summarise(amounts, rates)
    total = base_total + exempt + iva_total + municipal
    igtf = Decimal("0.00")
    if invoice_total_ves > 0:
        credited_after = credited_total_before_ves + total
        igtf = (to_cents(invoice_igtf_ves * credited_after / invoice_total_ves)
                - igtf_credited_before_ves)
    return TaxBreakdown(
        sale_currency=sale_currency, exchange_rate=rate, lines=tuple(amounts), buckets=buckets,
        exempt_ves=exempt, base_total_ves=base_total, iva_total_ves=iva_total,
        municipal_ves=municipal, total_ves=total, foreign_paid_ves=Decimal("0.00"),
        igtf_ves=igtf, amount_due_ves=total + igtf,
        paid_ves=Decimal("0.00"), balance_ves=total + igtf,
    )


def in_currency(amount_ves: Decimal, *, currency: str, rate: Decimal) -> Decimal:
    """A Bs amount in `currency` at `rate` (Bs per unit), rounded to cents."""
    if currency == LEGAL_CURRENCY:
        return amount_ves
    return to_cents(amount_ves / rate)
