"""Cashier shifts: a cashier closes their shift at their terminal and the shift counts what
that till's drawer kept (by method and currency, net of the change given in Bs) against
the cash the cashier counted. Every document is closed into exactly one shift, that of
its cashier and terminal; shift numbers are consecutive, also under parallel closes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django_tenants.utils import tenant_context

from fiscal import services as fiscal_services
from fiscal.errors import ImmutableShift
from fiscal.models import FiscalDocument, FiscalSeries, Shift
from fiscal.selectors import FISCAL_TZ
from fiscal.taxes import PaymentInput
from reservations import services as reservation_services
from sales.checkout import services as sales_services
from tenants.models import Tenant
from tests import parallel
from tests.builders import api_hold_id as hold
from tests.builders import make_event, payment, set_rate, user
from tests.conftest import api_client, committed_tenant

# As tests/test_till_money.py: one seat is USD 12.50 + IVA = Bs 2,192.90 at this rate; a
# USD 20 note pays it with Bs 766.00 back (IGTF 3 % makes it Bs 2,258.69 due).
RATE = "151.2345"
SEAT_VES = "2192.90"


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate(RATE)
        return make_event(rows="AB", seats_per_row=8, price="12.50")


@pytest.fixture
def admin(alpha):
    return api_client(alpha, "admin")


def sell(client, setup, label: str, *payments: dict[str, str], terminal: str = "CAJA-1"):
    """Hold one seat and pay it at `terminal`: the sale's invoice (id, number)."""
    hold_id = hold(client, setup, label)
    paid = client.post(f"/api/holds/{hold_id}/checkout/",
                       {"payments": list(payments), "reserve": False}, format="json",
                       HTTP_X_POS_TERMINAL=terminal)
    assert paid.status_code == 200, paid.json()
    assert paid.json()["transaction"]["status"] == "completed", paid.json()
    return paid.json()["transaction"]["invoice"]


def close(client, terminal: str = "CAJA-1", body: dict | None = None):
    return client.post("/api/fiscal/shifts/close/", body or {}, format="json",
                       HTTP_X_POS_TERMINAL=terminal)


def closed(client, terminal: str = "CAJA-1", body: dict | None = None) -> dict:
    response = close(client, terminal, body)
    assert response.status_code == 201, response.json()
    return response.json()


def rows(shift: dict) -> dict[tuple[str, str], dict]:
    return {(r["method"], r["currency"]): r for r in shift["figures"]["payments"]}


def test_a_shift_counts_what_the_drawer_kept_and_the_cash_counted(cashier, setup, alpha):
    sell(cashier, setup, "A1", payment("cash", "USD", "20.00"))  # Bs 766.00 back
    sell(cashier, setup, "A2", payment("pago_movil", "VES", SEAT_VES))
    last = sell(cashier, setup, "A3", payment("cash", "VES", SEAT_VES))
    # The drawer should hold USD 20.00 and Bs 2,192.90 - 766.00 = 1,426.90; one Bs short.
    shift = closed(cashier, body={"declared": {"USD": "20.00", "VES": "1425.90"}})

    assert (shift["cashier"], shift["terminal"], shift["documents"]) == ("cashier", "CAJA-1", 3)
    kept = rows(shift)
    assert (kept[("cash", "USD")]["count"], kept[("cash", "USD")]["amount"]) == (1, "20.00")
    assert kept[("cash", "VES")]["amount"] == "1426.90"
    assert kept[("cash", "VES")]["change_given_ves"] == "766.00"
    assert kept[("pago_movil", "VES")]["amount"] == SEAT_VES
    # In Bs, what the till kept is what the three sales were due.
    assert sum(Decimal(r["amount_ves"]) for r in kept.values()) == \
        Decimal("2258.69") + 2 * Decimal(SEAT_VES)
    assert shift["figures"]["cash_expected"] == {"USD": "20.00", "VES": "1426.90"}
    assert shift["declared"] == {"USD": "20.00", "VES": "1425.90"}
    assert shift["difference"] == {"USD": "0.00", "VES": "-1.00"}
    [series] = shift["figures"]["series"]
    assert (series["count"], series["last"]) == (3, last["number"])
    assert shift["figures"]["counts"]["invoice"] == 3
    # The first shift of the till opened at the start of the fiscal day of its first sale.
    opened = datetime.fromisoformat(shift["opened_at"]).astimezone(FISCAL_TZ)
    assert (opened.hour, opened.minute, opened.date()) == (
        0, 0, datetime.fromisoformat(shift["closed_at"]).astimezone(FISCAL_TZ).date())
    # The shift is stored as answered, and its documents are locked to it.
    assert cashier.get(f"/api/fiscal/shifts/{shift['id']}/").json() == shift
    with tenant_context(alpha.tenant):
        assert FiscalDocument.objects.filter(shift_id=shift["id"]).count() == 3


def test_the_change_comes_out_of_the_opening_float_and_a_right_drawer_balances(
        cashier, setup):
    sell(cashier, setup, "A1", payment("cash", "USD", "20.00"))  # Bs 766.00 back
    # Started with Bs 1,000.00 in the drawer; after the change it holds Bs 234.00.
    shift = closed(cashier, body={"opening_float": {"VES": "1000.00"},
                                  "declared": {"USD": "20.00", "VES": "234.00"}})
    assert shift["figures"]["cash_expected"] == {"USD": "20.00", "VES": "-766.00"}
    assert shift["opening_float"] == {"VES": "1000.00"}
    assert shift["difference"] == {"USD": "0.00", "VES": "0.00"}
    sell(cashier, setup, "A2", payment("cash", "VES", SEAT_VES))
    # The next shift starts with the Bs 234.00 left: the drawer should hold Bs 2,426.90.
    short = closed(cashier, body={"opening_float": {"VES": "234.00"},
                                  "declared": {"VES": "1426.90"}})
    assert short["difference"] == {"VES": "-1000.00"}
    refused = close(cashier, body={"opening_float": {"VES": "-5"}})
    assert refused.status_code == 400 and "opening_float" in refused.json()


def test_a_currency_not_declared_counts_as_none_and_no_count_means_no_difference(
        cashier, cashier2, setup):
    sell(cashier, setup, "A1", payment("cash", "USD", "20.00"))
    shift = closed(cashier, body={"declared": {"USD": "19.00"}})
    assert shift["difference"] == {"USD": "-1.00", "VES": "766.00"}
    sell(cashier2, setup, "A2", payment("cash", "VES", SEAT_VES))
    uncounted = closed(cashier2)
    assert uncounted["declared"] is None and uncounted["difference"] is None
    assert uncounted["figures"]["cash_expected"] == {"VES": SEAT_VES}


def test_a_second_close_takes_only_the_later_documents(cashier, setup, admin, alpha):
    first_sale = sell(cashier, setup, "A1", payment("pago_movil", "VES", SEAT_VES))
    first = closed(cashier)
    later = sell(cashier, setup, "A2", payment("cash", "USD", "20.00"))
    second = closed(cashier)
    assert second["number"] == first["number"] + 1
    assert second["opened_at"] == first["closed_at"]
    assert second["documents"] == 1
    assert [(s["first"], s["last"]) for s in second["figures"]["series"]] == [
        (later["number"], later["number"])]
    assert set(rows(second)) == {("cash", "USD"), ("cash", "VES")}
    # Nothing sold since: still a shift (the drawer was checked), with nothing in it.
    empty = closed(cashier, body={"declared": {"VES": "0.00"}})
    assert empty["number"] == second["number"] + 1 and empty["documents"] == 0
    assert empty["figures"]["payments"] == [] and empty["difference"] == {"VES": "0.00"}
    with tenant_context(alpha.tenant):
        assert dict(FiscalDocument.objects.filter(pk__in=[first_sale["id"], later["id"]])
                    .values_list("id", "shift__number")) == {
            first_sale["id"]: first["number"], later["id"]: second["number"]}
    # The Z report still closes the day's documents, each already in its shift.
    z = admin.post("/api/fiscal/z-report/", {}, format="json")
    assert z.status_code == 201, z.json()
    with tenant_context(alpha.tenant):
        assert FiscalDocument.objects.filter(shift__isnull=True).count() == 0
        assert FiscalDocument.objects.filter(z_report__isnull=True).count() == 0


def test_each_cashier_and_terminal_is_a_till_of_its_own(cashier, cashier2, setup, admin,
                                                         alpha):
    with tenant_context(alpha.tenant):
        # CAJA-2 numbers in a series of its own; CAJA-1 shares the default series.
        FiscalSeries.objects.create(kind="invoice", terminal="CAJA-2", code="FAC-B")
    sell(cashier, setup, "A1", payment("cash", "USD", "20.00"), terminal="CAJA-1")
    at_two = sell(cashier, setup, "A2", payment("pago_movil", "VES", SEAT_VES),
                  terminal="CAJA-2")
    sell(cashier2, setup, "A3", payment("cash", "VES", SEAT_VES), terminal="CAJA-1")

    # The X report shows each till with its real terminal, series of its own or not.
    report = admin.get("/api/fiscal/x-report/").json()
    tills = {(t["cashier"], t["terminal"]): {(r["method"], r["currency"])
                                             for r in t["payments"]}
             for t in report["by_till"]}
    assert tills == {("cashier", "CAJA-1"): {("cash", "USD"), ("cash", "VES")},
                     ("cashier", "CAJA-2"): {("pago_movil", "VES")},
                     ("cashier2", "CAJA-1"): {("cash", "VES")}}

    mine = closed(cashier, "CAJA-1")
    assert mine["documents"] == 1 and set(rows(mine)) == {("cash", "USD"), ("cash", "VES")}
    other_terminal = closed(cashier, "CAJA-2")
    assert other_terminal["documents"] == 1
    assert other_terminal["figures"]["series"][0]["first"] == at_two["number"]
    assert other_terminal["figures"]["cash_expected"] == {}
    colleague = closed(cashier2, "CAJA-1")
    assert colleague["figures"]["cash_expected"] == {"VES": SEAT_VES}
    with tenant_context(alpha.tenant):
        per_shift = dict(FiscalDocument.objects.values_list("shift__number")
                         .annotate(n=Count("id")))
    assert per_shift == {mine["number"]: 1, other_terminal["number"]: 1,
                         colleague["number"]: 1}


def test_a_cashier_sees_only_their_own_shifts_and_supervisors_see_all(
        alpha, cashier, cashier2, setup, admin):
    sell(cashier, setup, "A1", payment("pago_movil", "VES", SEAT_VES))
    mine = closed(cashier)
    theirs = closed(cashier2)
    assert cashier2.get(f"/api/fiscal/shifts/{mine['id']}/").status_code == 404
    assert cashier2.get(f"/api/fiscal/shifts/{mine['id']}/").json()["code"] == \
        "shift_not_found"
    listed = cashier2.get("/api/fiscal/shifts/").json()["results"]
    assert [s["id"] for s in listed] == [theirs["id"]]
    operator = api_client(alpha, "operator")
    for supervisor in (admin, operator):
        ids = {s["id"] for s in supervisor.get("/api/fiscal/shifts/").json()["results"]}
        assert {mine["id"], theirs["id"]} <= ids
        assert supervisor.get(f"/api/fiscal/shifts/{mine['id']}/").status_code == 200
    # Operators do not sell, so they have no shift to close.
    assert close(operator).status_code == 403


@pytest.mark.parametrize("declared", [
    {"VES": "1e1"}, {"VES": "-5"}, {"USD": "abc"}, {"USD": 20}, {"USD": "1.234"},
    {"USD": " 20.00"}, {"BTC": "1.00"}, "20.00", ["USD", "20.00"]])
def test_a_bad_declared_amount_is_refused_and_nothing_is_stored(cashier, setup, alpha,
                                                                declared):
    invoice = sell(cashier, setup, "A1", payment("cash", "USD", "20.00"))
    response = close(cashier, body={"declared": declared})
    assert response.status_code == 400, response.json()
    assert "declared" in response.json()  # field errors, as every serializer answers them
    with tenant_context(alpha.tenant):
        assert not Shift.objects.exists()
        assert FiscalDocument.objects.get(pk=invoice["id"]).shift_id is None


def test_closed_shifts_and_their_documents_links_never_change(cashier, setup, alpha):
    sell(cashier, setup, "A1", payment("pago_movil", "VES", SEAT_VES))
    first = closed(cashier)
    second = closed(cashier)
    with tenant_context(alpha.tenant):
        doc = FiscalDocument.objects.get(shift_id=first["id"])
        for sql, params in (
                ("UPDATE fiscal_fiscaldocument SET shift_id = %s WHERE id = %s",
                 [second["id"], doc.pk]),
                ("UPDATE fiscal_fiscaldocument SET shift_id = NULL WHERE id = %s", [doc.pk]),
                ("UPDATE fiscal_fiscaldocument SET terminal = 'X' WHERE id = %s", [doc.pk]),
                ("UPDATE fiscal_shift SET declared = NULL WHERE id = %s", [first["id"]]),
                ("DELETE FROM fiscal_shift WHERE id = %s", [second["id"]])):
            with pytest.raises(DatabaseError), transaction.atomic(), \
                    connection.cursor() as cursor:
                cursor.execute(sql, params)
        shift = Shift.objects.get(pk=first["id"])
        with pytest.raises(ImmutableShift):
            shift.save()
        with pytest.raises(ImmutableShift):
            shift.delete()
        assert FiscalDocument.objects.get(pk=doc.pk).shift_id == first["id"]


def test_the_first_empty_shift_opens_at_the_start_of_the_fiscal_day(in_alpha):
    cashier = user("cashier")
    at = datetime(2026, 12, 3, 2, 30, tzinfo=FISCAL_TZ)  # 02:30 in Caracas
    shift = fiscal_services.close_shift(cashier=cashier, terminal="CAJA-9", now=at)
    assert (shift.opened_at, shift.closed_at) == (datetime(2026, 12, 3, tzinfo=FISCAL_TZ), at)
    later = fiscal_services.close_shift(cashier=cashier, terminal="CAJA-9",
                                        now=at + timedelta(hours=5))
    assert (later.opened_at, later.number) == (at, shift.number + 1)


# --- Under real concurrency ----------------------------------------------------------

CASHIERS = 10
PAID_IN_BS = [PaymentInput(method="pago_movil", currency="VES", amount=Decimal("1160.00"),
                           reference="0102-555123")]


@pytest.fixture(scope="module")
def shift_race(tenants, django_db_blocker) -> Iterator[Tenant]:
    with django_db_blocker.unblock():
        yield committed_tenant("shiftrace", (f"s{i}" for i in range(CASHIERS)))


@pytest.fixture
def in_shift_race(shift_race, django_db_blocker) -> Iterator[Tenant]:
    with django_db_blocker.unblock(), tenant_context(shift_race):
        yield shift_race


def drain(terminal: str) -> None:
    """Close every race cashier's till at `terminal` (the tenant's rows outlive a test)."""
    for i in range(CASHIERS):
        fiscal_services.close_shift(cashier=user(f"s{i}"), terminal=terminal)


def one_hold_each(n: int) -> list[tuple[object, int]]:
    setup = make_event(rows="A", seats_per_row=2 * n, price="10.00")
    return [(user(f"s{i}"), reservation_services.hold_seats(
        user=user(f"s{i}"), event_id=setup.event.pk, seat_ids=setup.ids(f"A{i + 1}")).pk)
        for i in range(n)]


def test_parallel_closes_get_consecutive_numbers(in_shift_race):
    drain("RACE")
    for cashier, tx_id in one_hold_each(CASHIERS):
        sales_services.checkout_hold(user=cashier, transaction_id=tx_id,
                                     payments=PAID_IN_BS, terminal="RACE")
    last = Shift.objects.order_by("-number").values_list("number", flat=True).first() or 0
    results = parallel.run_parallel(
        [(lambda i=i: fiscal_services.close_shift(cashier=user(f"s{i}"), terminal="RACE"))
         for i in range(CASHIERS)], tenant=in_shift_race, catch=Exception)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.number for r in results) == list(range(last + 1, last + CASHIERS + 1))
    assert all(r.figures["documents"] == 1 for r in results)


def test_control_without_the_lock_parallel_closes_take_the_same_number(in_shift_race,
                                                                        monkeypatch):
    """The proof that the test above can fail: with the profile lock switched off (and
    the window between reading the last number and inserting widened), parallel closes
    read the same last number and all but one are refused by the unique number."""
    monkeypatch.setattr(fiscal_services, "lock_profile", lambda: None)
    real_figures = fiscal_services.shift_figures

    def slow_figures(documents):
        time.sleep(0.3)
        return real_figures(documents)

    monkeypatch.setattr(fiscal_services, "shift_figures", slow_figures)
    results = parallel.run_parallel(
        [(lambda i=i: fiscal_services.close_shift(cashier=user(f"s{i}"), terminal="RACE"))
         for i in range(CASHIERS)], tenant=in_shift_race, catch=IntegrityError)
    refused = [r for r in results if isinstance(r, IntegrityError)]
    assert refused and all("number" in str(r) for r in refused)


def test_closes_racing_sales_leave_every_document_in_exactly_one_shift(in_shift_race):
    """Each cashier's checkout and the close of their till start at the same instant: the
    sale lands in that close or in the next one, never in both, never in neither."""
    drain("RACE-2")
    holds = one_hold_each(CASHIERS)
    started = timezone.now()
    calls = []
    for cashier, tx_id in holds:
        calls.append(lambda c=cashier, t=tx_id: sales_services.checkout_hold(
            user=c, transaction_id=t, payments=PAID_IN_BS, terminal="RACE-2"))
        calls.append(lambda c=cashier: fiscal_services.close_shift(cashier=c,
                                                                   terminal="RACE-2"))
    results = parallel.run_parallel(calls, tenant=in_shift_race, catch=Exception)
    assert not [r for r in results if isinstance(r, Exception)], results
    finals = [fiscal_services.close_shift(cashier=c, terminal="RACE-2") for c, _ in holds]
    racing = [r for r in results if isinstance(r, Shift)]
    documents = FiscalDocument.objects.filter(terminal="RACE-2", issued_at__gte=started)
    assert documents.count() == CASHIERS
    assert not documents.filter(shift__isnull=True).exists()
    # Each sale is counted by exactly one shift's figures: its own.
    counted = sum(s.figures["documents"] for s in racing + finals)
    assert counted == CASHIERS
    for shift in racing + finals:
        assert shift.documents.count() == shift.figures["documents"]
