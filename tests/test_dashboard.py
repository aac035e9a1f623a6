"""The dashboard's API (GET /api/dashboard/events/{id}/ and /api/dashboard/days/{day}/):
its figures after real holds, sales in both currencies with change, a reservation, a
refund, a cancelled reservation and an expiry, and that they agree with the availability,
the X report and the reservation statistics; roles, tenants, bad ids and days."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from fiscal.selectors import fiscal_day
from reservations.stats import reservation_stats
from sales.dashboard.selectors import event_dashboard
from sales.models import Payment
from tests.builders import api_hold_id as hold
from tests.builders import make_event, payment, set_rate
from tests.conftest import api_client


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate("100.0000")
        return make_event(rows="AB", seats_per_row=5, price="10.00", ga_capacity=20,
                          ga_price="10.00")


def checkout(client, hold_id, *payments, reserve=False):
    response = client.post(f"/api/holds/{hold_id}/checkout/",
                           {"payments": list(payments), "reserve": reserve}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["transaction"]


def due_ves(client, hold_id) -> str:
    return client.get(f"/api/holds/{hold_id}/").json()["amounts_due"]["VES"]


def by_method(rows) -> dict[tuple[str, str], dict]:
    return {(r["method"], r["currency"]): r for r in rows}


@pytest.fixture
def busy_day(cashier, setup, alpha):
    """A day at the till, at 10:xx in Caracas: a sale paid in USD cash with change in Bs,
    one paid by pago móvil, a partly paid reservation of 3 GA places, a released hold, a
    hold that expires (time moves 11 minutes: nobody records it), a hold still open and a
    blocked seat. Returns what the test needs."""
    admin = api_client(alpha, "admin")
    start = timezone.now().replace(hour=14, minute=5, second=0, microsecond=0)  # 10:05 VET
    if fiscal_day(start) != fiscal_day():
        start -= timedelta(days=1)
    with time_machine.travel(start, tick=False):
        with tenant_context(alpha.tenant):
            set_rate("100.0000")
        cash_sale = hold(cashier, setup, "A1", "A2")
        checkout(cashier, cash_sale, payment("cash", "USD", "30.00"))
        mobile_sale = hold(cashier, setup, "B1")
        mobile = checkout(cashier, mobile_sale,
                          payment("pago_movil", "VES", due_ves(cashier, mobile_sale)))
        reservation = hold(cashier, setup, zones=[{"zone": setup.ga_zone.pk, "quantity": 3}])
        checkout(cashier, reservation, payment("pago_movil", "VES", "1000.00"), reserve=True)
        released = hold(cashier, setup, "A3")
        assert cashier.delete(f"/api/holds/{released}/").status_code == 200
        hold(cashier, setup, "A4")  # will expire
        blocked = admin.post(f"/api/events/{setup.event.pk}/seat-blocks/",
                             {"seat_ids": setup.ids("B5"), "reason": "Cámara"}, format="json")
        assert blocked.status_code == 200, blocked.json()
    later = start + timedelta(minutes=11)
    traveller = time_machine.travel(later, tick=False)
    traveller.start()
    open_hold = hold(cashier, setup, "A5")
    yield {"admin": admin, "start": start, "later": later, "mobile": mobile,
           "reservation": reservation, "open_hold": open_hold}
    traveller.stop()


def test_occupancy_counts_every_state_per_seat_and_zone_as_the_availability_shows(
        busy_day, setup, cashier):
    admin = busy_day["admin"]
    answer = admin.get(f"/api/dashboard/events/{setup.event.pk}/")
    assert answer.status_code == 200, answer.json()
    occupancy = answer.json()["occupancy"]
    platea = next(z for z in occupancy["zones"] if z["id"] == setup.zone.pk)
    states = {s["label"]: s["state"] for s in platea["seats"]}
    assert states == {"A1": "sold", "A2": "sold", "A3": "free", "A4": "free",
                      "A5": "held", "B1": "sold", "B2": "free", "B3": "free", "B4": "free",
                      "B5": "blocked"}
    assert platea["counts"] == {"sold": 3, "reserved": 0, "held": 1, "free": 5, "blocked": 1}
    general = next(z for z in occupancy["zones"] if z["id"] == setup.ga_zone.pk)
    assert general["counts"] == {"sold": 0, "reserved": 3, "held": 0, "free": 17,
                                 "blocked": 0}
    assert "seats" not in general
    assert occupancy["totals"] == {"sold": 3, "reserved": 3, "held": 1, "free": 22,
                                   "blocked": 1}
    # The till's map says the same.
    availability = cashier.get(f"/api/events/{setup.event.pk}/availability/").json()
    till = {"sold": "sold", "reserved_partial": "reserved", "reserved_by_me": "held",
            "reserved": "held", "available": "free", "blocked": "blocked"}
    assert {s["label"]: till[s["state"]] for s in availability["seats"]} == states
    assert next(z for z in availability["zones"]
                if z["id"] == setup.ga_zone.pk)["available"] == general["counts"]["free"]


def test_holds_conversion_and_abandonment_count_the_unrecorded_expiry(busy_day, setup):
    holds = busy_day["admin"].get(f"/api/dashboard/events/{setup.event.pk}/").json()["holds"]
    # 6 holds: 3 checked out (2 sales, 1 reservation), 1 released, 1 expired (past its
    # time, not yet recorded by the cleanup job), 1 still held.
    assert holds == {"started": 6, "open": 1, "converted": 3, "expired": 1, "released": 1,
                     "abandoned": 2, "conversion_rate": 0.6, "abandonment_rate": 0.4}


def test_holds_agree_with_the_reservation_statistics_once_the_expiry_is_recorded(
        busy_day, setup, alpha):
    from reservations.services import expire_stale_holds

    with tenant_context(alpha.tenant):
        expire_stale_holds()
        dashboard = event_dashboard(event_id=setup.event.pk)["holds"]
        stats = next(e for e in reservation_stats(window_hours=24)["events"]
                     if e["event"] == setup.event.pk)
    assert dashboard["expired"] == 1
    assert (dashboard["abandoned"], dashboard["converted"] + dashboard["abandoned"]) == (
        stats["holds_abandoned"], stats["holds_ended"])
    assert dashboard["abandonment_rate"] == stats["abandonment_rate"]


def test_sales_per_hour_are_on_the_venues_clock(busy_day, setup):
    per_hour = busy_day["admin"].get(
        f"/api/dashboard/events/{setup.event.pk}/").json()["sales_per_hour"]
    # Two sales paid in full at 10:05 in Caracas (14:05 UTC); 3 tickets.
    assert per_hour == [{"hour": busy_day["start"].replace(minute=0).astimezone(
        timezone.get_fixed_timezone(-240)).isoformat(), "sales": 2, "tickets": 3}]
    assert per_hour[0]["hour"].endswith("T10:00:00-04:00")


def test_revenue_by_method_is_the_x_reports_net_of_change(busy_day, setup, alpha):
    admin = busy_day["admin"]
    revenue = admin.get(f"/api/dashboard/events/{setup.event.pk}/").json()["revenue"]
    x_report = admin.get("/api/fiscal/x-report/").json()
    assert revenue["payments"] == x_report["payments"]
    rows = by_method(revenue["payments"])
    with tenant_context(alpha.tenant):
        change = Payment.objects.get(transaction__event=setup.event, method="cash").change_ves
    assert change > 0  # USD 30.00 for USD 23.20 + IGTF: the rest back in Bs
    assert Decimal(rows[("cash", "USD")]["amount"]) == Decimal("30.00")
    assert Decimal(rows[("cash", "VES")]["amount"]) == -change
    assert Decimal(rows[("pago_movil", "VES")]["amount"]) == (
        Decimal(busy_day["mobile"]["invoice"]["total_ves"]) + Decimal("1000.00"))
    assert revenue["by_currency"]["USD"] == {"received": "30.00", "refunded": "0.00",
                                             "net": "30.00"}
    kept_ves = sum(Decimal(r["amount_ves"]) for r in x_report["payments"])
    assert Decimal(revenue["received_ves"]) == kept_ves == Decimal(revenue["net_ves"])
    # The day's figures are the X report's, to the last field.
    day = admin.get(f"/api/dashboard/days/{x_report['fiscal_day']}/").json()
    assert {k: v for k, v in day.items() if k != "generated_at"} == {
        k: v for k, v in x_report.items() if k != "generated_at"}


def test_revenue_is_net_of_a_refund_and_a_cancelled_reservation(busy_day, setup):
    admin = busy_day["admin"]
    before = admin.get(f"/api/dashboard/events/{setup.event.pk}/").json()
    invoice = busy_day["mobile"]["invoice"]
    note = admin.post(f"/api/fiscal/documents/{invoice['id']}/credit-note/",
                      {"reason": "Devolución"}, format="json")
    assert note.status_code == 201, note.json()
    cancelled = admin.post(f"/api/transactions/{busy_day['reservation']}/cancel/",
                           {"reason": "El cliente desistió"}, format="json")
    assert cancelled.status_code == 200, cancelled.json()
    after = admin.get(f"/api/dashboard/events/{setup.event.pk}/").json()
    revenue = after["revenue"]
    assert revenue["payments"] == before["revenue"]["payments"]  # received stays received
    assert revenue["refunds"] == [{"method": "pago_movil", "currency": "VES", "count": 1,
                                   "amount": "1000.00", "amount_ves": "1000.00"}]
    assert revenue["credit_notes"] == {"count": 1,
                                       "amount_ves": note.json()["amount_due_ves"]}
    assert Decimal(revenue["net_ves"]) == (Decimal(before["revenue"]["net_ves"])
                                           - Decimal("1000.00")
                                           - Decimal(note.json()["amount_due_ves"]))
    assert revenue["by_currency"]["VES"]["refunded"] == "1000.00"
    # The refunded seat and the cancelled places are free again; the sale still counts in
    # its hour.
    counts = {z["name"]: z["counts"] for z in after["occupancy"]["zones"]}
    assert counts["Platea"]["sold"] == 2 and counts["General"]["reserved"] == 0
    assert after["sales_per_hour"][0]["tickets"] == 3


def test_an_empty_event_answers_zeros_and_no_rates(setup, alpha):
    answer = api_client(alpha, "operator").get(f"/api/dashboard/events/{setup.event.pk}/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["holds"]["conversion_rate"] is None and body["holds"]["started"] == 0
    assert body["sales_per_hour"] == [] and body["revenue"]["payments"] == []
    assert body["revenue"]["net_ves"] == "0.00"
    assert body["occupancy"]["totals"]["free"] == 30


@pytest.mark.parametrize(("username", "status"), [
    ("admin", 200), ("operator", 200), ("cashier", 403), ("door", 403), (None, 401)])
def test_only_venue_admins_and_operators_see_the_dashboard(setup, alpha, username, status):
    client = api_client(alpha, username)
    assert client.get(f"/api/dashboard/events/{setup.event.pk}/").status_code == status
    assert client.get("/api/dashboard/days/2026-12-03/").status_code == status


def test_an_unknown_event_is_a_404_naming_it(alpha):
    answer = api_client(alpha, "admin").get("/api/dashboard/events/999999/")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "There is no event 999999.", "code": "unknown_event",
                             "event": "999999"}


@pytest.mark.parametrize("day", ["2026-13-40", "yesterday", "03-12-2026"])
def test_a_bad_day_is_a_400_saying_how_to_write_it(alpha, day):
    answer = api_client(alpha, "operator").get(f"/api/dashboard/days/{day}/")
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_day"
    assert "YYYY-MM-DD" in answer.json()["detail"]


def test_another_tenants_event_is_unknown(setup, beta):
    answer = api_client(beta, "admin").get(f"/api/dashboard/events/{setup.event.pk}/")
    assert answer.status_code == 404
    assert answer.json()["code"] == "unknown_event"


def test_the_event_figures_take_a_fixed_number_of_queries(busy_day, setup, alpha,
                                                           django_assert_max_num_queries):
    def queries() -> int:
        with tenant_context(alpha.tenant), CaptureQueriesContext(connection) as captured:
            event_dashboard(event_id=setup.event.pk)
        return len(captured)

    small = queries()
    with tenant_context(alpha.tenant):
        bigger = make_event(rows="ABCDEFGH", seats_per_row=20, ga_capacity=50)
    cashier = api_client(alpha, "cashier")
    for label in ("A1", "B2", "C3"):
        tx = hold(cashier, bigger, label)
        checkout(cashier, tx, payment("pago_movil", "VES", due_ves(cashier, tx)))
    with tenant_context(alpha.tenant), django_assert_max_num_queries(small):
        event_dashboard(event_id=bigger.event.pk)
    assert small <= 13


def test_another_tenants_day_shows_none_of_this_tenants_documents(busy_day, beta):
    day = busy_day["admin"].get("/api/fiscal/x-report/").json()["fiscal_day"]
    ours = busy_day["admin"].get(f"/api/dashboard/days/{day}/").json()
    assert ours["documents"] >= 3
    theirs = api_client(beta, "admin").get(f"/api/dashboard/days/{day}/")
    assert theirs.status_code == 200
    assert theirs.json()["documents"] == 0 and theirs.json()["payments"] == []
