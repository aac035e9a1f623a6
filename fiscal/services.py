"""Fiscal actions the sales flow calls: quoting a sale in Bs and dollars."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fiscal.errors import InvalidPayment
from fiscal.selectors import LEGAL_CURRENCY, exchange_rate, fiscal_day, fiscal_profile
from fiscal.taxes import (
    Line,
    PaymentInput,
    TaxBreakdown,
    TaxCalculationError,
    TaxCategory,
    TaxRates,
    calculate,
)


def tax_rates() -> TaxRates:
    profile = fiscal_profile()
    return TaxRates(
        iva_general=profile.iva_general,
        iva_reduced=profile.iva_reduced,
        iva_luxury_surcharge=profile.iva_luxury_surcharge,
        igtf=profile.igtf,
        municipal=profile.municipal_tax,
    )


def quote_sale(
    *,
    sale_currency: str,
    lines: Sequence[Line],
    payments: Sequence[PaymentInput],
    at: datetime,
) -> tuple[TaxBreakdown, dict[str, object]]:
    """Taxes, IGTF and amount due for these lines and payments, at the BCV rate of the
    fiscal day of `at`. Returns the breakdown and the rate used (for the record)."""
    profile = fiscal_profile()
    foreign = {sale_currency} | {p.currency for p in payments}
    foreign.discard(LEGAL_CURRENCY)
    if len(foreign) > 1:
        raise InvalidPayment(
            f"Payments must be in {LEGAL_CURRENCY} or {sale_currency}; "
            f"got {', '.join(sorted(foreign))}."
        )
    currency = next(iter(foreign), LEGAL_CURRENCY)
    day = fiscal_day(at)
    rate = exchange_rate(currency=currency, on_day=day, max_age_days=profile.max_rate_age_days)
    try:
        breakdown = calculate(
            lines=lines, payments=payments, sale_currency=sale_currency, rate=rate,
            rates=tax_rates(), prices_include_tax=profile.prices_include_tax,
        )
    except TaxCalculationError as exc:
        raise InvalidPayment(str(exc)) from exc
    return breakdown, {"currency": currency, "rate": rate, "fiscal_day": day}


__all__ = ["Line", "PaymentInput", "TaxCategory", "quote_sale", "tax_rates"]
