"""Demo data for the demo tenant: a venue, an upcoming event with 120 numbered seats in
rows A–J and a general-admission zone, prices, a fiscal identity and today's rate."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fiscal.models import ExchangeRate
from fiscal.selectors import fiscal_day, fiscal_profile, missing_issuer_fields
from fiscal.services import set_up_issuer
from sales.models import Event, Venue, Zone
from sales.services import create_seats_in_rows

DEMO_RATE = Decimal("100.0000")  # a round demo figure, not a real BCV rate
DEMO_ISSUER = {"legal_name": "Teatro Demo, C.A.", "rif": "J-12345678-4",
               "fiscal_address": "Av. Urdaneta, Caracas, Distrito Capital"}


@transaction.atomic
def ensure_demo_catalogue() -> Event:
    # Fills only what is blank: a venue admin's own changes to the demo stay.
    blank = missing_issuer_fields(fiscal_profile())
    set_up_issuer(**{name: value for name, value in DEMO_ISSUER.items() if name in blank})
    ExchangeRate.objects.get_or_create(
        currency="USD", valid_on=fiscal_day(), defaults={"rate": DEMO_RATE, "source": "demo"}
    )
    venue, _ = Venue.objects.get_or_create(
        name="Teatro Demo", defaults={"address": "Av. Urdaneta", "city": "Caracas"}
    )
    event, created = Event.objects.get_or_create(
        venue=venue, name="Concierto de Gala",
        defaults={"starts_at": timezone.now() + timedelta(days=30), "currency": "USD"},
    )
    if created:
        platea = Zone.objects.create(event=event, name="Platea", kind=Zone.Kind.NUMBERED,
                                     price=Decimal("25.00"))
        create_seats_in_rows(zone=platea, rows=list("ABCDEFGHIJ"), seats_per_row=12)
        Zone.objects.create(event=event, name="Balcón", kind=Zone.Kind.GENERAL, capacity=200,
                            price=Decimal("10.00"))
    return event
