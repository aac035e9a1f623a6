"""Blocked seats (sales.blocks): a venue admin takes seats off sale with a reason (by id,
whole rows, seat ranges); cashiers cannot hold them (409 naming each seat `blocked`);
the seat map shows them `blocked`; the admin can unblock them or hold them to sell; every
action is audited; the Django admin does the same through the same service."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context, tenant_context

from sales.models import SeatBlock, SeatBlockChange
from tests.builders import api_hold, make_event, set_rate
from tests.conftest import api_client


@pytest.fixture
def admin(alpha):
    return api_client(alpha, "admin")


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate("100.0000")
        return make_event(rows="ABC", seats_per_row=6, ga_capacity=10)


def block(client, setup, **body):
    return client.post(f"/api/events/{setup.event.pk}/seat-blocks/", body, format="json")


def release(client, setup, **body):
    return client.post(f"/api/events/{setup.event.pk}/seat-blocks/release/", body,
                       format="json")


def states(client, setup) -> dict[str, str]:
    body = client.get(f"/api/events/{setup.event.pk}/availability/").json()
    return {seat["label"]: seat["state"] for seat in body["seats"]}


def labels(answer: dict, key: str = "seats") -> list[str]:
    return [seat["label"] for seat in answer[key]]


def test_blocked_seats_are_refused_to_a_cashier_with_409_naming_each_one(admin, cashier,
                                                                          setup):
    done = block(admin, setup, seat_ids=setup.ids("A1", "A2"), reason="Prensa")
    assert done.status_code == 200, done.json()
    assert labels(done.json()) == ["A1", "A2"] and done.json()["action"] == "block"

    refused = api_hold(cashier, setup, "A1", "A2", "A3")
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "seats_unavailable"
    assert body["detail"] == "The following seats are not available: A1 (blocked), A2 (blocked)."
    assert [(s["label"], s["reason"]) for s in body["seats"]] == [("A1", "blocked"),
                                                                  ("A2", "blocked")]
    # All or nothing: A3 was not held either; alone it is.
    assert api_hold(cashier, setup, "A3").status_code == 201


def test_a_refusal_names_sold_held_and_blocked_seats_each_with_its_reason(admin, cashier,
                                                                         cashier2, setup):
    assert api_hold(cashier2, setup, "B1").status_code == 201
    block(admin, setup, seat_ids=setup.ids("B2"), reason="Cámara")
    refused = api_hold(cashier, setup, "B1", "B2").json()
    assert [(s["label"], s["reason"]) for s in refused["seats"]] == [("B1", "reserved"),
                                                                     ("B2", "blocked")]


def test_the_seat_map_shows_blocked_seats_and_unblocking_frees_them(admin, cashier, setup):
    assert states(cashier, setup)["A1"] == "available"  # cached map, then changed
    block(admin, setup, zone=setup.zone.pk, rows="A", reason="Casa")
    seen = states(cashier, setup)
    assert {seen[f"A{n}"] for n in range(1, 7)} == {"blocked"}
    assert seen["B1"] == "available"

    freed = release(admin, setup, zone=setup.zone.pk, seats="A1-A3")
    assert freed.status_code == 200 and labels(freed.json()) == ["A1", "A2", "A3"]
    seen = states(cashier, setup)
    assert [seen[f"A{n}"] for n in range(1, 7)] == ["available"] * 3 + ["blocked"] * 3
    assert api_hold(cashier, setup, "A1").status_code == 201


def test_bulk_by_rows_and_by_ranges(admin, setup):
    rows = block(admin, setup, zone=setup.zone.pk, rows="A-B", reason="Producción")
    assert len(rows.json()["seats"]) == 12
    ranges = block(admin, setup, zone=setup.zone.pk, seats="B5-B6,C1-C2,C6", reason="Prensa")
    # B5 and B6 were already blocked: left as they were, with their first reason.
    assert labels(ranges.json()) == ["C1", "C2", "C6"]
    assert labels(ranges.json(), "unchanged") == ["B5", "B6"]
    listed = admin.get(f"/api/events/{setup.event.pk}/seat-blocks/").json()
    assert listed["count"] == 15
    b5 = next(b for b in listed["blocks"] if b["label"] == "B5")
    assert (b5["reason"], b5["blocked_by"], b5["state"]) == ("Producción", "admin", "blocked")
    assert b5["since"] and b5["zone_name"] == "Platea"


@pytest.mark.parametrize(("body", "says"), [
    ({"zone": "Z", "seats": "A1"}, "zone"),
    ({"seats": "A1-A3", "reason": "x"}, "zone"),
    ({"seat_ids": [1], "rows": "A", "zone": 1, "reason": "x"}, "one way"),
    ({"reason": "x"}, "one way"),
])
def test_a_selection_that_is_not_one_way_is_a_400(admin, setup, body, says):
    answer = block(admin, setup, **body)
    assert answer.status_code == 400
    assert says in str(answer.json())


@pytest.mark.parametrize(("body", "says"), [
    ({"seats": "A7"}, "Zone Platea has no seat A7."),
    ({"seats": "A3-A1"}, "runs backwards"),
    ({"seats": "A1-B2"}, "A range stays in one row"),
    ({"rows": "D"}, "Zone Platea has no row D."),
    ({"seats": "A99999999999999999999"}, "numbered as high"),
])
def test_seats_that_do_not_exist_are_named_and_nothing_is_blocked(admin, setup, alpha, body,
                                                                 says):
    answer = block(admin, setup, zone=setup.zone.pk, reason="x", **body)
    assert answer.status_code == 400, answer.json()
    assert says in answer.json()["detail"]
    with tenant_context(alpha.tenant):
        assert not SeatBlock.objects.exists()


def test_a_block_needs_a_reason(admin, setup):
    answer = block(admin, setup, seat_ids=setup.ids("A1"))
    assert answer.status_code == 400 and "reason" in answer.json()
    assert block(admin, setup, seat_ids=setup.ids("A1"), reason="  ").status_code == 400


def test_seats_of_another_event_or_a_ga_zone_are_refused(admin, setup, alpha):
    with tenant_context(alpha.tenant):
        other = make_event(rows="A", seats_per_row=2)
    answer = block(admin, setup, seat_ids=other.ids("A1"), reason="x")
    assert answer.status_code == 400 and "Not seats of this event" in answer.json()["detail"]
    ga = block(admin, setup, zone=setup.ga_zone.pk, rows="A", reason="x")
    assert ga.status_code == 400 and "general admission" in ga.json()["detail"]


def test_blocking_a_held_or_sold_seat_is_409_naming_them_and_blocks_nothing(admin, cashier,
                                                                           setup, alpha):
    hold_id = api_hold(cashier, setup, "C1").json()["id"]
    paid = cashier.post(f"/api/holds/{hold_id}/checkout/", {"payments": [
        {"method": "cash", "currency": "USD", "amount": "11.95"}]}, format="json")
    assert paid.json()["transaction"]["status"] == "completed"
    assert api_hold(cashier, setup, "C2").status_code == 201
    refused = block(admin, setup, zone=setup.zone.pk, rows="C", reason="Cámara")
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "seats_not_blockable"
    assert [(s["label"], s["reason"]) for s in body["seats"]] == [("C1", "sold"),
                                                                  ("C2", "reserved")]
    assert "C1 (sold), C2 (reserved)" in body["detail"]
    with tenant_context(alpha.tenant):
        assert not SeatBlock.objects.exists()
        assert not SeatBlockChange.objects.exists()


def test_only_a_venue_admin_may_hold_blocked_seats_to_sell_them(admin, cashier, setup):
    block(admin, setup, seat_ids=setup.ids("A1"), reason="Casa")
    body = {"event": setup.event.pk, "seat_ids": setup.ids("A1"), "include_blocked": True}
    forbidden = cashier.post("/api/holds/", body, format="json")
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "blocked_seats_forbidden"

    held = admin.post("/api/holds/", body, format="json")
    assert held.status_code == 201, held.json()
    assert states(admin, setup)["A1"] == "reserved_by_me"
    # Sold through the normal checkout.
    paid = admin.post(f"/api/holds/{held.json()['id']}/checkout/", {"payments": [
        {"method": "cash", "currency": "USD", "amount": "11.95"}]}, format="json")
    assert paid.json()["transaction"]["status"] == "completed"
    assert states(cashier, setup)["A1"] == "sold"
    listed = admin.get(f"/api/events/{setup.event.pk}/seat-blocks/").json()
    assert [(b["label"], b["state"]) for b in listed["blocks"]] == [("A1", "sold")]


def test_a_lapsed_admin_hold_leaves_the_seat_blocked(admin, cashier, setup):
    block(admin, setup, seat_ids=setup.ids("A1"), reason="Casa")
    held = admin.post("/api/holds/", {"event": setup.event.pk, "seat_ids": setup.ids("A1"),
                                      "include_blocked": True}, format="json").json()
    assert admin.delete(f"/api/holds/{held['id']}/").status_code == 200
    assert states(cashier, setup)["A1"] == "blocked"
    assert api_hold(cashier, setup, "A1").json()["seats"][0]["reason"] == "blocked"


def test_every_block_and_unblock_is_in_the_audit_log(admin, setup):
    block(admin, setup, zone=setup.zone.pk, seats="A1-A2", reason="Prensa")
    release(admin, setup, seat_ids=setup.ids("A2", "A3"), reason="Vendidos a pedido")
    release(admin, setup, seat_ids=setup.ids("A3"))  # changes nothing: no entry
    log = admin.get(f"/api/events/{setup.event.pk}/seat-blocks/log/").json()
    assert [(e["action"], e["reason"], e["seats"], e["user"]) for e in log["entries"]] == [
        ("unblock", "Vendidos a pedido", ["A2"], "admin"),
        ("block", "Prensa", ["A1", "A2"], "admin"),
    ]


def test_cashiers_cannot_block_unblock_or_read_blocks(cashier, setup):
    assert block(cashier, setup, seat_ids=setup.ids("A1"), reason="x").status_code == 403
    assert release(cashier, setup, seat_ids=setup.ids("A1")).status_code == 403
    assert cashier.get(f"/api/events/{setup.event.pk}/seat-blocks/").status_code == 403
    assert cashier.get(f"/api/events/{setup.event.pk}/seat-blocks/log/").status_code == 403


def test_an_unknown_event_is_404(admin):
    assert admin.post("/api/events/999999/seat-blocks/", {"seat_ids": [1], "reason": "x"},
                      format="json").status_code == 404


# --- Django admin ------------------------------------------------------------------------


@pytest.fixture
def admin_site(alpha):
    client = api_client(alpha)
    with schema_context(alpha.schema):
        client.force_login(get_user_model().objects.get(username="admin"))
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_admin_blocks_and_unblocks_through_the_same_service(admin_site, admin, cashier,
                                                                setup, alpha):
    seats = setup.ids("B1", "B2")
    done = admin_site.post("/admin/sales/seat/", {
        "action": "block_seats", "_selected_action": seats, "reason": "Técnico"}, follow=True)
    assert "2 seat(s) blocked." in messages_of(done)
    assert states(cashier, setup)["B1"] == "blocked"
    no_reason = admin_site.post("/admin/sales/seat/", {
        "action": "block_seats", "_selected_action": setup.ids("B3")}, follow=True)
    assert any("reason" in m for m in messages_of(no_reason))

    with tenant_context(alpha.tenant):
        block_ids = list(SeatBlock.objects.filter(seat_id__in=seats)
                         .values_list("id", flat=True))
    freed = admin_site.post("/admin/sales/seatblock/", {
        "action": "unblock", "_selected_action": block_ids, "reason": "Liberado"},
        follow=True)
    assert "2 seat(s) unblocked." in messages_of(freed)
    assert states(cashier, setup)["B1"] == "available"
    log = admin.get(f"/api/events/{setup.event.pk}/seat-blocks/log/").json()["entries"]
    assert [(e["action"], e["reason"]) for e in log] == [("unblock", "Liberado"),
                                                         ("block", "Técnico")]
    page = admin_site.get("/admin/sales/seatblockchange/")
    assert page.status_code == 200


def test_the_admin_refuses_to_block_a_held_seat_with_a_message(admin_site, cashier, setup):
    assert api_hold(cashier, setup, "C3").status_code == 201
    answer = admin_site.post("/admin/sales/seat/", {
        "action": "block_seats", "_selected_action": setup.ids("C3"), "reason": "x"},
        follow=True)
    assert any("C3 (reserved)" in m for m in messages_of(answer))


def test_prices_of_a_blocked_seat_sold_by_the_admin_are_the_zones(admin, setup):
    block(admin, setup, seat_ids=setup.ids("A6"), reason="Casa")
    held = admin.post("/api/holds/", {"event": setup.event.pk, "seat_ids": setup.ids("A6"),
                                      "include_blocked": True}, format="json").json()
    assert Decimal(held["items"][0]["unit_price"]) == Decimal("10.00")
