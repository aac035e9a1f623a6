"""`Idempotency-Key` on POST /api/holds/, checkout and payments: a retry returns the first
answer and does nothing new, another body with the same key is a 409, keys are per tenant
and user and kept 24 hours, and parallel retries run the action exactly once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from functools import partial

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from reservations.errors import Busy
from sales.models import IdempotencyKey, Payment, Ticket, Transaction
from tenants.models import Tenant
from tenants.roles import Role
from tenants.services import create_staff_user
from tests import parallel
from tests.builders import make_event, set_rate
from tests.conftest import PASSWORD, api_client, get_or_create_tenant, token_for

FULL_PAYMENT = {"payments": [{"method": "pago_movil", "currency": "VES", "amount": "1160.00",
                              "reference": "0102-555123"}]}
PART_PAYMENT = {"reserve": True,
                "payments": [{"method": "pago_movil", "currency": "VES", "amount": "200.00",
                              "reference": "0102-555123"}]}


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate()
        return make_event(rows="AB", seats_per_row=5)


def post(client, path, body, key):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def hold_body(setup, *labels):
    return {"event": setup.event.pk, "seat_ids": setup.ids(*labels)}


def test_same_key_and_body_returns_the_first_answer_and_holds_once(cashier, setup, alpha):
    first = post(cashier, "/api/holds/", hold_body(setup, "A1"), "hold-1")
    again = post(cashier, "/api/holds/", hold_body(setup, "A1"), "hold-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    with tenant_context(alpha.tenant):
        assert Transaction.objects.filter(event=setup.event).count() == 1


def test_key_order_in_the_body_does_not_matter(cashier, setup):
    event, seat = setup.event.pk, setup.seats["A1"].pk
    first = cashier.post("/api/holds/", f'{{"event": {event}, "seat_ids": [{seat}]}}',
                         content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    again = cashier.post("/api/holds/", f'{{"seat_ids": [{seat}], "event": {event}}}',
                         content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    assert again.json() == first.json()


def test_same_key_with_another_body_is_409_and_does_nothing(cashier, setup, alpha):
    assert post(cashier, "/api/holds/", hold_body(setup, "A1"), "hold-2").status_code == 201
    other = post(cashier, "/api/holds/", hold_body(setup, "A2"), "hold-2")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    with tenant_context(alpha.tenant):
        assert Transaction.objects.filter(event=setup.event).count() == 1
        assert states_held(setup) == {"A1"}


def states_held(setup) -> set[str]:
    from reservations.models import ReservedTicket

    return set(ReservedTicket.objects.live().filter(event=setup.event)
               .values_list("seat__label", flat=True))


def test_same_key_on_another_endpoint_is_409(cashier, setup):
    hold_id = post(cashier, "/api/holds/", hold_body(setup, "A1"), "shared").json()["id"]
    response = post(cashier, f"/api/holds/{hold_id}/checkout/", FULL_PAYMENT, "shared")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"


def test_keys_are_per_user(cashier, setup, alpha):
    first = post(cashier, "/api/holds/", hold_body(setup, "A1"), "mine")
    second = post(api_client(alpha, "cashier2"), "/api/holds/", hold_body(setup, "A2"), "mine")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


def test_keys_are_per_tenant(cashier, setup, alpha, beta):
    assert post(cashier, "/api/holds/", hold_body(setup, "A1"), "tenant-key").status_code == 201
    with tenant_context(beta.tenant):
        set_rate()
        beta_setup = make_event(rows="A", seats_per_row=2)
    response = post(api_client(beta, "cashier"), "/api/holds/",
                    hold_body(beta_setup, "A1"), "tenant-key")
    assert response.status_code == 201
    assert response.json()["event"] == beta_setup.event.pk


def test_a_key_is_forgotten_after_24_hours(cashier, setup, alpha):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = post(cashier, "/api/holds/", hold_body(setup, "A1"), "old-key")
        assert first.status_code == 201
    with time_machine.travel(start + timedelta(hours=23, minutes=59), tick=False):
        replay = post(cashier, "/api/holds/", hold_body(setup, "A1"), "old-key")
        assert replay.json() == first.json()
    with time_machine.travel(start + timedelta(hours=24, seconds=1), tick=False):
        with tenant_context(alpha.tenant):
            set_rate()
        fresh = post(cashier, "/api/holds/", hold_body(setup, "A1"), "old-key")
        assert fresh.status_code == 201
        assert fresh.json()["id"] != first.json()["id"]
        with tenant_context(alpha.tenant):
            assert IdempotencyKey.objects.filter(key="old-key").count() == 1


def test_a_refusal_is_replayed_too(cashier, setup, alpha):
    """The first answer is the answer: a 409 for taken seats stays the answer to that key,
    even once the seats are free (the client asked once)."""
    other = api_client(alpha, "cashier2")
    taken = post(other, "/api/holds/", hold_body(setup, "A1"), "x").json()["id"]
    refused = post(cashier, "/api/holds/", hold_body(setup, "A1"), "try-a1")
    assert refused.status_code == 409
    other.delete(f"/api/holds/{taken}/")
    assert post(cashier, "/api/holds/", hold_body(setup, "A1"), "try-a1").json() \
        == refused.json()
    assert post(cashier, "/api/holds/", hold_body(setup, "A1"), "try-a1-again") \
        .status_code == 201


def test_a_server_side_failure_is_not_stored_and_the_key_can_be_retried(
    cashier, setup, alpha, monkeypatch
):
    from reservations import services

    real = services.hold_seats

    def busy(**kwargs):
        raise Busy()

    monkeypatch.setattr(services, "hold_seats", busy)
    assert post(cashier, "/api/holds/", hold_body(setup, "A1"), "retry-me").status_code == 503
    monkeypatch.setattr(services, "hold_seats", real)
    assert post(cashier, "/api/holds/", hold_body(setup, "A1"), "retry-me").status_code == 201


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "naïve", "tab\tkey"])
def test_an_invalid_key_is_400(cashier, setup, key):
    response = cashier.post("/api/holds/", hold_body(setup, "A1"), format="json",
                            HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"


def test_checkout_retry_returns_the_same_sale_and_charges_once(cashier, setup, alpha):
    hold_id = cashier.post("/api/holds/", hold_body(setup, "A1"), format="json").json()["id"]
    first = post(cashier, f"/api/holds/{hold_id}/checkout/", FULL_PAYMENT, "pay-1")
    again = post(cashier, f"/api/holds/{hold_id}/checkout/", FULL_PAYMENT, "pay-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["transaction"]["status"] == "completed"
    with tenant_context(alpha.tenant):
        assert Payment.objects.filter(transaction_id=hold_id).count() == 1


def test_payment_retry_records_one_payment(cashier, setup, alpha):
    hold_id = cashier.post("/api/holds/", hold_body(setup, "A1"), format="json").json()["id"]
    cashier.post(f"/api/holds/{hold_id}/checkout/", PART_PAYMENT, format="json")
    for _ in range(3):
        response = post(cashier, f"/api/transactions/{hold_id}/payments/", PART_PAYMENT,
                        "second-instalment")
        assert response.status_code == 200
    with tenant_context(alpha.tenant):
        assert Payment.objects.filter(transaction_id=hold_id).count() == 2


def test_without_a_key_requests_run_as_before(cashier, setup):
    assert cashier.post("/api/holds/", hold_body(setup, "A1"), format="json").status_code == 201
    assert cashier.post("/api/holds/", hold_body(setup, "A1"), format="json").status_code == 409


# --- Parallel retries: real threads, own connections, committed data -----------------


@pytest.fixture(scope="module")
def idem(tenants, django_db_blocker) -> Iterator[Tenant]:
    with django_db_blocker.unblock():
        tenant = get_or_create_tenant("idem")
        with tenant_context(tenant):
            create_staff_user(username="cashier", password=PASSWORD, role=Role.CASHIER)
        connection.set_schema_to_public()
        yield tenant


@pytest.fixture
def in_idem(idem, django_db_blocker) -> Iterator[Tenant]:
    with django_db_blocker.unblock(), tenant_context(idem):
        set_rate()
        yield idem


def idem_client(tenant: Tenant) -> APIClient:
    from tests.conftest import TenantFixture

    client = APIClient(HTTP_HOST="idem.localhost")
    token = token_for(TenantFixture(tenant=tenant, host="idem.localhost"), "cashier")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def post_in_parallel(tenant: Tenant, path: str, body: dict, keys: list[str | None]):
    """One request per key, each in its own thread and connection, released together."""
    token = idem_client(tenant)._credentials["HTTP_AUTHORIZATION"]

    def send(key: str | None):
        client = APIClient(HTTP_HOST="idem.localhost", HTTP_AUTHORIZATION=token)
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        response = client.post(path, body, format="json", **headers)
        return response.status_code, response.json()

    return parallel.run_parallel([partial(send, key) for key in keys])


def test_ten_simultaneous_checkouts_with_one_key_make_one_sale(in_idem):
    setup = make_event(rows="A", seats_per_row=2)
    client = idem_client(in_idem)
    hold_id = client.post("/api/holds/", hold_body(setup, "A1"), format="json").json()["id"]
    connection.set_schema_to_public()
    answers = post_in_parallel(in_idem, f"/api/holds/{hold_id}/checkout/", FULL_PAYMENT,
                               ["ten-at-once"] * 10)
    connection.set_tenant(in_idem)
    assert {status for status, _ in answers} == {200}
    assert all(body == answers[0][1] for _, body in answers), "ten identical answers"
    assert answers[0][1]["replayed"] is False
    assert Transaction.objects.filter(pk=hold_id, status="completed").count() == 1
    assert Payment.objects.filter(transaction_id=hold_id).count() == 1
    assert Ticket.objects.filter(transaction_id=hold_id).count() == 1


def test_parallel_payment_retries_with_one_key_pay_once(in_idem):
    setup = make_event(rows="A", seats_per_row=2)
    client = idem_client(in_idem)
    hold_id = client.post("/api/holds/", hold_body(setup, "A1"), format="json").json()["id"]
    client.post(f"/api/holds/{hold_id}/checkout/", PART_PAYMENT, format="json")
    connection.set_schema_to_public()
    answers = post_in_parallel(in_idem, f"/api/transactions/{hold_id}/payments/",
                               PART_PAYMENT, ["instalment-2"] * 8)
    connection.set_tenant(in_idem)
    assert all(answer == answers[0] for answer in answers)
    assert Payment.objects.filter(transaction_id=hold_id).count() == 2


def test_control_parallel_payments_without_a_key_charge_several_times(in_idem):
    """Proof that the test above can fail: the same retries without a key are separate
    payments (this is what the key protects against)."""
    setup = make_event(rows="A", seats_per_row=2)
    client = idem_client(in_idem)
    hold_id = client.post("/api/holds/", hold_body(setup, "A1"), format="json").json()["id"]
    client.post(f"/api/holds/{hold_id}/checkout/", PART_PAYMENT, format="json")
    connection.set_schema_to_public()
    post_in_parallel(in_idem, f"/api/transactions/{hold_id}/payments/", PART_PAYMENT,
                     [None] * 8)
    connection.set_tenant(in_idem)
    assert Payment.objects.filter(transaction_id=hold_id).count() > 2


def test_a_request_waiting_too_long_on_its_key_gets_409_in_progress(in_idem, monkeypatch):
    """While another request holds the key (its transaction not yet committed), a retry
    waits; past IN_PROGRESS_WAIT it is told to retry instead of running the action."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from pos import idempotency

    monkeypatch.setattr(idempotency, "IN_PROGRESS_WAIT", "300ms")
    setup = make_event(rows="A", seats_per_row=2)
    user_id = get_user_model().objects.get(username="cashier").pk
    holding, release = threading.Event(), threading.Event()

    def hold_the_key():
        try:
            with tenant_context(in_idem), transaction.atomic():
                IdempotencyKey.objects.create(user_id=user_id, key="slow", fingerprint="x",
                                              method="POST", path="/api/holds/",
                                              created_at=timezone.now())
                holding.set()
                release.wait(timeout=30)
                transaction.set_rollback(True)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_key)
    holder.start()
    try:
        assert holding.wait(timeout=30)
        response = post(idem_client(in_idem), "/api/holds/", hold_body(setup, "A1"), "slow")
    finally:
        release.set()
        holder.join(timeout=30)
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_progress"
    assert not Transaction.objects.filter(event=setup.event).exists()
