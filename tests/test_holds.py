"""Holds through the API: the contract of DESIGN.md §5 and every error of the engine."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tenants.utils import tenant_context
from hypothesis import given, settings
from hypothesis import strategies as st

from reservations.models import ReservedTicket, StatusChange
from reservations.serializers import MAX_ID, HoldCreateSerializer, plain_hold_request
from reservations.services import expire_stale_holds
from sales.models import Transaction
from tests.builders import api_hold as hold
from tests.builders import change_tenant_settings, make_event, set_rate
from tests.conftest import api_client


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate()
        return make_event(rows="ABC", seats_per_row=10, ga_capacity=10)


def states(client, setup) -> dict[str, str]:
    body = client.get(f"/api/events/{setup.event.pk}/availability/").json()
    return {seat["label"]: seat["state"] for seat in body["seats"]}


def test_hold_answers_201_with_the_contract_fields(cashier, setup):
    before = timezone.now()
    response = hold(cashier, setup, "A1", "A2",
                    zones=[{"zone": setup.ga_zone.pk, "quantity": 2}])
    assert response.status_code == 201
    body = response.json()
    assert {"id", "transaction", "expires_at", "server_time", "items", "total",
            "currency"} <= set(body)
    assert body["status"] == "pending"
    # Three seats of USD 10.00: before tax, IVA 16 %, the total, and what settles it.
    assert (body["subtotal"], body["tax"], body["total"], body["currency"]) == (
        "30.00", "4.80", "34.80", "USD")
    assert set(body["amounts_due"]) == {"VES", "USD"}
    assert [item["label"] for item in body["items"]] == ["A1", "A2", "General × 2"]
    expires = timezone.datetime.fromisoformat(body["expires_at"])
    assert timedelta(minutes=9, seconds=55) < expires - before <= timedelta(minutes=10, seconds=5)


def test_second_cashier_gets_409_naming_the_seat_and_why(cashier, cashier2, setup):
    assert hold(cashier, setup, "A1").status_code == 201
    response = hold(cashier2, setup, "A1", "A3")
    assert response.status_code == 409
    assert response.json()["detail"] == "The following seats are not available: A1 (reserved)."
    assert response.json()["seats"] == [
        {"id": setup.seats["A1"].pk, "label": "A1", "reason": "reserved"}]
    # All or nothing: A3 was not held either.
    assert states(cashier2, setup)["A3"] == "available"


def test_conflict_names_every_seat_reserved_and_sold(cashier, cashier2, setup, alpha):
    first = hold(cashier, setup, "A1").json()
    paid = cashier.post(f"/api/holds/{first['id']}/checkout/",
                        {"payments": [{"method": "pago_movil", "currency": "VES",
                                       "amount": "1160.00",
"reference": "0102-555123"}]}, format="json")
    assert paid.status_code == 200, paid.json()
    assert hold(cashier, setup, "A2").status_code == 201
    response = hold(cashier2, setup, "A2", "A1", "A5")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "The following seats are not available: A1 (sold), A2 (reserved).")


def test_a_seat_held_by_the_same_cashier_is_a_409_too(cashier, setup):
    assert hold(cashier, setup, "B1").status_code == 201
    assert hold(cashier, setup, "B1").status_code == 409


def test_availability_shows_mine_others_and_sold(cashier, cashier2, setup):
    hold(cashier, setup, "A1")
    hold(cashier2, setup, "A2")
    mine = states(cashier, setup)
    assert (mine["A1"], mine["A2"], mine["A3"]) == ("reserved_by_me", "reserved", "available")
    theirs = states(cashier2, setup)
    assert (theirs["A1"], theirs["A2"]) == ("reserved", "reserved_by_me")


def test_availability_has_server_time_and_ga_counts(cashier, setup):
    hold(cashier, setup, zones=[{"zone": setup.ga_zone.pk, "quantity": 3}])
    body = cashier.get(f"/api/events/{setup.event.pk}/availability/").json()
    assert "server_time" in body
    ga = next(z for z in body["zones"] if z["id"] == setup.ga_zone.pk)
    assert (ga["kind"], ga["capacity"], ga["available"]) == ("general", 10, 7)
    assert len(body["seats"]) == 30


def test_availability_etag_gives_304_until_something_changes(cashier, cashier2, setup):
    url = f"/api/events/{setup.event.pk}/availability/"
    first = cashier.get(url)
    etag = first["ETag"]
    assert cashier.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    hold(cashier2, setup, "C3")
    changed = cashier.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert {s["label"]: s["state"] for s in changed.json()["seats"]}["C3"] == "reserved"


def test_a_deleted_events_etag_gives_404_not_304(cashier, alpha, setup):
    # The 304 is decided from Redis alone: deleting the event must retire its ETags.
    url = f"/api/events/{setup.event.pk}/availability/"
    etag = cashier.get(url)["ETag"]
    admin = api_client(alpha, "admin")
    assert admin.delete(f"/api/events/{setup.event.pk}/").status_code == 204
    assert cashier.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 404


def test_availability_is_right_without_redis(cashier, setup, settings):
    hold(cashier, setup, "A4")
    settings.CACHES = {**settings.CACHES, "default": {
        **settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    response = cashier.get(f"/api/events/{setup.event.pk}/availability/")
    assert response.status_code == 200
    assert {s["label"]: s["state"] for s in response.json()["seats"]}["A4"] == "reserved_by_me"
    assert hold(cashier, setup, "A5").status_code == 201


def test_delete_frees_the_seat_at_once(cashier, cashier2, setup):
    hold_id = hold(cashier, setup, "A1", "A2").json()["id"]
    response = cashier.delete(f"/api/holds/{hold_id}/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert hold(cashier2, setup, "A1").status_code == 201
    assert ReservedTicket.objects.filter(status="cancelled").count() == 2


def test_release_part_of_a_hold(cashier, cashier2, setup):
    hold_id = hold(cashier, setup, "A1", "A2").json()["id"]
    response = cashier.post(f"/api/holds/{hold_id}/release/",
                            {"seat_ids": setup.ids("A2")}, format="json")
    assert response.status_code == 200
    assert (response.json()["subtotal"], response.json()["total"]) == ("10.00", "11.60")
    assert [i["label"] for i in response.json()["items"] if i["status"] == "active"] == ["A1"]
    assert hold(cashier2, setup, "A2").status_code == 201
    bad = cashier.post(f"/api/holds/{hold_id}/release/", {"seat_ids": setup.ids("C9")},
                       format="json")
    assert bad.status_code == 400 and "not in hold" in bad.json()["detail"]


def test_releasing_a_seat_listed_twice_is_400_and_releases_nothing(cashier, setup):
    hold_id = hold(cashier, setup, "A1", "A2").json()["id"]
    a1, a2 = setup.ids("A1", "A2")
    response = cashier.post(f"/api/holds/{hold_id}/release/", {"seat_ids": [a1, a2, a1]},
                            format="json")
    assert response.status_code == 400
    assert response.json() == {"seat_ids": [f"Seats listed more than once: {a1}."]}
    still = cashier.get(f"/api/holds/{hold_id}/").json()
    assert [i["status"] for i in still["items"]] == ["active", "active"]


def test_hold_expires_exactly_without_any_worker(cashier, cashier2, setup):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        hold_id = hold(cashier, setup, "A1").json()["id"]
    with time_machine.travel(start + timedelta(minutes=9, seconds=59), tick=False):
        assert hold(cashier2, setup, "A1").status_code == 409
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        assert states(cashier2, setup)["A1"] == "available"
        assert hold(cashier2, setup, "A1").status_code == 201
        # The stale claim was recorded as expired by the hold that replaced it.
        old = ReservedTicket.objects.get(transaction_id=hold_id)
        assert old.status == "expired"
        assert Transaction.objects.get(pk=hold_id).status == "expired"


def test_checkout_of_an_expired_hold_is_410(cashier, setup):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        hold_id = hold(cashier, setup, "A1").json()["id"]
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        response = cashier.post(f"/api/holds/{hold_id}/checkout/", {"payments": [
            {"method": "cash", "currency": "USD", "amount": "20.00"}]}, format="json")
    assert response.status_code == 410
    assert response.json()["detail"] == "Booking session has expired. Please select seats again."


def test_extend_once_by_the_tenant_hold_minutes(cashier, setup, alpha):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        body = hold(cashier, setup, "A1").json()
        extended = cashier.post(f"/api/holds/{body['id']}/extend/")
        assert extended.status_code == 200
        new = timezone.datetime.fromisoformat(extended.json()["expires_at"])
        assert new - start == timedelta(minutes=20)
        again = cashier.post(f"/api/holds/{body['id']}/extend/")
        assert again.status_code == 409 and "already extended once" in again.json()["detail"]
    with time_machine.travel(start + timedelta(minutes=15), tick=False):
        assert states(cashier, setup)["A1"] == "reserved_by_me"


def test_extend_refused_when_the_venue_does_not_allow_it(cashier, setup, alpha):
    change_tenant_settings(alpha.tenant, allow_hold_extension=False)
    hold_id = hold(cashier, setup, "A1").json()["id"]
    response = cashier.post(f"/api/holds/{hold_id}/extend/")
    assert response.status_code == 409 and "does not allow" in response.json()["detail"]


def test_session_limit_is_a_400_naming_the_limit(cashier, setup, alpha):
    change_tenant_settings(alpha.tenant, max_reservations_per_session=3)
    assert hold(cashier, setup, "A1", "A2").status_code == 201
    response = hold(cashier, setup, "A3", "A4")
    assert response.status_code == 400
    assert "at most 3 tickets" in response.json()["detail"]
    assert ReservedTicket.objects.filter(seat__label="A3").count() == 0


def test_hold_time_follows_the_tenant_setting(cashier, setup, alpha):
    change_tenant_settings(alpha.tenant, reservation_hold_minutes=1)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        body = hold(cashier, setup, "A1").json()
    assert timezone.datetime.fromisoformat(body["expires_at"]) - start == timedelta(minutes=1)


def test_ga_capacity_is_never_exceeded(cashier, cashier2, setup):
    ga = setup.ga_zone.pk
    assert hold(cashier, setup, zones=[{"zone": ga, "quantity": 8}]).status_code == 201
    response = hold(cashier2, setup, zones=[{"zone": ga, "quantity": 3}])
    assert response.status_code == 409
    assert response.json()["detail"] == "Zone General has only 2 place(s) left (3 requested)."
    assert hold(cashier2, setup, zones=[{"zone": ga, "quantity": 2}]).status_code == 201


def test_every_transition_is_audited_with_who_and_why(cashier, setup):
    hold_id = hold(cashier, setup, "A1").json()["id"]
    cashier.delete(f"/api/holds/{hold_id}/")
    changes = list(StatusChange.objects.filter(transaction_id=hold_id)
                   .values_list("subject", "from_status", "to_status", "reason",
                                "actor__username"))
    assert ("transaction", "pending", "cancelled", "user", "cashier") in changes
    assert ("reserved_ticket", "active", "cancelled", "user", "cashier") in changes


def test_illegal_transition_is_409(cashier, setup):
    hold_id = hold(cashier, setup, "A1").json()["id"]
    cashier.delete(f"/api/holds/{hold_id}/")
    response = cashier.delete(f"/api/holds/{hold_id}/")
    assert response.status_code == 409
    assert "cancelled; it cannot be released" in response.json()["detail"]


def test_a_cashier_cannot_touch_another_cashiers_hold(cashier, cashier2, setup, alpha):
    hold_id = hold(cashier, setup, "A1").json()["id"]
    assert cashier2.delete(f"/api/holds/{hold_id}/").status_code == 404
    assert cashier2.get(f"/api/holds/{hold_id}/").status_code == 404
    assert api_client(alpha, "admin").get(f"/api/holds/{hold_id}/").status_code == 200


def test_cleanup_records_expiry_and_is_idempotent(cashier, setup, alpha):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        hold_id = hold(cashier, setup, "A1", "A2").json()["id"]
    with tenant_context(alpha.tenant):
        later = start + timedelta(minutes=10, seconds=1)
        assert expire_stale_holds(now=later) == {"holds_expired": 2, "transactions_expired": 1}
        assert expire_stale_holds(now=later) == {"holds_expired": 0, "transactions_expired": 0}
        assert Transaction.objects.get(pk=hold_id).status == "expired"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("not json", "JSON parse error"),
        ({"event": "x", "seat_ids": [1]}, "valid integer"),
        ({"seat_ids": [1]}, "required"),
        ({"event": 1, "seat_ids": []}, "at least one seat"),
        ({"event": 1, "seat_ids": "A1"}, "list"),
        ({"event": 1, "seat_ids": [-1]}, "greater than or equal to 1"),
        ({"event": 1, "zones": [{"zone": 1, "quantity": -2}]}, "greater than or equal to 1"),
        ({"event": 1, "zones": [{"zone": 1}]}, "required"),
        ({"event": 1, "seat_ids": [1] * 501}, "no more than 500"),
        ({"event": 1, "seat_ids": [10**30]}, "less than or equal to"),
        ([], "Expected a dictionary"),
    ],
)
def test_malformed_hold_is_400_and_changes_nothing(cashier, setup, body, fragment):
    response = (cashier.post("/api/holds/", body, content_type="application/json")
                if isinstance(body, str) else cashier.post("/api/holds/", body, format="json"))
    assert response.status_code == 400
    assert fragment in str(response.json())
    assert ReservedTicket.objects.count() == 0


def test_unknown_ids_and_duplicates_are_400_naming_them(cashier, setup):
    event = setup.event.pk
    cases = [
        ({"event": 999999, "seat_ids": setup.ids("A1")}, "Event 999999 does not exist"),
        ({"event": event, "seat_ids": [999999]}, "do not exist in event"),
        ({"event": event, "seat_ids": setup.ids("A1") * 2}, "listed more than once"),
        ({"event": event, "seat_ids": setup.ids("A1") * 500}, "listed more than once"),
        ({"event": event, "zones": [{"zone": setup.zone.pk, "quantity": 1}]},
         "has numbered seats"),
        ({"event": event, "zones": [{"zone": 999999, "quantity": 1}]}, "does not exist"),
    ]
    for body, fragment in cases:
        response = cashier.post("/api/holds/", body, format="json")
        assert response.status_code == 400, body
        assert fragment in response.json()["detail"]
    assert ReservedTicket.objects.count() == 0


def test_unknown_hold_ids_are_404(cashier, setup):
    for method, url in [("get", "/api/holds/999999/"), ("delete", "/api/holds/999999/"),
                        ("post", "/api/holds/999999/extend/")]:
        assert getattr(cashier, method)(url).status_code == 404


def test_operator_cannot_hold(alpha, setup):
    response = hold(api_client(alpha, "operator"), setup, "A1")
    assert response.status_code == 403


def test_seed_reserve_endpoint(cashier, cashier2, setup):
    ok = cashier.post("/sales/seats/reserve/", {"seat_ids": setup.ids("C1", "C2")},
                      format="json")
    assert ok.status_code == 200
    assert ok.json()["success"] is True and ok.json()["expires_at"]
    taken = cashier2.post("/sales/seats/reserve/", {"seat_ids": setup.ids("C2")},
                          format="json")
    assert taken.status_code == 409
    assert taken.json() == {"success": False, "code": "seats_unavailable",
                            "error": "The following seats are not available: C2 (reserved)."}
    seed = cashier.get(f"/sales/ajax/seat-availability/?event={setup.event.pk}").json()
    assert {s["label"]: s["state"] for s in seed["seats"]}["C1"] == "reserved_by_me"
    assert cashier.get("/sales/ajax/seat-availability/?event=abc").status_code == 400


# --- The hold body's fast path accepts only what the serializer accepts ---------------

_ids = st.one_of(st.integers(min_value=-2, max_value=MAX_ID + 1), st.just(True),
                 st.text(max_size=3), st.floats(allow_nan=False, max_value=1e3),
                 st.none())
_zone = st.dictionaries(st.sampled_from(["zone", "quantity", "other"]), _ids, max_size=3)
_bodies = st.one_of(
    st.fixed_dictionaries({"event": _ids}, optional={
        "seat_ids": st.one_of(st.lists(_ids, max_size=6), _ids),
        "zones": st.one_of(st.lists(_zone, max_size=3), _ids),
        "other": _ids}),
    st.lists(_ids, max_size=2), _ids,
)


@settings(max_examples=400, deadline=None)
@given(_bodies)
def test_fast_hold_body_parse_accepts_only_what_the_serializer_accepts(body):
    fast = plain_hold_request(body)
    if fast is None:
        return
    serializer = HoldCreateSerializer(data=body)
    assert serializer.is_valid(), (body, serializer.errors)
    assert fast == serializer.validated_data


def test_fast_hold_body_parse_takes_the_plain_body_terminals_send():
    body = {"event": 3, "seat_ids": [1, 2], "zones": [{"zone": 4, "quantity": 2}]}
    assert plain_hold_request(body) == body
    assert plain_hold_request({"event": "3"}) is None  # valid, but the serializer's case
