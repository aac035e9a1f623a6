"""Domain events (pos.domain_events): what e-mail and webhooks listen to. Each is told
once, after commit, with its tenant's schema; nothing is told of a change that was
refused or rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from pos import domain_events
from reservations import services as hold_services
from tests.builders import api_hold_id as hold
from tests.builders import make_event, payment, sell_through_api, set_rate
from tests.conftest import api_client


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate()
        return make_event(rows="A", seats_per_row=6, ga_capacity=10)


@pytest.fixture
def told() -> Iterator[list[tuple[str, str, dict]]]:
    """(name, schema, data) of every event told, in order."""
    heard: list[tuple[str, str, dict]] = []

    def listen(sender, *, name, schema_name, data, occurred_at, **kwargs):
        heard.append((name, schema_name, data))

    domain_events.domain_event.connect(listen, dispatch_uid="test-listener")
    yield heard
    domain_events.domain_event.disconnect(dispatch_uid="test-listener")


def checkout(client, hold_id: int, amount: str, *, reserve: bool = False):
    return client.post(f"/api/holds/{hold_id}/checkout/",
                       {"payments": [payment("pago_movil", "VES", amount)],
                        "reserve": reserve}, format="json")


def reserve(client, hold_id: int):
    answer = checkout(client, hold_id, "1000.00", reserve=True)
    assert answer.status_code == 200, answer.json()
    return answer.json()["transaction"]


def test_a_sale_is_told_once_after_commit_with_its_tenant(
        alpha, setup, cashier, told, django_capture_on_commit_callbacks):
    hold_id = hold(cashier, setup, "A1")
    due = cashier.get(f"/api/holds/{hold_id}/").json()["amounts_due"]["VES"]
    with django_capture_on_commit_callbacks(execute=False) as pending:
        assert checkout(cashier, hold_id, due).status_code == 200
    assert told == []  # nothing before the commit
    for callback in pending:
        callback()
    assert told == [("sale.completed", "alpha", {"transaction_id": hold_id})]
    # The same checkout sent again answers the sale and tells nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        assert checkout(cashier, hold_id, due).status_code == 200
    assert len(told) == 1


def test_a_refused_checkout_tells_nothing(alpha, setup, cashier, told,
                                         django_capture_on_commit_callbacks):
    hold_id = hold(cashier, setup, "A2")
    with django_capture_on_commit_callbacks(execute=True):
        short = checkout(cashier, hold_id, "1.00")
    assert short.status_code == 400 and short.json()["code"] == "payment_short"
    assert told == []


def test_a_rolled_back_change_tells_nothing(alpha, setup, told,
                                           django_capture_on_commit_callbacks):
    with tenant_context(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                domain_events.emit(domain_events.SALE_COMPLETED, transaction_id=1)
                raise RuntimeError("the sale failed after all")
        except RuntimeError:
            pass
    assert told == []


def test_reservation_created_then_paid_off_is_a_sale(alpha, setup, cashier, told,
                                                     django_capture_on_commit_callbacks):
    hold_id = hold(cashier, setup, "A3")
    with django_capture_on_commit_callbacks(execute=True):
        reserved = reserve(cashier, hold_id)
    rest = reserved["amounts_due"]["VES"]
    with django_capture_on_commit_callbacks(execute=True):
        paid = cashier.post(f"/api/transactions/{hold_id}/payments/",
                            {"payments": [payment("pago_movil", "VES", rest)]},
                            format="json")
    assert paid.status_code == 200, paid.json()
    assert [name for name, _, _ in told] == ["reservation.created", "sale.completed"]
    assert {data["transaction_id"] for _, _, data in told} == {hold_id}


def test_a_lapsed_reservation_is_told_by_the_expiry_job(
        alpha, setup, cashier, told, django_capture_on_commit_callbacks):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        hold_id = hold(cashier, setup, "A4")
        reserve(cashier, hold_id)
        pending_hold = hold(cashier, setup, "A5")  # a plain hold lapses too: not told
    told.clear()
    with (time_machine.travel(start + timedelta(hours=73), tick=False),
          tenant_context(alpha.tenant), django_capture_on_commit_callbacks(execute=True)):
        result = hold_services.expire_stale_holds()
    assert result["transactions_expired"] == 2
    assert told == [("reservation.expired", "alpha", {"transaction_id": hold_id})]
    assert pending_hold != hold_id


def test_a_lapsed_reservation_is_told_when_a_hold_claims_its_seat_first(
        alpha, setup, cashier, told, django_capture_on_commit_callbacks):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        hold_id = hold(cashier, setup, "A6")
        reserve(cashier, hold_id)
    told.clear()
    other = api_client(alpha, "admin")
    with (time_machine.travel(start + timedelta(hours=73), tick=False),
          django_capture_on_commit_callbacks(execute=True)):
        again = hold(other, setup, "A6")  # before any expiry job ran
    assert again != hold_id
    assert told == [("reservation.expired", "alpha", {"transaction_id": hold_id})]


def test_a_refund_names_the_credit_note_and_the_voided_tickets(
        alpha, setup, told, django_capture_on_commit_callbacks):
    sale = sell_through_api(alpha, setup, "A1", "A2")
    told.clear()
    admin = api_client(alpha, "admin")
    with django_capture_on_commit_callbacks(execute=True):
        note = admin.post(f"/api/fiscal/documents/{sale['invoice']['id']}/credit-note/",
                          {"reason": "Devolución", "lines": [{"line": 0, "quantity": 1}]},
                          format="json")
    assert note.status_code == 201, note.json()
    [(name, schema, data)] = told
    assert (name, schema) == ("ticket.refunded", "alpha")
    assert data["transaction_id"] == sale["id"]
    assert data["credit_note_id"] == note.json()["id"]
    assert len(data["ticket_ids"]) == 1
    assert set(data["ticket_ids"]) <= {t["id"] for t in sale["tickets"]}


def test_a_cancelled_reservation_is_told(alpha, setup, cashier, told,
                                         django_capture_on_commit_callbacks):
    hold_id = hold(cashier, setup, "A5")
    reserve(cashier, hold_id)
    told.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = api_client(alpha, "admin").post(
            f"/api/transactions/{hold_id}/cancel/", {"reason": "cliente desistió"},
            format="json")
    assert cancelled.status_code == 200, cancelled.json()
    assert told == [("reservation.cancelled", "alpha", {"transaction_id": hold_id})]


def test_an_admission_is_told_a_refusal_is_not(alpha, setup, told,
                                               django_capture_on_commit_callbacks):
    ticket = sell_through_api(alpha, setup, "A3")["tickets"][0]
    told.clear()
    door = api_client(alpha, "door")
    with django_capture_on_commit_callbacks(execute=True):
        assert door.post("/api/checkin/", {"code": ticket["qr"], "gate": "G1"},
                         format="json").status_code == 200
        assert door.post("/api/checkin/", {"code": ticket["qr"], "gate": "G2"},
                         format="json").status_code == 409
    [(name, schema, data)] = told
    assert (name, schema) == ("checkin.admitted", "alpha")
    assert data["ticket_id"] == ticket["id"] and data["offline"] is False
    assert data["event_id"] == setup.event.pk


def test_a_failing_listener_does_not_break_the_sale_nor_the_others(
        alpha, setup, cashier, told, django_capture_on_commit_callbacks):
    def broken(sender, **kwargs):
        raise RuntimeError("mail server down")

    domain_events.domain_event.connect(broken, dispatch_uid="broken-listener")
    try:
        hold_id = hold(cashier, setup, "A2")
        due = cashier.get(f"/api/holds/{hold_id}/").json()["amounts_due"]["VES"]
        with django_capture_on_commit_callbacks(execute=True):
            assert checkout(cashier, hold_id, due).status_code == 200
    finally:
        domain_events.domain_event.disconnect(dispatch_uid="broken-listener")
    assert [name for name, _, _ in told] == ["sale.completed"]


def test_an_unknown_event_name_is_a_programming_error():
    with pytest.raises(ValueError):
        domain_events.emit("sale.maybe", transaction_id=1)
