"""Builders for the reservation-jobs tests (used inside a tenant schema): holds, partial
payment reservations and refused hold attempts made through the real services."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from fiscal.taxes import PaymentInput
from reservations import services
from reservations.errors import SeatsUnavailable
from sales.checkout import services as sales_services
from sales.models import Transaction
from tests.builders import EventSetup, user


def hold(setup: EventSetup, *labels: str, by: str = "cashier",
         now: datetime | None = None) -> Transaction:
    return services.hold_seats(user=user(by), event_id=setup.event.pk,
                               seat_ids=setup.ids(*labels), now=now or timezone.now())


def reserve(setup: EventSetup, *labels: str, by: str = "cashier",
            now: datetime | None = None) -> Transaction:
    """A partial-payment reservation: held, then paid half of what is due, in dollars."""
    now = now or timezone.now()
    tx = hold(setup, *labels, by=by, now=now)
    due = sales_services.quote_hold(user=user(by), transaction_id=tx.pk, now=now).amounts_due
    result = sales_services.checkout_hold(
        user=user(by), transaction_id=tx.pk, now=now, reserve=True,
        payments=[PaymentInput(method="cash", currency="USD",
                               amount=(due["USD"] / 2).quantize(Decimal("0.01")))],
    )
    assert result.transaction.status == Transaction.Status.RESERVED
    return result.transaction


def refused(setup: EventSetup, *labels: str, by: str = "cashier2",
            now: datetime | None = None) -> None:
    """A hold attempt that must be refused (409) because the seats are taken."""
    try:
        hold(setup, *labels, by=by, now=now)
    except SeatsUnavailable:
        return
    raise AssertionError(f"holding {labels} should have been refused")
