"""Sold means sold: once anything of an event is held or sold, the catalogue cannot change
under it (a zone's kind, tax category or capacity below its claims, the event's currency,
a claimed seat's place), each refusal a 409 naming what blocks it; prices change only for
what is sold afterwards; every catalogue change shows in availability at once.

Each rule has a control test that takes the rule away (the service's check monkeypatched
off and the database guard disabled inside the test's transaction) and shows the oversell
or the stale read it prevents: proof that the rule's test can fail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context, tenant_context

from reservations.models import ReservedTicket
from sales import services
from sales.models import Event, Seat, Ticket, Zone
from tests.builders import api_hold, api_hold_id, make_event, set_rate
from tests.conftest import api_client

PAID_10_USD = [{"method": "cash", "currency": "USD", "amount": "11.95"}]  # 10 + IVA + IGTF


@pytest.fixture
def admin(alpha):
    return api_client(alpha, "admin")


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate("100.0000")
        return make_event(rows="A", seats_per_row=5, price="10.00", ga_capacity=10)


def sell(cashier, setup, *labels: str) -> int:
    hold_id = api_hold_id(cashier, setup, *labels)
    paid = cashier.post(f"/api/holds/{hold_id}/checkout/",
                        {"payments": [{"method": "cash", "currency": "USD",
                                       "amount": str(Decimal("11.95") * len(labels))}]},
                        format="json")
    assert paid.json()["transaction"]["status"] == "completed", paid.json()
    return hold_id


def availability(client, setup) -> dict:
    response = client.get(f"/api/events/{setup.event.pk}/availability/")
    assert response.status_code == 200
    return response.json()


def zone_of(body: dict, zone_id: int) -> dict:
    return next(z for z in body["zones"] if z["id"] == zone_id)


def in_alpha_schema():
    return schema_context("alpha")


def claimed(zone: Zone) -> int:
    with in_alpha_schema():
        return sum(ReservedTicket.objects.unfinished().filter(zone=zone)
                   .values_list("quantity", flat=True))


@contextmanager
def rule_off(monkeypatch, check: str, *triggers: tuple[str, str]) -> Iterator[None]:
    """The rule taken away: the service's check answers "no objection" and the database
    guards are disabled (inside the test's transaction, rolled back with it)."""
    monkeypatch.setattr(services, check, lambda *args, **kwargs: None)
    with in_alpha_schema(), connection.cursor() as cursor:
        # A table with foreign-key checks still queued cannot be altered: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, trigger in triggers:
            cursor.execute(f"ALTER TABLE alpha.{table} DISABLE TRIGGER {trigger}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield


ZONE_GUARD = ("sales_zone", "sales_zone_guard")
EVENT_GUARD = ("sales_event", "sales_event_guard")
SEAT_GUARD = ("sales_seat", "sales_seat_guard")
INTERLOCK = ("reservations_reservedticket", "reserved_ticket_catalogue_interlock")


# --- A zone's kind -------------------------------------------------------------------


def test_a_zone_with_sold_seats_keeps_its_kind_409_naming_the_zone(admin, cashier, setup):
    sell(cashier, setup, "A1")
    api_hold_id(cashier, setup, "A2")
    response = admin.patch(f"/api/zones/{setup.zone.pk}/", {"kind": "general",
                                                             "capacity": 45}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "zone_kind_locked"
    assert response.json()["detail"] == (
        "Zone Platea has 2 sold or held seats; its kind cannot change.")
    body = availability(cashier, setup)
    assert zone_of(body, setup.zone.pk)["kind"] == "numbered"
    assert zone_of(body, setup.zone.pk)["available"] is None


def test_no_zone_of_an_event_with_holds_changes_kind(admin, cashier, setup):
    api_hold_id(cashier, setup, zones=[{"zone": setup.ga_zone.pk, "quantity": 2}])
    with in_alpha_schema():
        empty = Zone.objects.create(event=setup.event, name="Palco", price=Decimal("50"))
    response = admin.patch(f"/api/zones/{empty.pk}/", {"kind": "general", "capacity": 8},
                           format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"Event {setup.event.name} has 2 sold or held tickets; the kind of zone Palco cannot "
        "change once its event has sales or holds.")


def test_an_unsold_event_may_change_a_zone_kind_but_not_with_seats_in_it(admin, setup):
    with_seats = admin.patch(f"/api/zones/{setup.zone.pk}/", {"kind": "general",
                                                               "capacity": 5}, format="json")
    assert with_seats.status_code == 409
    assert with_seats.json()["code"] == "zone_has_seats"
    assert "Zone Platea has 5 seats; delete them" in with_seats.json()["detail"]
    to_numbered = admin.patch(f"/api/zones/{setup.ga_zone.pk}/", {"kind": "numbered"},
                              format="json")
    assert to_numbered.status_code == 200
    assert (to_numbered.json()["kind"], to_numbered.json()["capacity"]) == ("numbered", 0)


def test_control_without_the_kind_rule_a_sold_zone_turns_general_and_oversells(
        admin, cashier, cashier2, setup, monkeypatch):
    sell(cashier, setup, "A1", "A2")
    with rule_off(monkeypatch, "zone_change_refusal", ZONE_GUARD, INTERLOCK):
        response = admin.patch(f"/api/zones/{setup.zone.pk}/", {"kind": "general",
                                                                 "capacity": 5},
                               format="json")
        assert response.status_code == 200
        # The seat map now offers all five places as general admission ...
        assert zone_of(availability(cashier2, setup), setup.zone.pk)["available"] == 5
        ga = api_hold(cashier2, setup, zones=[{"zone": setup.zone.pk, "quantity": 5}])
        assert ga.status_code == 201
        # ... and a seat of the same zone is still sold on top: 8 claims on 5 places.
        assert api_hold(cashier, setup, "A3").status_code == 201
        assert claimed(setup.zone) == 8 > 5


# --- A zone's capacity and tax category ------------------------------------------------


def test_capacity_cannot_drop_below_what_is_held_or_sold(admin, cashier, setup):
    sell(cashier, setup, "A1")  # another zone: does not count
    api_hold_id(cashier, setup, zones=[{"zone": setup.ga_zone.pk, "quantity": 4}])
    url = f"/api/zones/{setup.ga_zone.pk}/"
    refused = admin.patch(url, {"capacity": 3}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "capacity_below_claimed"
    assert refused.json()["detail"] == (
        "Zone General has 4 sold or held places; its capacity cannot drop below that "
        "(asked 3).")
    assert admin.patch(url, {"capacity": 4}, format="json").status_code == 200
    assert zone_of(availability(cashier, setup), setup.ga_zone.pk)["available"] == 0


def test_control_without_the_capacity_rule_the_zone_is_oversold(admin, cashier, setup,
                                                                monkeypatch):
    api_hold_id(cashier, setup, zones=[{"zone": setup.ga_zone.pk, "quantity": 4}])
    with rule_off(monkeypatch, "zone_change_refusal", ZONE_GUARD):
        response = admin.patch(f"/api/zones/{setup.ga_zone.pk}/", {"capacity": 3},
                               format="json")
        assert response.status_code == 200
        assert claimed(setup.ga_zone) == 4 > response.json()["capacity"] == 3


def test_tax_category_of_a_held_zone_cannot_change(admin, cashier, setup):
    api_hold_id(cashier, setup, "A1")
    response = admin.patch(f"/api/zones/{setup.zone.pk}/", {"tax_category": "exempt"},
                           format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "zone_tax_category_locked"
    assert response.json()["detail"].startswith("Zone Platea has 1 sold or held seat;")
    unsold = admin.patch(f"/api/zones/{setup.ga_zone.pk}/", {"tax_category": "exempt"},
                         format="json")
    assert unsold.status_code == 200


def test_control_without_the_tax_rule_a_held_seat_is_charged_differently(
        admin, cashier, setup, monkeypatch):
    hold_id = api_hold_id(cashier, setup, "A1")
    before = cashier.post(f"/api/holds/{hold_id}/quote/", {}, format="json").json()
    with rule_off(monkeypatch, "zone_change_refusal", ZONE_GUARD):
        assert admin.patch(f"/api/zones/{setup.zone.pk}/", {"tax_category": "exempt"},
                           format="json").status_code == 200
        after = cashier.post(f"/api/holds/{hold_id}/quote/", {}, format="json").json()
    assert before["total_ves"] != after["total_ves"]


# --- An event's currency --------------------------------------------------------------


def test_currency_of_an_event_with_a_hold_cannot_change(admin, cashier, setup):
    api_hold_id(cashier, setup, "A1")
    response = admin.patch(f"/api/events/{setup.event.pk}/", {"currency": "VES"},
                           format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Event {setup.event.name} has 1 sold or held ticket; its currency cannot "
                  "change.",
        "code": "event_currency_locked", "event": setup.event.name, "claimed": 1}
    assert admin.patch(f"/api/events/{setup.event.pk}/", {"name": "Gala II"},
                       format="json").status_code == 200


def test_control_without_the_currency_rule_the_next_hold_is_priced_in_bolivares(
        admin, cashier, setup, monkeypatch):
    first = api_hold(cashier, setup, "A1").json()
    with rule_off(monkeypatch, "event_change_refusal", EVENT_GUARD, INTERLOCK):
        assert admin.patch(f"/api/events/{setup.event.pk}/", {"currency": "VES"},
                           format="json").status_code == 200
        second = api_hold(cashier, setup, "A2").json()
    assert (first["subtotal"], first["currency"]) == ("10.00", "USD")
    assert (second["subtotal"], second["currency"]) == ("10.00", "VES")


# --- Seats ----------------------------------------------------------------------------


def test_a_sold_or_held_seat_cannot_be_moved_or_deleted(admin, cashier, setup):
    sell(cashier, setup, "A1")
    api_hold_id(cashier, setup, "A2")
    sold, held = setup.seats["A1"].pk, setup.seats["A2"].pk
    moved = admin.patch(f"/api/seats/{sold}/", {"row": "Z"}, format="json")
    assert moved.status_code == 409
    assert moved.json()["detail"] == "Seat A1 of Platea is sold; it cannot be moved."
    deleted = admin.delete(f"/api/seats/{held}/")
    assert deleted.status_code == 409
    assert deleted.json()["detail"] == "Seat A2 of Platea is held; it cannot be deleted."
    assert deleted.json()["code"] == "seat_claimed"


def test_a_free_seat_moves_relabelled_or_goes_and_the_zone_counts_its_seats(admin, setup):
    seat = setup.seats["A5"].pk
    moved = admin.patch(f"/api/seats/{seat}/", {"row": "B", "number": 1}, format="json")
    assert moved.status_code == 200
    assert (moved.json()["row"], moved.json()["number"], moved.json()["label"]) == (
        "B", 1, "B1")
    clash = admin.patch(f"/api/seats/{seat}/", {"row": "A", "number": 1}, format="json")
    assert clash.status_code == 400  # A1 exists
    relabel_clash = admin.patch(f"/api/seats/{seat}/", {"label": "A1"}, format="json")
    assert relabel_clash.status_code == 400
    to_ga = admin.patch(f"/api/seats/{seat}/", {"zone": setup.ga_zone.pk}, format="json")
    assert to_ga.status_code == 400
    assert admin.delete(f"/api/seats/{seat}/").status_code == 204
    with in_alpha_schema():
        assert Zone.objects.get(pk=setup.zone.pk).capacity == 4


def test_control_without_the_seat_rule_a_sold_seat_is_sold_twice(admin, cashier, cashier2,
                                                                 setup, monkeypatch):
    sell(cashier, setup, "A1")
    with rule_off(monkeypatch, "seat_change_refusal", SEAT_GUARD):
        moved = admin.patch(f"/api/seats/{setup.seats['A1'].pk}/", {"row": "Z"},
                            format="json")
        assert moved.status_code == 200
        # The place called A1 is free again on the seat map: a new A1 is sold on top.
        again = admin.post(f"/api/zones/{setup.zone.pk}/seats/", {"rows": "A",
                                                                   "seats_per_row": 1},
                           format="json")
        assert again.status_code == 201
        new_a1 = again.json()[0]["id"]
        assert cashier2.post("/api/holds/", {"event": setup.event.pk, "seat_ids": [new_a1]},
                             format="json").status_code == 201
    with in_alpha_schema():
        printed = [t.seat.label for t in Ticket.objects.filter(event=setup.event)]
    assert printed == ["Z1"]  # the ticket the customer holds no longer says A1


# --- Prices ---------------------------------------------------------------------------


def test_a_new_price_applies_only_to_what_is_sold_afterwards(admin, cashier, setup):
    held = api_hold_id(cashier, setup, "A1")
    changed = admin.patch(f"/api/zones/{setup.zone.pk}/", {"price": "12.00"}, format="json")
    assert changed.status_code == 200
    paid = cashier.post(f"/api/holds/{held}/checkout/", {"payments": PAID_10_USD},
                        format="json").json()["transaction"]
    assert paid["status"] == "completed"
    assert [t["price"] for t in paid["tickets"]] == ["10.00"]
    assert paid["invoice"]["total_foreign"] == "11.60"  # 10.00 + 16 % IVA
    # The control: the new price is in force for the next hold.
    later = api_hold(cashier, setup, "A2").json()
    assert (later["subtotal"], later["items"][0]["unit_price"]) == ("12.00", "12.00")


# --- Availability after catalogue changes ------------------------------------------------


CHANGES = {
    "zone price": lambda admin, s: admin.patch(f"/api/zones/{s.zone.pk}/",
                                               {"price": "7.77"}, format="json"),
    "zone name": lambda admin, s: admin.patch(f"/api/zones/{s.zone.pk}/",
                                              {"name": "Platea Alta"}, format="json"),
    "new zone": lambda admin, s: admin.post(f"/api/events/{s.event.pk}/zones/", {
        "name": "Pista", "kind": "general", "capacity": 30, "price": "5.00"}, format="json"),
    "zone deleted": lambda admin, s: admin.delete(f"/api/zones/{s.ga_zone.pk}/"),
    "new seats": lambda admin, s: admin.post(f"/api/zones/{s.zone.pk}/seats/", {
        "rows": "B", "seats_per_row": 2}, format="json"),
    "seat relabelled": lambda admin, s: admin.patch(f"/api/seats/{s.seats['A5'].pk}/",
                                                    {"label": "A5bis"}, format="json"),
    "seat deleted": lambda admin, s: admin.delete(f"/api/seats/{s.seats['A5'].pk}/"),
}


def _digest(body: dict) -> tuple:
    return (tuple((z["id"], z["name"], z["price"], z["capacity"]) for z in body["zones"]),
            tuple((s["id"], s["label"]) for s in body["seats"]))


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_every_catalogue_change_shows_in_availability_at_once(admin, cashier, setup, change):
    before = cashier.get(f"/api/events/{setup.event.pk}/availability/")
    assert CHANGES[change](admin, setup).status_code in (200, 201, 204)
    polled = cashier.get(f"/api/events/{setup.event.pk}/availability/",
                         HTTP_IF_NONE_MATCH=before["ETag"])
    assert polled.status_code == 200, "a poller's ETag still answered 304"
    assert _digest(polled.json()) != _digest(before.json())


def test_control_without_invalidation_a_price_change_is_read_stale(admin, cashier, setup,
                                                                   monkeypatch):
    availability(cashier, setup)  # cached
    monkeypatch.setattr(services, "invalidate_availability", lambda event_ids: None)
    assert admin.patch(f"/api/zones/{setup.zone.pk}/", {"price": "7.77"},
                       format="json").status_code == 200
    assert zone_of(availability(cashier, setup), setup.zone.pk)["price"] == "10.00"


# --- The database guards ------------------------------------------------------------------


def test_the_database_refuses_catalogue_changes_that_bypass_the_services(cashier, setup):
    sell(cashier, setup, "A1")
    api_hold_id(cashier, setup, zones=[{"zone": setup.ga_zone.pk, "quantity": 4}])
    with in_alpha_schema():
        zones, events, seats = Zone.objects, Event.objects, Seat.objects
        refused = {
            "kind": lambda: zones.filter(pk=setup.zone.pk).update(kind="general"),
            "tax": lambda: zones.filter(pk=setup.zone.pk).update(tax_category="exempt"),
            "capacity": lambda: zones.filter(pk=setup.ga_zone.pk).update(capacity=3),
            "currency": lambda: events.filter(pk=setup.event.pk).update(currency="VES"),
            "seat": lambda: seats.filter(pk=setup.seats["A1"].pk).update(row="Z"),
        }
        for name, write in refused.items():
            with pytest.raises(IntegrityError, match="sold or held"), transaction.atomic():
                write()
                pytest.fail(f"{name}: the database let it through")
        # What does not touch a claim goes through.
        assert zones.filter(pk=setup.zone.pk).update(price=Decimal("12.00")) == 1
        assert zones.filter(pk=setup.ga_zone.pk).update(capacity=4) == 1
        assert seats.filter(pk=setup.seats["A5"].pk).update(row="Z") == 1


# --- The Django admin goes through the same services ------------------------------------


@pytest.fixture
def admin_site(alpha):
    from django.contrib.auth import get_user_model

    client = api_client(alpha)
    with in_alpha_schema():
        client.force_login(get_user_model().objects.get(username="admin"))
    return client


def zone_form(zone: Zone, **changes) -> dict:
    data = {"event": zone.event_id, "name": zone.name, "kind": zone.kind,
            "capacity": zone.capacity, "price": str(zone.price),
            "tax_category": zone.tax_category, "max_entries": zone.max_entries}
    return {**data, **changes}


def test_the_admin_refuses_to_change_a_sold_zone_and_names_why(admin_site, cashier, setup):
    sell(cashier, setup, "A1")
    page = admin_site.post(f"/admin/sales/zone/{setup.zone.pk}/change/",
                           zone_form(setup.zone, kind="general", capacity=45))
    assert page.status_code == 200  # the form again, with the reason
    assert "Zone Platea has 1 sold or held seat; its kind cannot change." in (
        page.content.decode())
    with in_alpha_schema():
        assert Zone.objects.get(pk=setup.zone.pk).kind == "numbered"
    seat = setup.seats["A1"]
    moved = admin_site.post(f"/admin/sales/seat/{seat.pk}/change/", {
        "zone": seat.zone_id, "row": "Z", "number": 1, "label": "Z1"})
    assert "Seat A1 of Platea is sold; it cannot be moved." in moved.content.decode()


def test_a_price_changed_in_the_admin_shows_in_availability_at_once(admin_site, cashier,
                                                                     setup):
    assert zone_of(availability(cashier, setup), setup.zone.pk)["price"] == "10.00"
    saved = admin_site.post(f"/admin/sales/zone/{setup.zone.pk}/change/",
                            zone_form(setup.zone, price="7.77"))
    assert saved.status_code == 302
    assert zone_of(availability(cashier, setup), setup.zone.pk)["price"] == "7.77"


def test_the_admin_refuses_a_new_currency_for_a_sold_event(admin_site, cashier, setup):
    sell(cashier, setup, "A1")
    url = f"/admin/sales/event/{setup.event.pk}/change/"
    assert admin_site.get(url).status_code == 200
    zones = [setup.zone.pk, setup.ga_zone.pk]
    form = {"venue": setup.event.venue_id, "name": setup.event.name, "status": "on_sale",
            "starts_at_0": setup.event.starts_at.strftime("%Y-%m-%d"),
            "starts_at_1": setup.event.starts_at.strftime("%H:%M:%S"),
            "zones-TOTAL_FORMS": 2, "zones-INITIAL_FORMS": 2, "zones-MIN_NUM_FORMS": 0,
            "zones-MAX_NUM_FORMS": 1000,
            **{f"zones-{i}-id": zone for i, zone in enumerate(zones)},
            **{f"zones-{i}-event": setup.event.pk for i in range(2)}}
    refused = admin_site.post(url, {**form, "currency": "VES"})
    assert "has 1 sold or held ticket; its currency cannot change." in (
        refused.content.decode())
    renamed = admin_site.post(url, {**form, "currency": "USD", "name": "Gala II"})
    assert renamed.status_code == 302
    with in_alpha_schema():
        assert Event.objects.get(pk=setup.event.pk).name == "Gala II"


def test_a_refusal_only_the_database_saw_is_still_a_409_naming_the_zone(admin, cashier,
                                                                         setup, monkeypatch):
    """As when a hold commits between the service's check and its write: the guard's
    refusal comes back as a 409 with its own message, not a 500."""
    api_hold_id(cashier, setup, zones=[{"zone": setup.ga_zone.pk, "quantity": 4}])
    monkeypatch.setattr(services, "zone_change_refusal", lambda *args, **kwargs: None)
    response = admin.patch(f"/api/zones/{setup.ga_zone.pk}/", {"capacity": 3}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Zone General has 4 sold or held tickets; its capacity cannot drop below "
                  "that (asked 3).", "code": "catalogue_locked"}
