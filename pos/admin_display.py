"""Admin columns that print an amount as the page and the documents do (pos.formatting):
`Bs. 5.220,00` / `USD 58,00` in Spanish, `Bs 5,220.00` in English."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from django.contrib import admin

from pos.formatting import format_money, format_rate


def money_column(field: str, *, currency: str | None = None,
                 currency_field: str | None = None,
                 description: str | None = None) -> Callable[[Any], str]:
    """A list_display / readonly_fields entry: the amount at `field` (a dotted path), in
    the fixed `currency` or the one at `currency_field`."""
    amount_of = attrgetter(field)
    currency_of = attrgetter(currency_field) if currency_field else (lambda obj: currency)

    @admin.display(description=description or field.split(".")[-1].replace("_", " "),
                   ordering=field.replace(".", "__"))
    def column(obj: Any) -> str:
        amount = amount_of(obj)
        return "—" if amount is None else format_money(amount, currency_of(obj))

    return column


def rate_column(field: str, *, description: str | None = None) -> Callable[[Any], str]:
    """An exchange rate in Bs, with its four decimals."""

    @admin.display(description=description or field.replace("_", " "), ordering=field)
    def column(obj: Any) -> str:
        value = getattr(obj, field)
        return "—" if value is None else format_rate(value)

    return column
