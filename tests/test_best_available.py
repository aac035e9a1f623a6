"""Best available through the API: `POST /api/holds/ {event, zone, best_available: N,
together}` holds the N best seats the rule picks (reservations.best_available), through
the ordinary hold; 409 `no_adjacent_seats` naming the zone and N when there is no such
block. The picking itself is tested as a pure function in test_best_available_pick."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from reservations.serializers import plain_hold_request
from tests.builders import api_hold, change_tenant_settings, make_event, set_rate
from tests.conftest import api_client


@pytest.fixture
def admin(alpha):
    return api_client(alpha, "admin")


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate("100.0000")
        return make_event(rows="ABCD", seats_per_row=8, ga_capacity=10)


def best(client, setup, n: int, **extra):
    return client.post("/api/holds/", {"event": setup.event.pk, "zone": setup.zone.pk,
                                       "best_available": n, **extra}, format="json")


def held(response) -> list[str]:
    assert response.status_code == 201, response.json()
    return [item["label"] for item in response.json()["items"]]


def test_the_best_block_is_front_row_centre(cashier, setup):
    assert held(best(cashier, setup, 4)) == ["A3", "A4", "A5", "A6"]
    # Row A has pairs left at its ends (A1-A2, A7-A8): four together go to row B.
    assert held(best(cashier, setup, 4)) == ["B3", "B4", "B5", "B6"]
    assert held(best(cashier, setup, 2)) in (["A1", "A2"], ["A7", "A8"])


def test_a_pair_is_never_split_when_a_better_block_exists(cashier, cashier2, setup):
    # Row A keeps only single seats free (A1, A3, A5, A7): a pair goes to row B whole.
    assert api_hold(cashier2, setup, "A2", "A4", "A6", "A8").status_code == 201
    assert held(best(cashier, setup, 2)) == ["B4", "B5"]


def test_no_single_seat_is_stranded_between_taken_ones_when_avoidable(cashier, cashier2,
                                                                      setup):
    # Row A: A3-A5 free between taken seats: a pair there would strand one seat.
    assert api_hold(cashier2, setup, "A1", "A2", "A6", "A7", "A8").status_code == 201
    assert held(best(cashier, setup, 2)) == ["B4", "B5"]
    # Three fit exactly: row A again.
    assert held(best(cashier, setup, 3)) == ["A3", "A4", "A5"]


def test_the_zone_ranks_its_rows(admin, cashier, setup):
    changed = admin.patch(f"/api/zones/{setup.zone.pk}/", {"row_order": "C,B"},
                          format="json")
    assert changed.status_code == 200 and changed.json()["row_order"] == "C,B"
    assert held(best(cashier, setup, 2)) == ["C4", "C5"]
    refused = admin.patch(f"/api/zones/{setup.zone.pk}/", {"row_order": "A,B,A"},
                          format="json")
    assert refused.status_code == 400


def test_together_false_takes_the_best_seats_split_across_rows(cashier, cashier2, setup):
    # Row A: only A1, A8 free (the ends); rows B-D free. Four best, not together: the
    # split would reach row B, where four fit together: kept together there.
    assert api_hold(cashier2, setup, *[f"A{n}" for n in range(2, 8)]).status_code == 201
    assert held(best(cashier, setup, 4, together=False)) == ["B3", "B4", "B5", "B6"]
    # Three: A1 and A8 are the best seats left, then row B's best (no row as good has
    # three together).
    assert held(best(cashier, setup, 3, together=False)) == ["A1", "A8", "B2"]


def test_no_n_adjacent_seats_is_409_naming_the_zone_and_n(cashier, setup):
    # Rows of eight: nine together cannot be, though 32 seats are free.
    refused = best(cashier, setup, 9)
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "no_adjacent_seats"
    assert body["detail"] == "No 9 adjacent seats are free in zone Platea."
    assert body["zone"] == {"id": setup.zone.pk, "name": "Platea"}
    assert body["requested"] == 9
    # Not together, nine are there: rows A and B.
    assert sorted({label[0] for label in held(best(cashier, setup, 9, together=False))}) == [
        "A", "B"]


def test_not_enough_seats_at_all_is_409_not_enough_seats(admin, cashier, setup):
    rows = admin.post(f"/api/events/{setup.event.pk}/seat-blocks/",
                      {"zone": setup.zone.pk, "rows": "A-C", "reason": "Producción"},
                      format="json")
    assert rows.status_code == 200
    refused = best(cashier, setup, 9, together=False)
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_enough_seats"
    assert refused.json()["detail"] == "Only 8 seat(s) are free in zone Platea (9 requested)."


def test_blocked_seats_are_never_picked(admin, cashier, setup):
    admin.post(f"/api/events/{setup.event.pk}/seat-blocks/",
               {"zone": setup.zone.pk, "seats": "A3-A6", "reason": "Cámara"}, format="json")
    assert held(best(cashier, setup, 4)) == ["B3", "B4", "B5", "B6"]


def test_more_than_the_session_limit_is_refused_by_the_hold(cashier, setup, alpha):
    with tenant_context(alpha.tenant):
        change_tenant_settings(alpha.tenant, max_reservations_per_session=3)
    refused = best(cashier, setup, 4)
    assert refused.status_code == 400
    assert refused.json()["code"] == "session_limit"


@pytest.mark.parametrize(("body", "status", "says"), [
    ({"best_available": 2}, 400, "zone"),
    ({"zone": "GA", "best_available": 2}, 400, "general admission"),
    ({"best_available": 2, "seat_ids": [1]}, 400, "no seat_ids"),
    ({"best_available": 0}, 400, "best_available"),
    ({"zone": "ZONE", "best_available": 2, "include_blocked": True}, 400, "blocked"),
    ({"zone": "ZONE", "together": False, "seat_ids": [1]}, 400, "best_available"),
    ({"zone": 999999, "best_available": 2}, 400, "does not exist"),
])
def test_bad_best_available_requests_are_400(cashier, setup, body, status, says):
    body = dict(body)
    if body.get("zone") == "GA":
        body["zone"] = setup.ga_zone.pk
    elif body.get("zone") == "ZONE":
        body["zone"] = setup.zone.pk
    answer = cashier.post("/api/holds/", {"event": setup.event.pk, **body}, format="json")
    assert answer.status_code == status, answer.json()
    assert says in str(answer.json())


def test_the_fast_body_path_leaves_best_available_to_the_serializer():
    assert plain_hold_request({"event": 1, "zone": 2, "best_available": 2}) is None
    assert plain_hold_request({"event": 1, "seat_ids": [2], "include_blocked": True}) is None


def test_the_answer_is_an_ordinary_hold(cashier, setup):
    answer = best(cashier, setup, 2)
    body = answer.json()
    assert answer.status_code == 201
    assert body["status"] == "pending" and body["event"] == setup.event.pk
    assert body["subtotal"] == "20.00" and len(body["items"]) == 2
    assert cashier.delete(f"/api/holds/{body['id']}/").status_code == 200
