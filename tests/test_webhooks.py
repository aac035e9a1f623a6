"""Webhooks (sales.webhooks, docs/webhooks.md): every event reaches a real HTTP server
started by the test, signed so that the receiver code of docs/webhooks.md accepts it;
failures are retried on the documented schedule and logged per attempt; deliveries can be
replayed; one tenant's events never reach another's endpoints; private addresses and
other roles are refused."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from django_tenants.utils import tenant_context

from reservations import services as hold_services
from sales.webhooks import selectors, services
from sales.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.builders import api_hold_id as hold
from tests.builders import make_event, payment, sell_through_api, set_rate
from tests.conftest import api_client
from tests.processes import celery_worker

DOCS = Path(__file__).resolve().parent.parent / "docs" / "webhooks.md"
EVENTS = ["sale.completed", "reservation.created", "reservation.expired",
          "reservation.cancelled", "ticket.refunded", "checkin.admitted"]


# --- The receiver: a real HTTP server in a thread --------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST; answers the statuses of `script` in turn, then 200."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
                status = state.script.pop(0) if state.script else 200
            answer = b"ok" if status < 300 else b"receiver says no " + b"x" * 5000
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# --- The receiver's verification, as docs/webhooks.md prints it -----------------------


def docs_verify() -> Any:
    """`verify_signature` from the Python block of docs/webhooks.md, executed as is."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.S)
    [snippet] = [b for b in blocks if "def verify_signature" in b]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, str(DOCS), "exec"), namespace)
    return namespace["verify_signature"]


verify_signature = docs_verify()


# --- Fixtures ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _private_allowed(settings) -> None:
    settings.POS_WEBHOOKS_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1


@pytest.fixture(autouse=True)
def _no_cached_subscriptions() -> Iterator[None]:
    """The tenants' cached subscriptions may name endpoints of a rolled-back test (the
    invalidation after commit never ran): each test starts, and ends, with none."""
    from django.core.cache import cache

    keys = [selectors.subscriptions_key(schema) for schema in ("alpha", "beta")]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate()
        return make_event(rows="A", seats_per_row=8, ga_capacity=10)


@pytest.fixture
def admin(alpha):
    return api_client(alpha, "admin")


def register(client, url: str, events: list[str] = EVENTS, **extra: Any) -> dict[str, Any]:
    answer = client.post("/api/webhooks/endpoints/", {"url": url, "events": events, **extra},
                         format="json")
    assert answer.status_code == 201, answer.json()
    return answer.json()


def assert_signed(request: Received, secret: str, now: float | None = None) -> dict[str, Any]:
    """The request verifies with `secret` by the docs' code (at `now`); its payload."""
    assert verify_signature(secret, request.body, request.headers["X-POS-Signature"], now=now)
    payload = request.json
    assert request.headers["X-POS-Event"] == payload["type"]
    assert request.headers["X-POS-Delivery"] == payload["id"]
    assert set(payload) == {"id", "type", "created", "data"}
    return payload


def checkout(client, hold_id: int, amount: str, *, reserve: bool = False):
    return client.post(f"/api/holds/{hold_id}/checkout/",
                       {"payments": [payment("pago_movil", "VES", amount)],
                        "reserve": reserve, "customer": {"name": "María Pérez",
                                                         "tax_id": "V12345678"}},
                       format="json")


# --- Every event, delivered and signed --------------------------------------------------


def test_a_sale_reaches_the_receiver_signed_with_the_transaction_and_its_invoice(
        alpha, setup, admin, cashier, receiver, eager, django_capture_on_commit_callbacks):
    endpoint = register(admin, receiver.url(), ["sale.completed"])
    hold_id = hold(cashier, setup, "A1", "A2")
    due = cashier.get(f"/api/holds/{hold_id}/").json()["amounts_due"]["VES"]
    with django_capture_on_commit_callbacks(execute=True):
        sold = checkout(cashier, hold_id, due)
    assert sold.status_code == 200, sold.json()
    [request] = receiver.requests
    payload = assert_signed(request, endpoint["secret"])
    assert payload["type"] == "sale.completed"
    tx = payload["data"]["transaction"]
    assert (tx["id"], tx["status"], tx["currency"]) == (hold_id, "completed", "USD")
    assert tx["event"]["id"] == setup.event.pk
    assert tx["customer"]["name"] == "María Pérez"
    assert sorted(t["seat"] for t in tx["tickets"]) == ["A1", "A2"]
    invoice = sold.json()["transaction"]["invoice"]
    assert tx["invoice"]["number"] == invoice["number"]
    assert tx["invoice"]["total_ves"] == invoice["total_ves"]
    # Nothing that lets anyone in: no ticket code or QR string.
    for ticket in sold.json()["transaction"]["tickets"]:
        assert ticket["code"] not in request.body.decode()
    # The delivery log says so, with the exact body sent.
    with tenant_context(alpha.tenant):
        delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        "succeeded", 1, 200)
    assert delivery.body.encode() == request.body
    assert str(delivery.event_id) == payload["id"]


def test_reservation_created_then_paid_off_then_refunded_then_admitted(
        alpha, setup, admin, cashier, receiver, eager, django_capture_on_commit_callbacks):
    endpoint = register(admin, receiver.url(), EVENTS)
    hold_id = hold(cashier, setup, "A3", "A4")
    with django_capture_on_commit_callbacks(execute=True):
        reserved = checkout(cashier, hold_id, "1000.00", reserve=True)
    assert reserved.status_code == 200, reserved.json()
    rest = reserved.json()["transaction"]["amounts_due"]["VES"]
    with django_capture_on_commit_callbacks(execute=True):
        paid = cashier.post(f"/api/transactions/{hold_id}/payments/",
                            {"payments": [payment("pago_movil", "VES", rest)]}, format="json")
    assert paid.status_code == 200, paid.json()
    sale = paid.json()["transaction"]
    with django_capture_on_commit_callbacks(execute=True):
        note = admin.post(f"/api/fiscal/documents/{sale['invoice']['id']}/credit-note/",
                          {"reason": "Devolución", "lines": [{"line": 0, "quantity": 1}]},
                          format="json")
    assert note.status_code == 201, note.json()
    kept = next(t for t in sale["tickets"]
                if t["id"] not in {tid for tid in _voided(alpha, note.json()["id"])})
    with django_capture_on_commit_callbacks(execute=True):
        admitted = api_client(alpha, "door").post(
            "/api/checkin/", {"code": kept["qr"], "gate": "G1"}, format="json")
    assert admitted.status_code == 200, admitted.json()

    payloads = [assert_signed(r, endpoint["secret"]) for r in receiver.requests]
    assert [p["type"] for p in payloads] == ["reservation.created", "sale.completed",
                                             "ticket.refunded", "checkin.admitted"]
    created, completed, refunded, checkin = (p["data"] for p in payloads)
    assert created["transaction"]["status"] == "reserved"
    assert created["transaction"]["payment_deadline"] is not None
    assert created["transaction"]["invoice"] is None
    assert sorted(i["seat"] for i in created["transaction"]["items"]) == ["A3", "A4"]
    assert completed["transaction"]["status"] == "completed"
    assert refunded["transaction_id"] == hold_id
    assert refunded["credit_note"]["id"] == note.json()["id"]
    assert refunded["credit_note"]["invoice_number"] == sale["invoice"]["number"]
    assert len(refunded["ticket_ids"]) == 1 and refunded["tickets"][0]["seat"] in {"A3", "A4"}
    assert checkin["ticket"]["id"] == kept["id"]
    assert (checkin["gate"], checkin["by"], checkin["offline"]) == ("G1", "door", False)
    assert checkin["admitted_at"]
    assert kept["qr"] not in receiver.requests[-1].body.decode()
    # Each event has its own id.
    assert len({p["id"] for p in payloads}) == 4


def _voided(alpha, note_id: int) -> list[int]:
    from fiscal.models import FiscalDocument

    with tenant_context(alpha.tenant):
        note = FiscalDocument.objects.get(pk=note_id)
        return [t for line in note.snapshot["lines"] for t in line.get("ticket_ids", [])]


def test_a_lapsed_and_a_cancelled_reservation_are_delivered(
        alpha, setup, admin, cashier, receiver, eager, django_capture_on_commit_callbacks):
    endpoint = register(admin, receiver.url(), ["reservation.expired",
                                                "reservation.cancelled"])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        lapsing = hold(cashier, setup, "A5")
        assert checkout(cashier, lapsing, "1000.00", reserve=True).status_code == 200
        cancelled = hold(cashier, setup, "A6")
        assert checkout(cashier, cancelled, "1000.00", reserve=True).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(f"/api/transactions/{cancelled}/cancel/",
                          {"reason": "cliente desistió"}, format="json").status_code == 200
    with (time_machine.travel(start + timedelta(hours=73), tick=False),
          tenant_context(alpha.tenant), django_capture_on_commit_callbacks(execute=True)):
        hold_services.expire_stale_holds()
    cancel_request, expiry_request = receiver.requests
    payloads = [assert_signed(cancel_request, endpoint["secret"]),
                assert_signed(expiry_request, endpoint["secret"],
                              now=(start + timedelta(hours=73)).timestamp())]
    assert [(p["type"], p["data"]["transaction"]["id"], p["data"]["transaction"]["status"])
            for p in payloads] == [("reservation.cancelled", cancelled, "cancelled"),
                                   ("reservation.expired", lapsing, "expired")]


def test_an_endpoint_hears_only_what_it_subscribes_to(
        alpha, setup, admin, cashier, receiver, eager, django_capture_on_commit_callbacks):
    register(admin, receiver.url("/sales"), ["sale.completed"])
    register(admin, receiver.url("/door"), ["checkin.admitted"])
    sale = None
    with django_capture_on_commit_callbacks(execute=True):
        sale = sell_through_api(alpha, setup, "A7")
    assert [r.json["type"] for r in receiver.to("/sales")] == ["sale.completed"]
    assert receiver.to("/door") == []
    assert sale["status"] == "completed"


# --- Tenants ----------------------------------------------------------------------------


def test_tenant_b_endpoint_never_receives_tenant_a_events(
        alpha, beta, setup, admin, cashier, receiver, eager,
        django_capture_on_commit_callbacks):
    register(admin, receiver.url("/alpha"), ["sale.completed"])
    register(api_client(beta, "admin"), receiver.url("/beta"), EVENTS)
    with django_capture_on_commit_callbacks(execute=True):
        sell_through_api(alpha, setup, "A8")
    assert len(receiver.to("/alpha")) == 1
    assert receiver.to("/beta") == []
    with tenant_context(beta.tenant):
        assert not WebhookDelivery.objects.exists()
    # Beta's admin does not see alpha's endpoints or deliveries either.
    beta_admin = api_client(beta, "admin")
    [only] = beta_admin.get("/api/webhooks/endpoints/").json()["results"]
    assert only["url"].endswith("/beta")
    assert beta_admin.get("/api/webhooks/deliveries/").json()["results"] == []


def test_a_sale_in_a_tenant_without_endpoints_queues_nothing(
        alpha, setup, monkeypatch, django_capture_on_commit_callbacks):
    from sales.webhooks import tasks

    queued: list[dict] = []
    monkeypatch.setattr(tasks.fan_out_event, "apply_async",
                        lambda *args, **kwargs: queued.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        sell_through_api(alpha, setup, "A1")
    assert queued == []
    assert selectors.subscribed_events("alpha") == frozenset()


def test_registering_an_endpoint_is_heard_at_once_and_queues_in_the_tenant_schema(
        alpha, setup, admin, receiver, monkeypatch, django_capture_on_commit_callbacks):
    from sales.webhooks import tasks

    assert selectors.subscribed_events("alpha") == frozenset()  # cached: nothing
    register(admin, receiver.url(), ["sale.completed"])
    assert selectors.subscribed_events("alpha") == {"sale.completed"}
    queued: list[dict] = []
    monkeypatch.setattr(tasks.fan_out_event, "apply_async",
                        lambda *args, **kwargs: queued.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        sale = sell_through_api(alpha, setup, "A2")
    [sent] = queued
    assert sent["headers"] == {"_schema_name": "alpha"}
    assert sent["kwargs"]["event_type"] == "sale.completed"
    assert sent["kwargs"]["data"] == {"transaction_id": sale["id"]}
    # Deactivated, it is forgotten as promptly.
    endpoint_id = admin.get("/api/webhooks/endpoints/").json()["results"][0]["id"]
    assert admin.patch(f"/api/webhooks/endpoints/{endpoint_id}/", {"is_active": False},
                       format="json").status_code == 200
    assert selectors.subscribed_events("alpha") == frozenset()


# --- Failures, retries, replays --------------------------------------------------------


def _one_delivery(alpha, receiver, admin, setup, django_capture_on_commit_callbacks
                  ) -> tuple[dict, WebhookDelivery]:
    """A sale whose delivery is made but not sent (the send task recorded instead)."""
    endpoint = register(admin, receiver.url(), ["sale.completed"])
    with django_capture_on_commit_callbacks(execute=True):
        sell_through_api(alpha, setup, "A3")
    with tenant_context(alpha.tenant):
        return endpoint, WebhookDelivery.objects.get()


@pytest.fixture
def unsent(monkeypatch) -> list[int]:
    """Record the deliveries whose send is queued instead of sending them (the fan-out
    still runs eagerly)."""
    from sales.webhooks import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.send_delivery, "apply_async",
                        lambda args, **kwargs: queued.append(args[0]))
    return queued


def test_a_500_is_retried_on_the_schedule_and_every_attempt_is_logged(
        alpha, setup, admin, receiver, eager, unsent, django_capture_on_commit_callbacks):
    endpoint, delivery = _one_delivery(alpha, receiver, admin, setup,
                                       django_capture_on_commit_callbacks)
    assert unsent == [delivery.pk]
    receiver.script[:] = [500, 503]
    start = timezone.now()
    with tenant_context(alpha.tenant):
        with time_machine.travel(start, tick=False):
            first = services.attempt_delivery(delivery_id=delivery.pk)
        assert 24 <= first.retry_in <= 36  # 30 s ± 20 %
        assert first.delivery.status == "pending"
        assert first.delivery.next_attempt_at == start + timedelta(seconds=first.retry_in)
        later = start + timedelta(seconds=first.retry_in)
        with time_machine.travel(later, tick=False):
            second = services.attempt_delivery(delivery_id=delivery.pk)
        assert 96 <= second.retry_in <= 144  # 2 min ± 20 %
        with time_machine.travel(later + timedelta(seconds=second.retry_in), tick=False):
            third = services.attempt_delivery(delivery_id=delivery.pk)
        assert third.retry_in is None and third.delivery.status == "succeeded"
        attempts = list(delivery.attempt_log.order_by("number"))
    assert [(a.number, a.status_code, a.error) for a in attempts] == [
        (1, 500, "HTTP 500"), (2, 503, "HTTP 503"), (3, 200, "")]
    assert attempts[0].response_body.startswith("receiver says no")
    assert len(attempts[0].response_body) == services.MAX_RESPONSE_EXCERPT  # bounded
    assert attempts[1].started_at - attempts[0].started_at == timedelta(
        seconds=first.retry_in)
    # Each attempt signed when made, the same event and body every time.
    stamps = []
    for request in receiver.requests:
        assert request.body == receiver.requests[0].body
        assert request.headers["X-POS-Delivery"] == str(delivery.event_id)
        stamp = int(request.headers["X-POS-Signature"].split(",")[0][2:])
        assert verify_signature(endpoint["secret"], request.body,
                                request.headers["X-POS-Signature"], now=stamp)
        stamps.append(stamp)
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    # The API shows the log.
    detail = admin.get(f"/api/webhooks/deliveries/{delivery.pk}/").json()
    assert detail["status"] == "succeeded" and detail["attempts"] == 3
    assert [a["status_code"] for a in detail["attempt_log"]] == [500, 503, 200]
    assert detail["payload"]["id"] == str(delivery.event_id)


def test_the_task_asks_celery_to_retry_after_the_backoff(
        alpha, setup, admin, receiver, eager, unsent, monkeypatch,
        django_capture_on_commit_callbacks):
    from celery.exceptions import Retry

    from sales.webhooks import tasks

    _, delivery = _one_delivery(alpha, receiver, admin, setup,
                                django_capture_on_commit_callbacks)
    receiver.script[:] = [500]
    asked: list[float] = []

    def retry(*args, countdown: float, **kwargs):
        asked.append(countdown)
        return Retry("retry", when=countdown)

    monkeypatch.setattr(tasks.send_delivery, "retry", retry)
    with tenant_context(alpha.tenant), pytest.raises(Retry):
        tasks.send_delivery.run(delivery.pk)
    [countdown] = asked
    assert 24 <= countdown <= 36


def test_when_the_schedule_is_spent_the_delivery_fails(
        alpha, setup, admin, receiver, eager, unsent, settings,
        django_capture_on_commit_callbacks):
    settings.POS_WEBHOOKS_RETRY_SCHEDULE = [30.0, 120.0]
    _, delivery = _one_delivery(alpha, receiver, admin, setup,
                                django_capture_on_commit_callbacks)
    receiver.script[:] = [500, 500, 500, 500]
    with tenant_context(alpha.tenant):
        outcomes = [services.attempt_delivery(delivery_id=delivery.pk) for _ in range(4)]
    assert [o.retry_in is not None for o in outcomes] == [True, True, False, False]
    assert outcomes[2].delivery.status == "failed"
    assert outcomes[3].attempt is None  # a duplicate task changes nothing
    assert len(receiver.requests) == 3
    failed = admin.get("/api/webhooks/deliveries/", {"status": "failed"}).json()["results"]
    assert [d["id"] for d in failed] == [delivery.pk]


def test_an_unreachable_receiver_is_a_logged_failed_attempt(
        alpha, setup, admin, receiver, eager, unsent, django_capture_on_commit_callbacks):
    _, delivery = _one_delivery(alpha, receiver, admin, setup,
                                django_capture_on_commit_callbacks)
    with tenant_context(alpha.tenant):
        WebhookEndpoint.objects.update(url="http://127.0.0.1:9/closed")  # discard port
        outcome = services.attempt_delivery(delivery_id=delivery.pk)
    assert outcome.retry_in is not None
    assert outcome.attempt.status_code is None
    assert outcome.attempt.error.startswith("ConnectionError")


def test_replay_sends_the_same_event_again_freshly_signed(
        alpha, setup, admin, receiver, eager, django_capture_on_commit_callbacks):
    endpoint = register(admin, receiver.url(), ["sale.completed"])
    start = timezone.now()
    with (time_machine.travel(start, tick=False),
          django_capture_on_commit_callbacks(execute=True)):
        sell_through_api(alpha, setup, "A4")
    delivery_id = admin.get("/api/webhooks/deliveries/").json()["results"][0]["id"]
    with (time_machine.travel(start + timedelta(hours=2), tick=False),
          django_capture_on_commit_callbacks(execute=True)):
        replayed = admin.post(f"/api/webhooks/deliveries/{delivery_id}/replay/")
    assert replayed.status_code == 202, replayed.json()
    assert replayed.json()["replay_of"] == delivery_id
    original, again = receiver.requests
    assert again.body == original.body
    assert again.headers["X-POS-Delivery"] == original.headers["X-POS-Delivery"]
    assert again.headers["X-POS-Signature"] != original.headers["X-POS-Signature"]
    stamp = (start + timedelta(hours=2)).timestamp()
    assert verify_signature(endpoint["secret"], again.body, again.headers["X-POS-Signature"],
                            now=stamp)
    # The original's signature is two hours old: a receiver refuses it.
    assert not verify_signature(endpoint["secret"], original.body,
                                original.headers["X-POS-Signature"], now=stamp)
    detail = admin.get(f"/api/webhooks/deliveries/{replayed.json()['id']}/").json()
    assert detail["status"] == "succeeded" and len(detail["attempt_log"]) == 1
    assert detail["requested_by"] == "admin"
    by_event = admin.get("/api/webhooks/deliveries/",
                         {"event_id": detail["event_id"]}).json()["results"]
    assert len(by_event) == 2


def test_ping_reaches_the_endpoint_whatever_it_subscribes_to(
        alpha, admin, receiver, eager, django_capture_on_commit_callbacks):
    endpoint = register(admin, receiver.url(), ["checkin.admitted"])
    with django_capture_on_commit_callbacks(execute=True):
        pinged = admin.post(f"/api/webhooks/endpoints/{endpoint['id']}/ping/")
    assert pinged.status_code == 202, pinged.json()
    [request] = receiver.requests
    payload = assert_signed(request, endpoint["secret"])
    assert payload["type"] == "ping" and payload["data"]["endpoint_id"] == endpoint["id"]


def test_a_deactivated_endpoint_abandons_what_is_pending_and_refuses_replays(
        alpha, setup, admin, receiver, eager, unsent, django_capture_on_commit_callbacks):
    endpoint, delivery = _one_delivery(alpha, receiver, admin, setup,
                                       django_capture_on_commit_callbacks)
    admin.patch(f"/api/webhooks/endpoints/{endpoint['id']}/", {"is_active": False},
                format="json")
    with tenant_context(alpha.tenant):
        outcome = services.attempt_delivery(delivery_id=delivery.pk)
    assert outcome.delivery.status == "abandoned" and receiver.requests == []
    refused = admin.post(f"/api/webhooks/deliveries/{delivery.pk}/replay/")
    assert refused.status_code == 409 and refused.json()["code"] == "endpoint_inactive"
    refused = admin.post(f"/api/webhooks/endpoints/{endpoint['id']}/ping/")
    assert refused.status_code == 409


# --- Signatures -------------------------------------------------------------------------


def test_the_documented_verification_refuses_a_tampered_body_and_an_old_timestamp(
        alpha, admin, receiver, eager, django_capture_on_commit_callbacks):
    endpoint = register(admin, receiver.url(), ["sale.completed"])
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/api/webhooks/endpoints/{endpoint['id']}/ping/")
    [request] = receiver.requests
    header = request.headers["X-POS-Signature"]
    stamp = int(header.split(",")[0][2:])
    assert verify_signature(endpoint["secret"], request.body, header)
    tampered = request.body.replace(b'"ping"', b'"sale.completed"')
    assert tampered != request.body
    assert not verify_signature(endpoint["secret"], tampered, header)
    assert not verify_signature("whsec_another", request.body, header)
    assert not verify_signature(endpoint["secret"], request.body, header, now=stamp + 301)
    assert verify_signature(endpoint["secret"], request.body, header, now=stamp + 299)
    # A timestamp edited to look fresh breaks the signature.
    assert not verify_signature(endpoint["secret"], request.body,
                                header.replace(f"t={stamp}", f"t={stamp + 600}"),
                                now=stamp + 600)
    assert not verify_signature(endpoint["secret"], request.body, "garbage")
    # The backend's copy agrees with the docs'.
    from sales.webhooks.signing import verify_signature as ours

    assert ours(endpoint["secret"], request.body, header) is True
    assert ours(endpoint["secret"], tampered, header) is False


def test_a_rotated_secret_signs_alongside_the_old_one_for_the_grace_period(
        alpha, admin, receiver, eager, django_capture_on_commit_callbacks):
    endpoint = register(admin, receiver.url(), ["sale.completed"])
    old = endpoint["secret"]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        rotated = admin.post(f"/api/webhooks/endpoints/{endpoint['id']}/rotate-secret/",
                             {"grace_hours": 24}, format="json")
    assert rotated.status_code == 200, rotated.json()
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != old
    assert rotated.json()["secret_hint"] == f"…{new[-4:]}"
    for hours in (1, 25):
        moment = start + timedelta(hours=hours)
        with (time_machine.travel(moment, tick=False),
              django_capture_on_commit_callbacks(execute=True)):
            admin.post(f"/api/webhooks/endpoints/{endpoint['id']}/ping/")
    during, after = receiver.requests
    now_during = (start + timedelta(hours=1)).timestamp()
    now_after = (start + timedelta(hours=25)).timestamp()
    assert during.headers["X-POS-Signature"].count("v1=") == 2
    assert verify_signature(new, during.body, during.headers["X-POS-Signature"], now=now_during)
    assert verify_signature(old, during.body, during.headers["X-POS-Signature"], now=now_during)
    assert after.headers["X-POS-Signature"].count("v1=") == 1
    assert verify_signature(new, after.body, after.headers["X-POS-Signature"], now=now_after)
    assert not verify_signature(old, after.body, after.headers["X-POS-Signature"],
                                now=now_after)


def test_the_secret_is_shown_at_creation_only(alpha, admin, receiver):
    endpoint = register(admin, receiver.url(), ["sale.completed"])
    assert endpoint["secret"].startswith("whsec_") and len(endpoint["secret"]) > 40
    read = admin.get(f"/api/webhooks/endpoints/{endpoint['id']}/").json()
    listed = admin.get("/api/webhooks/endpoints/").json()["results"][0]
    assert "secret" not in read and "secret" not in listed
    assert read["secret_hint"] == f"…{endpoint['secret'][-4:]}"
    assert read["created_by"] == "admin"


# --- Bad input and outbound safety ------------------------------------------------------


@pytest.mark.parametrize(("url", "why"), [
    ("http://127.0.0.1:8000/hook", "127.0.0.1"),
    ("http://localhost/hook", "private, loopback or link-local"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
    ("http://10.1.2.3/hook", "10.1.2.3"),
    ("http://[::1]/hook", "::1"),
    ("ftp://example.com/hook", "Only http:// and https://"),
    ("not a url", "Enter a valid URL"),
    ("http://user:pass@example.com/hook", "user name or password"),
    ("https://no-such-host.invalid/hook", "does not resolve"),
])
def test_a_private_or_bad_url_is_a_400_naming_url(alpha, admin, settings, url, why):
    settings.POS_WEBHOOKS_ALLOW_PRIVATE = False
    answer = admin.post("/api/webhooks/endpoints/", {"url": url, "events": EVENTS},
                        format="json")
    assert answer.status_code == 400, answer.json()
    assert set(answer.json()) == {"url"}
    assert why in answer.json()["url"][0]


def test_an_address_made_private_after_registration_fails_the_attempt(
        alpha, setup, admin, receiver, eager, unsent, settings,
        django_capture_on_commit_callbacks):
    _, delivery = _one_delivery(alpha, receiver, admin, setup,
                                django_capture_on_commit_callbacks)
    settings.POS_WEBHOOKS_ALLOW_PRIVATE = False
    with tenant_context(alpha.tenant):
        outcome = services.attempt_delivery(delivery_id=delivery.pk)
    assert receiver.requests == []
    assert "private, loopback or link-local" in outcome.attempt.error
    assert outcome.retry_in is not None


def test_an_unknown_event_type_is_a_400_naming_events(alpha, admin, receiver):
    answer = admin.post("/api/webhooks/endpoints/",
                        {"url": receiver.url(), "events": ["sale.completed", "sale.maybe"]},
                        format="json")
    assert answer.status_code == 400
    assert set(answer.json()) == {"events"}
    assert "sale.maybe" in json.dumps(answer.json())
    empty = admin.post("/api/webhooks/endpoints/", {"url": receiver.url(), "events": []},
                       format="json")
    assert empty.status_code == 400 and set(empty.json()) == {"events"}
    bad_filter = admin.get("/api/webhooks/deliveries/", {"status": "lost"})
    assert bad_filter.status_code == 400 and "status" in bad_filter.json()


def test_redirects_are_not_followed(alpha, admin, receiver, eager, unsent,
                                    django_capture_on_commit_callbacks):
    endpoint = register(admin, receiver.url(), ["sale.completed"])
    receiver.script[:] = [302]
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/api/webhooks/endpoints/{endpoint['id']}/ping/")
    with tenant_context(alpha.tenant):
        outcome = services.attempt_delivery(delivery_id=unsent[0])
    assert outcome.attempt.status_code == 302 and outcome.retry_in is not None
    assert len(receiver.requests) == 1


# --- Roles ------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["cashier", "operator", "door"])
def test_only_venue_admins_manage_webhooks(alpha, admin, receiver, username):
    endpoint = register(admin, receiver.url(), ["sale.completed"])
    other = api_client(alpha, username)
    calls = [
        other.get("/api/webhooks/endpoints/"),
        other.post("/api/webhooks/endpoints/", {"url": receiver.url(),
                                                "events": ["sale.completed"]}, format="json"),
        other.get(f"/api/webhooks/endpoints/{endpoint['id']}/"),
        other.patch(f"/api/webhooks/endpoints/{endpoint['id']}/", {"is_active": False},
                    format="json"),
        other.delete(f"/api/webhooks/endpoints/{endpoint['id']}/"),
        other.post(f"/api/webhooks/endpoints/{endpoint['id']}/rotate-secret/"),
        other.post(f"/api/webhooks/endpoints/{endpoint['id']}/ping/"),
        other.get("/api/webhooks/deliveries/"),
    ]
    assert [c.status_code for c in calls] == [403] * len(calls)
    assert api_client(alpha).get("/api/webhooks/endpoints/").status_code in (401, 403)


def test_a_venue_admin_changes_and_deletes_an_endpoint(alpha, admin, receiver):
    endpoint = register(admin, receiver.url(), ["sale.completed"], description="ERP")
    changed = admin.patch(f"/api/webhooks/endpoints/{endpoint['id']}/",
                          {"events": ["checkin.admitted", "checkin.admitted"]}, format="json")
    assert changed.status_code == 200 and changed.json()["events"] == ["checkin.admitted"]
    assert selectors.subscribed_events("alpha") == {"checkin.admitted"}
    assert admin.delete(f"/api/webhooks/endpoints/{endpoint['id']}/").status_code == 204
    assert selectors.subscribed_events("alpha") == frozenset()
    assert admin.get(f"/api/webhooks/endpoints/{endpoint['id']}/").status_code == 404


def test_the_signature_header_is_made_within_the_request_time(alpha, admin, receiver, eager,
                                                              django_capture_on_commit_callbacks):
    endpoint = register(admin, receiver.url(), ["sale.completed"])
    before = int(time.time())
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/api/webhooks/endpoints/{endpoint['id']}/ping/")
    stamp = int(receiver.requests[0].headers["X-POS-Signature"].split(",")[0][2:])
    assert before <= stamp <= int(time.time())


# --- A real Celery worker retries on its own --------------------------------------------


@pytest.fixture
def worker(tenants, tmp_path) -> Iterator[str]:
    """`celery -A pos worker` on a queue of its own, on the pytest database, with a retry
    schedule of half a second (the real one's first wait is 30 s)."""
    import uuid

    from django.conf import settings as django_settings

    queue = f"{django_settings.CELERY_TASK_DEFAULT_QUEUE}-wh-{uuid.uuid4().hex[:8]}"
    with celery_worker(queue, tmp_path / "worker.log", POS_WEBHOOKS_ALLOW_PRIVATE="1",
                       POS_WEBHOOKS_RETRY_SCHEDULE="0.5,0.5"):
        yield queue


@pytest.mark.integration
def test_a_real_worker_retries_a_500_then_delivers(tenants, receiver, worker, monkeypatch,
                                                   django_db_blocker):
    """Committed rows (the worker reads them), deleted at the end."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from sales.webhooks import tasks

    send = tasks.send_delivery.apply_async
    monkeypatch.setattr(tasks.send_delivery, "apply_async",
                        lambda *args, **kwargs: send(*args, queue=worker, **kwargs))
    receiver.script[:] = [500]
    endpoint = None
    with django_db_blocker.unblock(), tenant_context(tenants["alpha"].tenant):
        try:
            admin_user = get_user_model().objects.get(username="admin")
            endpoint = services.create_endpoint(url=receiver.url(), events=["sale.completed"],
                                                created_by=admin_user)
            delivery = services.send_ping(endpoint=endpoint, user=admin_user)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                delivery.refresh_from_db()
                if delivery.status != "pending":
                    break
                time.sleep(0.2)  # waiting for another process, not for time to pass
            assert (delivery.status, delivery.attempts) == ("succeeded", 2)
            log = list(delivery.attempt_log.order_by("number"))
            assert [(a.status_code, a.error) for a in log] == [(500, "HTTP 500"), (200, "")]
            # Retried after the schedule's wait (0.5 s ± 20 %), not at once.
            assert log[1].started_at - log[0].started_at >= timedelta(seconds=0.4)
            first, second = receiver.requests
            assert first.body == second.body
            assert first.headers["X-POS-Delivery"] == second.headers["X-POS-Delivery"]
            for request in (first, second):
                assert_signed(request, endpoint.secret)
        finally:
            if endpoint is not None:
                services.delete_endpoint(endpoint=endpoint)
    connection.set_schema_to_public()


# --- The Django admin -------------------------------------------------------------------


def test_the_admin_shows_the_log_with_attempts_and_replays_never_the_secret(
        alpha, setup, admin, receiver, eager, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    endpoint = register(admin, receiver.url(), ["sale.completed"])
    with django_capture_on_commit_callbacks(execute=True):
        sell_through_api(alpha, setup, "A5")
    site = api_client(alpha)
    with schema_context(alpha.schema):
        site.force_login(get_user_model().objects.get(username="admin"))
        delivery = WebhookDelivery.objects.get()
    endpoints_page = site.get("/admin/webhooks/webhookendpoint/")
    assert endpoints_page.status_code == 200
    assert endpoint["secret"] not in endpoints_page.content.decode()
    page = site.get(f"/admin/webhooks/webhookendpoint/{endpoint['id']}/change/")
    assert page.status_code == 200 and endpoint["secret"] not in page.content.decode()
    detail = site.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert detail.status_code == 200 and "Attempts" in detail.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        replayed = site.post("/admin/webhooks/webhookdelivery/", {
            "action": "replay", "_selected_action": [delivery.pk]}, follow=True)
    assert "1 replay(s) queued." in [str(m) for m in replayed.context["messages"]]
    first, again = receiver.requests
    assert again.headers["X-POS-Delivery"] == first.headers["X-POS-Delivery"]
    # Operators are not given the webhooks in the admin.
    operator_site = api_client(alpha)
    with schema_context(alpha.schema):
        operator_site.force_login(get_user_model().objects.get(username="operator"))
    assert operator_site.get("/admin/webhooks/webhookdelivery/").status_code == 403
