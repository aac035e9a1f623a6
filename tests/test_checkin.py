"""Check-in at the door (sales.checkin, docs/checkin.md): admission and
refusals, exits and re-entry, the log, the figures; and one ticket scanned at ten gates at
once, admitted once (with the control showing the race without the ticket lock)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context, tenant_context

from fiscal.taxes import PaymentInput
from reservations import services as hold_services
from sales.checkin import services as checkin_services
from sales.checkout import services as sales_services
from sales.models import CheckinScan, Ticket
from sales.tickets import ticket_qr
from tenants.roles import Role
from tenants.services import create_staff_user
from tests import parallel
from tests.builders import make_event, sell_through_api, set_rate, user
from tests.conftest import PASSWORD, TenantFixture, api_client


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate()
        return make_event(rows="A", seats_per_row=4, ga_capacity=10)


@pytest.fixture
def door(alpha):
    return api_client(alpha, "door")


def scan(client, qr: str, gate: str = "G1", *, exit: bool = False, **body):
    url = "/api/checkin/exit/" if exit else "/api/checkin/"
    return client.post(url, {"code": qr, "gate": gate, **body}, format="json",
                       HTTP_X_POS_TERMINAL="PUERTA-1")


def scans(alpha) -> list[tuple[str, str]]:
    with tenant_context(alpha.tenant):
        return list(CheckinScan.objects.order_by("id").values_list("result", "reason"))


# --- Admission and refusals ------------------------------------------------------------


def test_door_admits_a_ticket_once_and_names_the_first_admission(alpha, setup, door):
    ticket = sell_through_api(alpha, setup, "A1")["tickets"][0]
    first = scan(door, ticket["qr"], "G1", event=setup.event.pk)
    assert first.status_code == 200, first.json()
    assert first.json() == {"result": "admitted", "ticket": ticket["id"],
                            "event": setup.event.pk, "zone": "Platea", "seat": "A1",
                            "entries": 1, "max_entries": 1}
    again = scan(api_client(alpha, "admin"), ticket["qr"], "G3")
    assert again.status_code == 409
    body = again.json()
    assert body["code"] == "already_admitted" and body["detail"]
    assert (body["gate"], body["by"]) == ("G1", "door") and body["first_admitted_at"]
    # In the venue's time zone (Caracas), and naming the seat the staff can point to.
    assert body["first_admitted_at"].endswith("-04:00")
    assert (body["zone"], body["seat"]) == ("Platea", "A1")
    assert scans(alpha) == [("admitted", ""), ("refused", "already_admitted")]


def test_general_admission_ticket_has_no_seat(alpha, setup, door):
    sale = sell_through_api(alpha, setup, zones=[{"zone": setup.ga_zone.pk, "quantity": 1}])
    response = scan(door, sale["tickets"][0]["qr"])
    assert response.status_code == 200
    assert (response.json()["zone"], response.json()["seat"]) == ("General", None)


def test_bare_code_forged_signature_and_another_tenants_ticket_are_unknown(
        alpha, beta, setup, door):
    ticket = sell_through_api(alpha, setup, "A1")["tickets"][0]
    tampered = ticket["qr"][:-2] + ("AA" if not ticket["qr"].endswith("AA") else "BB")
    for text in (ticket["code"], tampered, "NOT-A-TICKET", "x" * 150):
        response = scan(door, text)
        assert response.status_code == 404, text
        assert response.json()["code"] == "unknown_ticket"
    # Alpha's genuine QR at beta's door: unknown there, and nothing of alpha's answered.
    at_beta = scan(api_client(beta, "door"), ticket["qr"])
    assert at_beta.status_code == 404 and at_beta.json()["code"] == "unknown_ticket"
    assert ticket["code"] not in at_beta.content.decode()
    assert scans(alpha) == [("refused", "unknown_ticket")] * 4
    with tenant_context(alpha.tenant):
        assert not CheckinScan.objects.filter(ticket__isnull=False).exists()
    # The genuine one still enters at alpha: refusals changed nothing.
    assert scan(door, ticket["qr"]).status_code == 200


def test_a_ticket_voided_by_a_credit_note_is_gone(alpha, setup, door):
    sale = sell_through_api(alpha, setup, "A1")
    note = api_client(alpha, "admin").post(
        f"/api/fiscal/documents/{sale['invoice']['id']}/credit-note/",
        {"reason": "Reembolso"}, format="json")
    assert note.status_code == 201, note.json()
    response = scan(door, sale["tickets"][0]["qr"])
    assert response.status_code == 410 and response.json()["code"] == "ticket_void"
    assert scans(alpha) == [("refused", "ticket_void")]


def test_a_ticket_of_another_event_is_refused_when_the_event_is_named(alpha, setup, door):
    ticket = sell_through_api(alpha, setup, "A1")["tickets"][0]
    response = scan(door, ticket["qr"], event=setup.event.pk + 1000)
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_event"
    assert response.json()["ticket_event"] == setup.event.pk
    assert scan(door, ticket["qr"], event=setup.event.pk).status_code == 200


def test_a_cashier_may_not_scan(alpha, setup):
    ticket = sell_through_api(alpha, setup, "A1")["tickets"][0]
    assert scan(api_client(alpha, "cashier"), ticket["qr"]).status_code == 403
    assert scans(alpha) == []


# --- Exits and re-entry ------------------------------------------------------------------


def test_re_entry_needs_an_exit_and_stops_at_the_zones_max_entries(alpha, setup, door):
    admin = api_client(alpha, "admin")
    zero = admin.patch(f"/api/zones/{setup.zone.pk}/", {"max_entries": 0}, format="json")
    assert zero.status_code == 400
    two = admin.patch(f"/api/zones/{setup.zone.pk}/", {"max_entries": 2}, format="json")
    assert two.status_code == 200 and two.json()["max_entries"] == 2
    qr = sell_through_api(alpha, setup, "A1")["tickets"][0]["qr"]
    out_first = scan(door, qr, exit=True)
    assert out_first.status_code == 409 and out_first.json()["code"] == "not_inside"
    assert scan(door, qr).json()["entries"] == 1
    assert scan(door, qr).status_code == 409  # inside: no second entry without an exit
    exited = scan(door, qr, "G2", exit=True)
    assert exited.status_code == 200
    assert (exited.json()["result"], exited.json()["entries"]) == ("exited", 1)
    assert scan(door, qr).json()["entries"] == 2
    assert scan(door, qr, exit=True).status_code == 200
    last = scan(door, qr)  # two entries used up
    assert last.status_code == 409 and last.json()["code"] == "already_admitted"
    assert [r for r, _ in scans(alpha)] == ["refused", "admitted", "refused", "exited",
                                            "admitted", "exited", "refused"]


# --- The log and the figures ------------------------------------------------------------


def test_the_log_records_gate_device_and_user_and_door_staff_read_their_own(alpha, setup,
                                                                           door):
    qr = sell_through_api(alpha, setup, "A1")["tickets"][0]["qr"]
    scan(door, qr, "G1")
    scan(api_client(alpha, "admin"), qr, "G2")
    own = door.get("/api/checkin/scans/")
    assert own.status_code == 200
    rows = own.json()["results"]
    assert [(r["user"], r["gate"], r["device"], r["result"], r["code"]) for r in rows] == [
        ("door", "G1", "PUERTA-1", "admitted", qr)]
    every = api_client(alpha, "admin").get("/api/checkin/scans/").json()["results"]
    assert [(r["user"], r["reason"]) for r in every] == [("admin", "already_admitted"),
                                                         ("door", "")]
    assert api_client(alpha, "cashier").get("/api/checkin/scans/").status_code == 403


def test_checkin_stats_count_admitted_and_expected_per_zone(alpha, setup, door):
    sale = sell_through_api(alpha, setup, "A1", "A2", "A3", zones=[{"zone": setup.ga_zone.pk,
                                                        "quantity": 2}])
    by_label = {t["label"]: t for t in sale["tickets"]}
    scan(door, by_label["A1"]["qr"])
    scan(door, by_label["A1"]["qr"])  # refused: counts once
    scan(door, by_label["A2"]["qr"])
    general = [t for t in sale["tickets"] if t["label"] == "General"]
    scan(door, general[0]["qr"])
    stats = door.get(f"/api/events/{setup.event.pk}/checkin-stats/")
    assert stats.status_code == 200
    assert stats.json() == {
        "event": setup.event.pk, "expected": 5, "admitted": 3,
        "zones": [{"zone": setup.zone.pk, "name": "Platea", "expected": 3, "admitted": 2},
                  {"zone": setup.ga_zone.pk, "name": "General", "expected": 2,
                   "admitted": 1}]}
    missing = door.get("/api/events/999999/checkin-stats/")
    assert missing.status_code == 404


def test_voided_tickets_are_not_expected(alpha, setup, door):
    sale = sell_through_api(alpha, setup, "A1")
    api_client(alpha, "admin").post(
        f"/api/fiscal/documents/{sale['invoice']['id']}/credit-note/",
        {"reason": "Reembolso"}, format="json")
    zones = door.get(f"/api/events/{setup.event.pk}/checkin-stats/").json()["zones"]
    assert zones[0]["expected"] == 0


# --- Ten gates at once -------------------------------------------------------------------

GATES = 10
PAID_IN_BS = [PaymentInput(method="pago_movil", currency="VES", amount=Decimal("1160.00"),
                           reference="0102-555123")]


@pytest.fixture(scope="module")
def gatekeepers(race, django_db_blocker) -> list[str]:
    """Door staff g0 … g9 of the race tenant, one per gate."""
    names = [f"g{i}" for i in range(GATES)]
    with django_db_blocker.unblock(), schema_context(race.schema_name):
        for name in names:
            create_staff_user(username=name, password=PASSWORD, role=Role.DOOR)
    return names


@pytest.fixture
def sold_ticket(in_race, gatekeepers) -> Iterator[tuple[TenantFixture, Ticket]]:
    """A ticket sold (committed) in the race tenant."""
    setup = make_event(rows="A", seats_per_row=1)
    tx = hold_services.hold_seats(user=user("c0"), event_id=setup.event.pk,
                                  seat_ids=setup.ids("A1"))
    sales_services.checkout_hold(user=user("c0"), transaction_id=tx.pk, payments=PAID_IN_BS)
    yield (TenantFixture(tenant=in_race, host=f"{in_race.schema_name}.localhost"),
           Ticket.objects.get(transaction_id=tx.pk))


@pytest.fixture
def slow_decision(monkeypatch):
    """Widen the race window: a pause after the decision, before the scan is written."""
    decide = checkin_services._decide

    def decide_then_pause(*args, **kwargs):
        result = decide(*args, **kwargs)
        time.sleep(0.2)
        return result

    monkeypatch.setattr(checkin_services, "_decide", decide_then_pause)


def _ten_gates(tenant: TenantFixture, ticket: Ticket, gatekeepers: list[str]):
    qr = ticket_qr(ticket)
    clients = [api_client(tenant, name) for name in gatekeepers]
    calls = [lambda c=c, i=i: c.post("/api/checkin/", {"code": qr, "gate": f"G{i}"},
                                     format="json")
             for i, c in enumerate(clients)]
    return parallel.run_parallel(calls, catch=Exception)


def test_one_ticket_at_ten_gates_at_once_is_admitted_exactly_once(sold_ticket, gatekeepers,
                                                                  slow_decision):
    tenant, ticket = sold_ticket
    responses = _ten_gates(tenant, ticket, gatekeepers)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (GATES - 1), statuses
    first = next(r.json() for r in responses if r.status_code == 200)
    assert first["entries"] == 1
    assert all(r.json()["code"] == "already_admitted" for r in responses
               if r.status_code == 409)
    logged = list(CheckinScan.objects.filter(ticket=ticket).values_list("result", flat=True))
    assert sorted(logged) == ["admitted"] + ["refused"] * (GATES - 1)


@pytest.fixture
def decisions_meet(monkeypatch):
    """Every gate decides before any writes its scan (a barrier, not a pause: how far
    apart ten threads reach the decision depends on the machine's load). Only for the
    control: with the lock the other gates wait for the first one's commit, never here."""
    decide = checkin_services._decide
    all_decided = threading.Barrier(GATES, timeout=20)

    def decide_then_meet(*args, **kwargs):
        result = decide(*args, **kwargs)
        all_decided.wait()
        return result

    monkeypatch.setattr(checkin_services, "_decide", decide_then_meet)


def test_control_without_the_ticket_lock_the_ten_gates_admit_it_several_times(
        sold_ticket, gatekeepers, decisions_meet, monkeypatch):
    """Proof that the test above can fail: the lock replaced by a plain read."""
    monkeypatch.setattr(checkin_services, "lock_ticket", lambda code: (
        Ticket.objects.filter(code=code).select_related("zone", "seat").first()))
    tenant, ticket = sold_ticket
    responses = _ten_gates(tenant, ticket, gatekeepers)
    admitted = [r for r in responses if r.status_code == 200]
    assert len(admitted) > 1, [r.status_code for r in responses]
    assert CheckinScan.objects.filter(ticket=ticket, result="admitted").count() > 1
