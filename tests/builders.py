"""Small builders for test data, used inside a tenant schema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

from django.contrib.auth import get_user_model
from django.utils import timezone

from fiscal.models import ExchangeRate
from fiscal.selectors import fiscal_day
from fiscal.services import set_up_issuer
from sales.models import Event, Seat, Venue, Zone
from sales.services import create_seats_in_rows

_names = count(1)


@dataclass
class EventSetup:
    event: Event
    zone: Zone
    ga_zone: Zone | None
    seats: dict[str, Seat]

    def ids(self, *labels: str) -> list[int]:
        return [self.seats[label].pk for label in labels]


def make_event(
    *, rows: str = "AB", seats_per_row: int = 5, price: str = "10.00", ga_capacity: int = 0,
    ga_price: str = "5.00", currency: str = "USD", tax_category: str = "general",
) -> EventSetup:
    n = next(_names)
    venue = Venue.objects.create(name=f"Venue {n}")
    event = Event.objects.create(venue=venue, name=f"Event {n}", currency=currency,
                                 starts_at=timezone.now() + timedelta(days=10))
    zone = Zone.objects.create(event=event, name="Platea", price=Decimal(price),
                               tax_category=tax_category)
    seats = create_seats_in_rows(zone=zone, rows=list(rows), seats_per_row=seats_per_row)
    ga_zone = None
    if ga_capacity:
        ga_zone = Zone.objects.create(event=event, name="General", kind=Zone.Kind.GENERAL,
                                      capacity=ga_capacity, price=Decimal(ga_price))
    return EventSetup(event=event, zone=zone, ga_zone=ga_zone,
                      seats={seat.label: seat for seat in seats})


def user(username: str):
    return get_user_model().objects.get(username=username)


def set_rate(rate: str = "100.0000", *, on: date | None = None, currency: str = "USD"):
    ExchangeRate.objects.update_or_create(
        currency=currency, valid_on=on or fiscal_day(), defaults={"rate": Decimal(rate)}
    )


# The issuer every test tenant invoices as (tests/conftest.py get_or_create_tenant).
TEST_ISSUER = {"legal_name": "Teatro de Pruebas, C.A.", "rif": "J-12345678-4",
               "fiscal_address": "Av. Universidad, Caracas"}


def complete_fiscal_profile(**identity: str) -> None:
    """Give the current schema's venue an issuer identity (TEST_ISSUER, or as given):
    without one, checkouts and quotes are refused (409 fiscal_profile_incomplete)."""
    set_up_issuer(**{**TEST_ISSUER, **identity})


def change_tenant_settings(tenant, **changes) -> None:
    """As a venue admin would: through the service, which saves (so every worker drops its
    remembered copy, tenants.identity); a queryset update() would not be seen."""
    from tenants.models import TenantSettings
    from tenants.services import update_tenant_settings

    update_tenant_settings(tenant_settings=TenantSettings.objects.get(tenant=tenant),
                           changes=changes)


def api_hold(client, setup: EventSetup, *labels: str, zones: list | None = None):
    """POST /api/holds/ for seats named by label (and general-admission `zones`)."""
    body = {"event": setup.event.pk, "seat_ids": setup.ids(*labels)}
    if zones:
        body["zones"] = zones
    return client.post("/api/holds/", body, format="json")


def api_hold_id(client, setup: EventSetup, *labels: str, zones: list | None = None) -> int:
    """As api_hold, for a hold that must succeed: its id."""
    response = api_hold(client, setup, *labels, zones=zones)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def payment(method: str, currency: str, amount: str) -> dict[str, str]:
    """One payment as the API takes it; a made-up bank reference where the method needs
    one (sales.models.REFERENCE_REQUIRED)."""
    from sales.models import REFERENCE_REQUIRED

    body = {"method": method, "currency": currency, "amount": amount}
    if method in REFERENCE_REQUIRED:
        body["reference"] = "0102-555123"
    return body


def checkout_body(*payments: tuple[str, str, str], customer: dict | None = None,
                  reserve: bool = True) -> dict:
    """A checkout (or payments) body from (method, currency, amount) triples. `reserve`:
    a balance left is accepted as a reservation (tests of `payment_short` pass False)."""
    body: dict = {"payments": [payment(*p) for p in payments], "reserve": reserve}
    if customer:
        body["customer"] = customer
    return body


def sell_through_api(tenant, setup: EventSetup, *labels: str, zones: list | None = None) -> dict:
    """A completed sale of the seats (and general-admission `zones`) by the tenant's
    cashier through the API, paid in Bs: the sale as answered."""
    from django_tenants.utils import tenant_context

    from reservations.models import ReservedTicket
    from sales.checkout.services import hold_quote
    from sales.models import Transaction
    from tests.conftest import api_client

    cashier = api_client(tenant, "cashier")
    hold_id = api_hold_id(cashier, setup, *labels, zones=zones)
    with tenant_context(tenant.tenant):
        due = hold_quote(
            Transaction.objects.get(pk=hold_id),
            list(ReservedTicket.objects.filter(transaction_id=hold_id)),
        ).breakdown.amount_due_ves
    paid = cashier.post(f"/api/holds/{hold_id}/checkout/",
                        checkout_body(("pago_movil", "VES", str(due))), format="json")
    assert paid.status_code == 200, paid.json()
    return paid.json()["transaction"]
