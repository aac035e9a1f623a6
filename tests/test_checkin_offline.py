"""Offline gates (sales.checkin, docs/checkin.md "Offline gates"): the signed check-in list
a device admits from while the network is down, and the upload of the scans it made, where
a ticket admitted at two gates is one admission and one conflict, never two admissions."""

from __future__ import annotations

import copy
import hashlib

import pytest
from django_tenants.utils import tenant_context

from sales.checkin import keys
from sales.models import CheckinScan
from tests.builders import make_event, sell_through_api, set_rate
from tests.conftest import api_client


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate()
        return make_event(rows="A", seats_per_row=4, ga_capacity=10)


@pytest.fixture
def door(alpha):
    return api_client(alpha, "door")


def sync(client, scans, *, device="PUERTA-A", gate="G1", **body):
    return client.post("/api/checkin/sync/", {"gate": gate, "scans": scans, **body},
                       format="json", HTTP_X_POS_TERMINAL=device)


def offline(scan_id: str, qr: str, at: str, action: str = "entry") -> dict:
    return {"id": scan_id, "code": qr, "action": action,
            "scanned_at": f"2026-12-19T{at}:00-04:00"}


def logged(alpha) -> list[tuple[str, str, str, bool]]:
    with tenant_context(alpha.tenant):
        return list(CheckinScan.objects.order_by("id").values_list(
            "device", "result", "reason", "offline"))


def stats(client, setup) -> dict:
    return client.get(f"/api/events/{setup.event.pk}/checkin-stats/").json()


# --- The signed list ---------------------------------------------------------------------


def test_checkin_list_is_signed_and_verifies_with_the_pinned_key(alpha, setup, door):
    sale = sell_through_api(alpha, setup, "A1", "A2", zones=[{"zone": setup.ga_zone.pk,
                                                              "quantity": 1}])
    first = sale["tickets"][0]
    assert door.post("/api/checkin/", {"code": first["qr"], "gate": "G1"},
                     format="json").status_code == 200
    pinned = door.get("/api/checkin/key/")
    assert pinned.status_code == 200
    key = pinned.json()
    assert key["algorithm"] == "Ed25519" and len(key["key_id"]) == 16

    answer = door.get(f"/api/events/{setup.event.pk}/checkin-list/")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["public_key"], body["key_id"]) == (key["public_key"], key["key_id"])
    assert keys.verify(body["list"], body["signature"], key["public_key"])

    listed = body["list"]
    assert listed["event"] == setup.event.pk and listed["generated_at"]
    by_hash = {t["qr_sha256"]: t for t in listed["tickets"]}
    assert len(by_hash) == 3
    # A device hashes what it scans and finds the ticket; the QR strings are not in it.
    entry = by_hash[hashlib.sha256(first["qr"].encode()).hexdigest()]
    assert entry == {"qr_sha256": hashlib.sha256(first["qr"].encode()).hexdigest(),
                     "ticket": first["id"], "zone": "Platea", "seat": first["label"],
                     "max_entries": 1, "status": "valid", "entries": 1, "inside": True}
    assert first["qr"] not in answer.content.decode()
    assert first["code"] not in answer.content.decode()
    general = next(t for t in listed["tickets"] if t["zone"] == "General")
    assert general["seat"] is None and general["entries"] == 0


def test_an_altered_list_does_not_verify(alpha, setup, door):
    sale = sell_through_api(alpha, setup, "A1", "A2")
    body = door.get(f"/api/events/{setup.event.pk}/checkin-list/").json()
    key = door.get("/api/checkin/key/").json()["public_key"]
    for change in (lambda t: t.update(status="void"), lambda t: t.update(max_entries=5),
                   lambda t: t.update(qr_sha256="0" * 64), lambda t: t.update(entries=7)):
        altered = copy.deepcopy(body["list"])
        change(altered["tickets"][0])
        assert not keys.verify(altered, body["signature"], key)
    dropped = copy.deepcopy(body["list"])
    dropped["tickets"].pop()
    assert not keys.verify(dropped, body["signature"], key)
    assert not keys.verify(body["list"], "not base64!", key)
    assert keys.verify(body["list"], body["signature"], key)
    assert len(sale["tickets"]) == 2


def test_voided_tickets_are_marked_void_in_the_list(alpha, setup, door):
    sale = sell_through_api(alpha, setup, "A1")
    api_client(alpha, "admin").post(
        f"/api/fiscal/documents/{sale['invoice']['id']}/credit-note/",
        {"reason": "Reembolso"}, format="json")
    tickets = door.get(f"/api/events/{setup.event.pk}/checkin-list/").json()["list"]["tickets"]
    assert [t["status"] for t in tickets] == ["void"]


def test_each_organisation_signs_with_its_own_key(alpha, beta, setup, door):
    alpha_key = door.get("/api/checkin/key/").json()
    beta_key = api_client(beta, "door").get("/api/checkin/key/").json()
    assert alpha_key["public_key"] != beta_key["public_key"]
    body = door.get(f"/api/events/{setup.event.pk}/checkin-list/").json()
    assert not keys.verify(body["list"], body["signature"], beta_key["public_key"])
    assert door.get("/api/events/999999/checkin-list/").status_code == 404


# --- Sync: offline scans uploaded -----------------------------------------------------------


def test_two_offline_gates_admitting_one_ticket_make_one_admission_and_one_conflict(
        alpha, setup, door):
    qr = sell_through_api(alpha, setup, "A1")["tickets"][0]["qr"]
    # Gate B (later scan) uploads first; gate A's earlier scan arrives next: the
    # earliest scan counts, so A's is the admission and B's becomes the conflict.
    b = sync(door, [offline("b-1", qr, "19:05")], device="PUERTA-B", gate="G2")
    assert b.status_code == 200, b.json()
    assert b.json()["results"][0]["result"] == "admitted"
    a = sync(door, [offline("a-1", qr, "19:01")], device="PUERTA-A", gate="G1")
    answer = a.json()["results"][0]
    assert answer["result"] == "admitted"
    assert (answer["gate"], answer["first_admitted_at"]) == ("G1", "2026-12-19T19:01:00-04:00")
    assert [(d, r, offline_) for d, r, _, offline_ in logged(alpha)] == [
        ("PUERTA-B", "conflict", True), ("PUERTA-A", "admitted", True)]
    # Gate B's device, resending its batch, learns that its scan is now the conflict.
    again = sync(door, [offline("b-1", qr, "19:05")], device="PUERTA-B", gate="G2")
    assert again.json()["results"][0] == {
        "id": "b-1", "result": "duplicate", "reason": "conflict",
        "ticket": answer["ticket"], "first_admitted_at": "2026-12-19T19:01:00-04:00",
        "gate": "G1"}
    assert stats(door, setup)["admitted"] == 1
    # At the door, the ticket is already in, naming the admission that counts.
    online = door.post("/api/checkin/", {"code": qr}, format="json")
    assert online.status_code == 409 and online.json()["gate"] == "G1"


def test_a_later_offline_scan_of_an_admitted_ticket_is_a_conflict_naming_the_first(
        alpha, setup, door):
    qr = sell_through_api(alpha, setup, "A1")["tickets"][0]["qr"]
    sync(door, [offline("a-1", qr, "19:01")], device="PUERTA-A", gate="G1")
    b = sync(door, [offline("b-1", qr, "19:05")], device="PUERTA-B", gate="G2")
    assert b.json()["results"][0] == {
        "id": "b-1", "result": "conflict", "reason": "already_admitted",
        "ticket": b.json()["results"][0]["ticket"],
        "first_admitted_at": "2026-12-19T19:01:00-04:00", "gate": "G1"}
    assert stats(door, setup)["admitted"] == 1


def test_one_batch_is_taken_in_the_order_it_was_scanned(alpha, setup, door):
    qr = sell_through_api(alpha, setup, "A1")["tickets"][0]["qr"]
    answer = sync(door, [offline("2", qr, "19:09"), offline("1", qr, "19:02")])
    assert [(r["id"], r["result"]) for r in answer.json()["results"]] == [
        ("2", "conflict"), ("1", "admitted")]


def test_resending_the_same_batch_admits_nothing_twice(alpha, setup, door):
    sale = sell_through_api(alpha, setup, "A1", "A2")
    batch = [offline("s-1", sale["tickets"][0]["qr"], "19:01"),
             offline("s-2", sale["tickets"][1]["qr"], "19:02"),
             offline("s-3", "NOT-A-TICKET", "19:03")]
    first = sync(door, batch).json()["results"]
    assert [r["result"] for r in first] == ["admitted", "admitted", "refused"]
    second = sync(door, batch).json()["results"]
    assert [(r["result"], r["reason"]) for r in second] == [
        ("duplicate", "admitted"), ("duplicate", "admitted"), ("duplicate", "refused")]
    assert len(logged(alpha)) == 3
    assert stats(door, setup)["admitted"] == 2
    # The same scan ids from another device are other scans.
    other = sync(door, batch, device="PUERTA-B").json()["results"]
    assert [r["result"] for r in other] == ["conflict", "conflict", "refused"]


def test_an_offline_scan_never_displaces_an_online_admission(alpha, setup, door):
    qr = sell_through_api(alpha, setup, "A1")["tickets"][0]["qr"]
    online = door.post("/api/checkin/", {"code": qr, "gate": "G9"}, format="json",
                       HTTP_X_POS_TERMINAL="PUERTA-ONLINE")
    assert online.status_code == 200
    # Scanned offline a year "before" (or with a wrong clock): still the conflict.
    early = sync(door, [{"id": "x", "code": qr, "scanned_at": "2025-01-01T10:00:00-04:00"}])
    result = early.json()["results"][0]
    assert (result["result"], result["reason"], result["gate"]) == (
        "conflict", "already_admitted", "G9")
    late = sync(door, [offline("y", qr, "23:59")]).json()["results"][0]
    assert late["result"] == "conflict"
    assert [r for _, r, _, _ in logged(alpha)] == ["admitted", "conflict", "conflict"]
    assert stats(door, setup)["admitted"] == 1


def test_void_unknown_other_tenants_and_other_events_tickets_are_refused(
        alpha, beta, setup, door):
    void = sell_through_api(alpha, setup, "A1")
    api_client(alpha, "admin").post(
        f"/api/fiscal/documents/{void['invoice']['id']}/credit-note/",
        {"reason": "Reembolso"}, format="json")
    with tenant_context(beta.tenant):
        set_rate()
        beta_setup = make_event(rows="A", seats_per_row=1)
    beta_qr = sell_through_api(beta, beta_setup, "A1")["tickets"][0]["qr"]
    with tenant_context(alpha.tenant):
        other_event = make_event(rows="A", seats_per_row=1)
    other_qr = sell_through_api(alpha, other_event, "A1")["tickets"][0]["qr"]
    answer = sync(door, [offline("1", void["tickets"][0]["qr"], "19:01"),
                         offline("2", beta_qr, "19:02"),
                         offline("3", other_qr, "19:03"),
                         offline("4", void["tickets"][0]["code"], "19:04")],
                  event=setup.event.pk)
    assert answer.status_code == 200
    assert [(r["result"], r["reason"]) for r in answer.json()["results"]] == [
        ("refused", "ticket_void"), ("refused", "unknown_ticket"),
        ("refused", "wrong_event"), ("refused", "unknown_ticket")]
    assert answer.json()["results"][1]["ticket"] is None
    assert stats(door, setup)["admitted"] == 0


def test_offline_exits_let_the_holder_back_in_where_the_zone_allows(alpha, setup, door):
    api_client(alpha, "admin").patch(f"/api/zones/{setup.zone.pk}/", {"max_entries": 2},
                                     format="json")
    qr = sell_through_api(alpha, setup, "A1")["tickets"][0]["qr"]
    answer = sync(door, [offline("1", qr, "19:00"), offline("2", qr, "20:00", "exit"),
                         offline("3", qr, "20:30"), offline("4", qr, "21:00", "exit"),
                         offline("5", qr, "21:30"), offline("0", qr, "18:00", "exit")])
    assert [r["result"] for r in answer.json()["results"]] == [
        "admitted", "exited", "admitted", "exited", "conflict", "refused"]
    assert answer.json()["results"][5]["reason"] == "not_inside"


def test_sync_needs_the_device_and_bounds_the_batch(alpha, setup, door):
    qr = sell_through_api(alpha, setup, "A1")["tickets"][0]["qr"]
    nameless = door.post("/api/checkin/sync/", {"scans": [offline("1", qr, "19:00")]},
                         format="json")
    assert nameless.status_code == 400 and nameless.json()["code"] == "device_required"
    too_many = sync(door, [offline(str(i), qr, "19:00") for i in range(501)])
    assert too_many.status_code == 400
    assert "500" in str(too_many.json())
    no_time = sync(door, [{"id": "1", "code": qr}])
    assert no_time.status_code == 400
    assert logged(alpha) == []
    assert sync(door, []).json() == {"results": []}


def test_the_log_tells_offline_scans_by_their_scan_time(alpha, setup, door):
    qr = sell_through_api(alpha, setup, "A1")["tickets"][0]["qr"]
    sync(door, [offline("1", qr, "19:01")])
    row = door.get("/api/checkin/scans/").json()["results"][0]
    assert row["offline"] is True and row["scanned_at"] == "2026-12-19T19:01:00-04:00"
    assert row["created_at"] != row["scanned_at"]


def test_cashiers_may_not_read_the_list_nor_sync(alpha, setup):
    cashier = api_client(alpha, "cashier")
    assert cashier.get(f"/api/events/{setup.event.pk}/checkin-list/").status_code == 403
    assert cashier.get("/api/checkin/key/").status_code == 403
    assert sync(cashier, []).status_code == 403
