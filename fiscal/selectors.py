"""Reads of fiscal data: the profile and the exchange rate of a fiscal day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from fiscal.errors import ExchangeRateMissing
from fiscal.models import ExchangeRate, FiscalProfile

FISCAL_TZ = ZoneInfo("America/Caracas")
LEGAL_CURRENCY = "VES"


def fiscal_day(moment: datetime | None = None) -> date:
    """The fiscal day of a moment: its date in America/Caracas."""
    return (moment or timezone.now()).astimezone(FISCAL_TZ).date()


def fiscal_profile() -> FiscalProfile:
    profile, _ = FiscalProfile.objects.get_or_create(pk=1)
    return profile


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
