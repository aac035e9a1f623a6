"""The audit trail: every state change of a hold, a transaction and a payment says who,
when, from which state to which and why, in GET /api/transactions/{id}/ and in the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from reservations.models import StatusChange
from reservations.services import expire_stale_holds, extend_reservations
from tests.builders import make_event, set_rate
from tests.conftest import api_client

PART = {"reserve": True,
        "payments": [{"method": "pago_movil", "currency": "VES", "amount": "500.00",
                      "reference": "0102-555123"}]}
REST = {"payments": [{"method": "pago_movil", "currency": "VES", "amount": "1820.00",
                      "reference": "0102-555123"}]}


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate()
        return make_event(rows="A", seats_per_row=5)


def history(client, tx_id) -> list[tuple]:
    body = client.get(f"/api/transactions/{tx_id}/").json()
    return [(h["subject"], h["from_status"], h["to_status"], h["reason"], h["actor"])
            for h in body["history"]]


def test_a_sale_from_hold_to_paid_off_is_in_the_history(cashier, setup, alpha):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        tx = cashier.post("/api/holds/", {"event": setup.event.pk,
                                          "seat_ids": setup.ids("A1", "A2")},
                          format="json").json()["id"]
        assert cashier.post(f"/api/holds/{tx}/extend/").status_code == 200
        assert cashier.post(f"/api/holds/{tx}/checkout/", PART, format="json") \
            .json()["transaction"]["status"] == "reserved"
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        with tenant_context(alpha.tenant):
            set_rate()
        paid = cashier.post(f"/api/transactions/{tx}/payments/", REST, format="json")
        assert paid.json()["transaction"]["status"] == "completed", paid.json()
    rows = history(cashier, tx)
    user = ("user", "cashier")
    assert rows == [
        ("transaction", "", "pending", *user),
        ("reserved_ticket", "", "active", *user),
        ("reserved_ticket", "", "active", *user),
        ("transaction", "pending", "pending", *user),  # extended
        ("payment", "", "received", *user),
        ("transaction", "pending", "reserved", *user),
        ("payment", "", "received", *user),
        ("reserved_ticket", "active", "completed", *user),
        ("reserved_ticket", "active", "completed", *user),
        ("transaction", "reserved", "completed", *user),
    ]
    detail = cashier.get(f"/api/transactions/{tx}/").json()["history"]
    assert detail[3]["note"].startswith("hold extended until")
    assert detail[5]["note"].startswith("partly paid; pay by")
    assert detail[4]["note"] == "500.00 VES pago_movil ref 0102-555123"
    assert all(h["created_at"] for h in detail)


def test_release_records_the_cashier_and_expiry_records_the_job(cashier, setup, alpha):
    released = cashier.post("/api/holds/", {"event": setup.event.pk,
                                            "seat_ids": setup.ids("A1")},
                            format="json").json()["id"]
    cashier.delete(f"/api/holds/{released}/")
    assert history(cashier, released)[-2:] == [
        ("reserved_ticket", "active", "cancelled", "user", "cashier"),
        ("transaction", "pending", "cancelled", "user", "cashier"),
    ]
    expired = cashier.post("/api/holds/", {"event": setup.event.pk,
                                           "seat_ids": setup.ids("A2")},
                           format="json").json()["id"]
    with tenant_context(alpha.tenant):
        expire_stale_holds(now=timezone.now() + timedelta(minutes=11))
    assert history(cashier, expired)[-2:] == [
        ("reserved_ticket", "active", "expired", "expiry", None),
        ("transaction", "pending", "expired", "expiry", None),
    ]


def test_a_seat_taken_over_from_a_stale_hold_says_so(cashier, setup, alpha):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        stale = cashier.post("/api/holds/", {"event": setup.event.pk,
                                             "seat_ids": setup.ids("A3")},
                             format="json").json()["id"]
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        other = api_client(alpha, "cashier2")
        assert other.post("/api/holds/", {"event": setup.event.pk,
                                          "seat_ids": setup.ids("A3")},
                          format="json").status_code == 201
    assert ("reserved_ticket", "active", "expired", "stale_on_hold", None) in history(
        cashier, stale)


def test_bulk_extension_is_recorded_with_its_operator(cashier, setup, alpha):
    tx = cashier.post("/api/holds/", {"event": setup.event.pk, "seat_ids": setup.ids("A4")},
                      format="json").json()["id"]
    cashier.post(f"/api/holds/{tx}/checkout/", PART, format="json")
    with tenant_context(alpha.tenant):
        operator = get_user_model().objects.get(username="operator")
        extend_reservations(hours=24, actor=operator)
    assert history(cashier, tx)[-1] == ("transaction", "reserved", "reserved",
                                        "bulk_extension", "operator")


def test_the_admin_shows_the_history_and_records_admin_releases(cashier, setup, alpha):
    tx = cashier.post("/api/holds/", {"event": setup.event.pk, "seat_ids": setup.ids("A5")},
                      format="json").json()["id"]
    admin = api_client(alpha)
    with schema_context(alpha.schema):
        admin.force_login(get_user_model().objects.get(username="admin"))
        item = StatusChange.objects.filter(transaction_id=tx,
                                           subject="reserved_ticket").first().subject_id
    released = admin.post("/admin/reservations/reservedticket/", {
        "action": "release_selected", "_selected_action": [item]})
    assert released.status_code == 302
    assert history(cashier, tx)[-1] == ("transaction", "pending", "cancelled", "admin",
                                        "admin")
    page = admin.get(f"/admin/sales/transaction/{tx}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "history (audit trail)" in text.lower()
    assert "cancelled" in text and "By a user" in text and "Admin action" in text
    listing = admin.get("/admin/reservations/statuschange/", {"transaction__id": tx})
    assert listing.status_code == 200
