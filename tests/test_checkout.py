"""Checkout and partial payments through the API, with the fiscal amount due."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tenants.utils import tenant_context

from fiscal.models import ExchangeRate
from reservations.models import ReservedTicket
from sales.models import Payment, Ticket, Transaction
from tests.builders import api_hold_id as hold
from tests.builders import checkout_body, make_event, set_rate
from tests.conftest import api_client


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate("100.0000")
        return make_event(rows="AB", seats_per_row=5, price="10.00", ga_capacity=5)


def pay(client, hold_id, *payments, customer=None):
    body = checkout_body(*payments, customer=customer)
    return client.post(f"/api/holds/{hold_id}/checkout/", body, format="json")


def seat_state(client, setup, label):
    body = client.get(f"/api/events/{setup.event.pk}/availability/").json()
    return next(s["state"] for s in body["seats"] if s["label"] == label)


def test_checkout_paid_in_full_completes_and_issues_tickets(cashier, setup, alpha):
    hold_id = hold(cashier, setup, "A1")
    response = pay(cashier, hold_id, ("cash", "USD", "11.95"),
                   customer={"name": "María Pérez", "tax_id": "V-12345678"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["transaction"]["status"] == "completed"
    assert body["breakdown"]["amount_due_ves"] == "1194.80"
    assert len(body["transaction"]["tickets"]) == 1
    assert body["transaction"]["tickets"][0]["label"] == "A1"
    assert seat_state(api_client(alpha, "cashier2"), setup, "A1") == "sold"
    assert ReservedTicket.objects.get(transaction_id=hold_id).status == "completed"


def test_checkout_repeated_returns_the_same_sale(cashier, setup):
    hold_id = hold(cashier, setup, "A2")
    first = pay(cashier, hold_id, ("pago_movil", "VES", "1160.00"))
    again = pay(cashier, hold_id, ("pago_movil", "VES", "1160.00"))
    assert first.json()["transaction"]["status"] == again.json()["transaction"]["status"] == (
        "completed")
    assert again.json()["replayed"] is True
    assert Payment.objects.filter(transaction_id=hold_id).count() == 1
    assert Ticket.objects.filter(transaction_id=hold_id).count() == 1


def test_partial_payment_reserves_until_deadline_then_paid_off_completes(cashier, setup):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        hold_id = hold(cashier, setup, "A3", zones=[{"zone": setup.ga_zone.pk, "quantity": 2}])
        partial = pay(cashier, hold_id, ("cash", "USD", "5.00"))
        assert partial.status_code == 200
        tx = partial.json()["transaction"]
        assert tx["status"] == "reserved"
        deadline = timezone.datetime.fromisoformat(tx["payment_deadline"])
        assert deadline - start == timedelta(hours=72)
    with time_machine.travel(start + timedelta(hours=71), tick=False):
        assert seat_state(cashier, setup, "A3") == "reserved_partial"
        # 20 USD of tickets + IVA 16 % = 2,320.00 Bs; 5 USD paid (IGTF 15.00 on it).
        rest = cashier.post(f"/api/transactions/{hold_id}/payments/", {"payments": [
            {"method": "pago_movil", "currency": "VES", "amount": "1835.00",
             "reference": "0102-555123"}]}, format="json")
        assert rest.status_code == 200, rest.json()
        assert rest.json()["transaction"]["status"] == "completed"
        assert len(rest.json()["transaction"]["tickets"]) == 3
        assert seat_state(cashier, setup, "A3") == "sold"


def test_partial_payment_past_its_deadline_is_410_and_frees_the_seat(cashier, setup, alpha):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        hold_id = hold(cashier, setup, "A4")
        assert pay(cashier, hold_id, ("cash", "USD", "2.00")).json()[
            "transaction"]["status"] == "reserved"
    with time_machine.travel(start + timedelta(hours=72, seconds=1), tick=False):
        ExchangeRate.objects.all().delete()
        set_rate("100.0000")
        late = cashier.post(f"/api/transactions/{hold_id}/payments/", {"payments": [
            {"method": "cash", "currency": "USD", "amount": "20.00"}]}, format="json")
        assert late.status_code == 410
        assert seat_state(api_client(alpha, "cashier2"), setup, "A4") == "available"


def test_foreign_currency_sale_without_a_rate_is_refused_clearly(cashier, setup, alpha):
    hold_id = hold(cashier, setup, "B1")
    ExchangeRate.objects.all().delete()
    # Rates on file, none recent enough (with none at all: fiscal_profile_incomplete).
    set_rate("100.0000", on=timezone.localdate() - timedelta(days=30))
    response = pay(cashier, hold_id, ("cash", "USD", "20.00"))
    assert response.status_code == 409
    assert response.json()["code"] == "exchange_rate_missing"
    assert "No USD exchange rate for" in response.json()["detail"]
    assert Transaction.objects.get(pk=hold_id).status == "pending"


def test_payments_on_a_pending_hold_are_refused(cashier, setup):
    hold_id = hold(cashier, setup, "B2")
    response = cashier.post(f"/api/transactions/{hold_id}/payments/", {"payments": [
        {"method": "cash", "currency": "USD", "amount": "1.00"}]}, format="json")
    assert response.status_code == 409


@pytest.mark.parametrize(
    "payments",
    [
        [],
        [{"method": "bitcoin", "currency": "USD", "amount": "1.00"}],
        [{"method": "cash", "currency": "XYZ", "amount": "1.00"}],
        [{"method": "cash", "currency": "USD", "amount": "-1.00"}],
        [{"method": "cash", "currency": "USD", "amount": "0"}],
        [{"method": "cash", "currency": "USD", "amount": "1e400"}],
        [{"method": "cash", "currency": "USD", "amount": "abc"}],
        [{"method": "cash", "currency": "USD"}],
        "cash",
    ],
)
def test_bad_payments_are_400_and_change_nothing(cashier, setup, payments):
    hold_id = hold(cashier, setup, "B3")
    response = cashier.post(f"/api/holds/{hold_id}/checkout/", {"payments": payments},
                            format="json")
    assert response.status_code == 400
    assert Transaction.objects.get(pk=hold_id).status == "pending"
    assert not Payment.objects.filter(transaction_id=hold_id).exists()


def test_quote_shows_the_amount_due_and_changes_nothing(cashier, setup):
    hold_id = hold(cashier, setup, "B4")
    response = cashier.post(f"/api/holds/{hold_id}/quote/", {"payments": [
        {"method": "cash", "currency": "USD", "amount": "5.00"}]}, format="json")
    assert response.status_code == 200
    assert response.json()["total_ves"] == "1160.00"
    assert response.json()["igtf_ves"] == "15.00"
    assert Transaction.objects.get(pk=hold_id).status == "pending"


def test_transactions_list_and_detail_with_history(cashier, setup, alpha):
    hold_id = hold(cashier, setup, "B5")
    pay(cashier, hold_id, ("pago_movil", "VES", "1160.00"))
    listed = cashier.get("/api/transactions/").json()["results"]
    assert hold_id in [t["id"] for t in listed]
    detail = cashier.get(f"/api/transactions/{hold_id}/").json()
    assert detail["status"] == "completed"
    assert [p["method"] for p in detail["payments"]] == ["pago_movil"]
    assert [(h["subject"], h["to_status"]) for h in detail["history"]
            if h["subject"] == "transaction"] == [("transaction", "pending"),
                                                  ("transaction", "completed")]
    assert api_client(alpha, "cashier2").get(f"/api/transactions/{hold_id}/").status_code == 404


def test_checkout_answer_costs_the_same_queries_for_one_seat_or_four(cashier, setup):
    """The answer shows every ticket, item and audit row: read together, never one query
    per ticket or per row (that made a 4-seat checkout the slowest call under load)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    # The first sale also creates the invoice series: compare the two after it.
    for labels in (["A5"], ["A1"], ["B1", "B2", "B3", "B4"]):
        hold_id = hold(cashier, setup, *labels)
        due = f"{11.95 * len(labels) + 0.05:.2f}"
        with CaptureQueriesContext(connection) as ctx:
            response = pay(cashier, hold_id, ("cash", "USD", due))
        assert response.status_code == 200, response.json()
        assert [t["label"] for t in response.json()["transaction"]["tickets"]] == labels
        counts.append(len(ctx.captured_queries))
    assert counts[1] == counts[2]


def test_a_partly_paid_reservation_has_its_own_seat_state_for_every_terminal(
        cashier, cashier2, setup):
    """A 72-hour reservation is drawn apart from a 10-minute hold (issue 17): its own state
    in the availability answer, for its cashier and for everyone else; the poller's ETag
    changes when a hold becomes a reservation."""
    url = f"/api/events/{setup.event.pk}/availability/"
    hold_id = hold(cashier, setup, "B1")
    hold(cashier, setup, "B2")
    before = cashier2.get(url)
    assert (seat_state(cashier2, setup, "B1"), seat_state(cashier, setup, "B1")) == (
        "reserved", "reserved_by_me")
    assert pay(cashier, hold_id, ("cash", "USD", "5.00")).json()["transaction"][
        "status"] == "reserved"
    assert cashier2.get(url, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200
    for client in (cashier, cashier2):
        assert seat_state(client, setup, "B1") == "reserved_partial"
    # The other hold is still a hold.
    assert (seat_state(cashier2, setup, "B2"), seat_state(cashier, setup, "B2")) == (
        "reserved", "reserved_by_me")
