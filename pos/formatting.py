"""How amounts and times read, in one place: the POS page (through `page_format`, which
pos/static/pos/format.js follows), the printed documents and tickets, the admin.

Numbers use the locale's symbols and grouping from Babel (CLDR): Spanish is Venezuela's
`5.220,00`, English `5,220.00`. An amount prints with its currency's label in front
(`Bs. 5.220,00`, `USD 58,00`; `Bs 5,220.00` in English) and is never rounded: a money
amount has two decimals, and one with more prints them all rather than hide a digit.
Times print in the venue's clock, the tenant's `time_zone` setting."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from django.utils import translation

from tenants.services import current_time_zone

# The page's languages (settings.LANGUAGES) and the CLDR locale each one prints with.
LOCALES = {"es": "es_VE", "en": "en_US"}
DEFAULT_LANGUAGE = "es"
# The bolívar's label as the venue writes it; any other currency prints its ISO code.
CURRENCY_LABELS = {"es": {"VES": "Bs."}, "en": {"VES": "Bs"}}
AMOUNT_PATTERN = "#,##0.00"
RATE_PATTERN = "#,##0.0000"
# Fiscal documents and tickets are in Spanish whatever the cashier's language.
DOCUMENT_LANGUAGE = "es"
DOCUMENT_DATE = "dd/MM/yyyy"
DOCUMENT_TIME = "HH:mm:ss"
DOCUMENT_DATETIME = "dd/MM/yyyy HH:mm"
# The page's and the admin's: a 24-hour clock as on the tickets (es_VE's own is 12-hour).
# pos/static/pos/format.js composes the same words in the same order.
DATETIME_PATTERN = "d MMM y, HH:mm"
TIME_PATTERN = "HH:mm"


def _language(locale: str | None) -> str:
    """`es`, `es-ve`, `es_VE`, `en-us` → the page language; None: the active one."""
    code = (locale or translation.get_language() or DEFAULT_LANGUAGE).replace("_", "-")
    language = code.split("-")[0].lower()
    return language if language in LOCALES else DEFAULT_LANGUAGE


@cache
def _babel_locale(language: str) -> Locale:
    return Locale.parse(LOCALES[language])


def _decimal(amount: Decimal | str | int) -> Decimal:
    # A float would already have lost the cents it was meant to carry.
    if isinstance(amount, float | bool) or not isinstance(amount, Decimal | str | int):
        raise TypeError(f"amounts are Decimal or str, not {type(amount).__name__}")
    try:
        value = Decimal(amount)
    except ArithmeticError as exc:  # decimal.InvalidOperation: "12,50", "EUR"
        raise ValueError(f"not an amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount: {amount!r}")
    return value


def format_number(amount: Decimal | str | int, locale: str | None = None, *,
                  pattern: str = AMOUNT_PATTERN) -> str:
    """5220 → `5.220,00` (es) / `5,220.00` (en): the locale's grouping and symbols, at
    least the pattern's decimals, never rounded."""
    return babel_numbers.format_decimal(
        _decimal(amount), format=pattern, locale=_babel_locale(_language(locale)),
        decimal_quantization=False)


def currency_label(currency: str, locale: str | None = None) -> str:
    return CURRENCY_LABELS[_language(locale)].get(currency, currency)


def format_money(amount: Decimal | str | int, currency: str, locale: str | None = None) -> str:
    """`Bs. 5.220,00` / `USD 58,00` (es), `Bs 5,220.00` / `USD 58.00` (en)."""
    return f"{currency_label(currency, locale)} {format_number(amount, locale)}"


def format_rate(rate: Decimal | str, locale: str | None = None) -> str:
    """An exchange rate, with its four decimals: `36,2500`."""
    return format_number(rate, locale, pattern=RATE_PATTERN)


def venue_time(moment: datetime, time_zone: ZoneInfo | None = None) -> datetime:
    """The instant on the venue's clock (the tenant's time zone unless one is given)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime names no instant")
    return moment.astimezone(time_zone or current_time_zone())


def format_datetime(moment: datetime | str, locale: str | None = None, *,
                    pattern: str = DATETIME_PATTERN, time_zone: ZoneInfo | None = None) -> str:
    """The instant on the venue's clock, in the locale's words: `20 dic. 2026, 20:00`, or
    another CLDR pattern such as `dd/MM/yyyy HH:mm`. Accepts the API's ISO 8601
    strings."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    local = venue_time(moment, time_zone)
    return babel_dates.format_datetime(local, format=pattern, tzinfo=local.tzinfo,
                                       locale=_babel_locale(_language(locale)))


def format_document_datetime(moment: datetime | str) -> str:
    """Dates on fiscal documents and tickets: `20/12/2026 20:00`, the venue's clock."""
    return format_datetime(moment, DOCUMENT_LANGUAGE, pattern=DOCUMENT_DATETIME)


def page_format(locale: str | None = None) -> dict[str, Any]:
    """What pos/static/pos/format.js needs to print exactly as `format_money` does: the
    locale's symbols from Babel, the currency labels, the venue's time zone."""
    language = _language(locale)
    babel_locale = _babel_locale(language)
    return {
        "locale": LOCALES[language].replace("_", "-"),
        "decimal": babel_numbers.get_decimal_symbol(babel_locale),
        "group": babel_numbers.get_group_symbol(babel_locale),
        "minus": babel_numbers.get_minus_sign_symbol(babel_locale),
        "groupSize": babel_numbers.parse_pattern(AMOUNT_PATTERN).grouping[0],
        "currencyLabels": CURRENCY_LABELS[language],
        # DATETIME_PATTERN's month words (1-12), from the same CLDR data.
        "months": [babel_locale.months["format"]["abbreviated"][n] for n in range(1, 13)],
        "timeZone": current_time_zone().key,
    }
