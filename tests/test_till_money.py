"""Money at the till, through the API: every amount shown as due settles, a balance is a
reservation only when asked for, payments follow the method–currency rules, and the
change given in Bs is counted so the drawers reconcile."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from fiscal.services import update_fiscal_profile
from reservations.models import ReservedTicket
from sales.models import Payment, Transaction
from tests.builders import api_hold_id as hold
from tests.builders import change_tenant_settings, make_event, payment, set_rate
from tests.conftest import api_client

# 3 × USD 12.50 at 151.2345 Bs/USD, IVA 16 %: Bs 6,578.70 incl. IVA; paid in dollars,
# IGTF 3 % makes it Bs 6,776.06, which USD 44.80 falls short of and USD 44.81 settles.
RATE = "151.2345"


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate(RATE)
        return make_event(rows="AB", seats_per_row=5, price="12.50", ga_capacity=20,
                          ga_price="12.50")


def checkout(client, hold_id, *payments, reserve=False, customer=None):
    body = {"payments": list(payments), "reserve": reserve}
    if customer:
        body["customer"] = customer
    return client.post(f"/api/holds/{hold_id}/checkout/", body, format="json")


def cash(currency: str, amount: str) -> dict[str, str]:
    return payment("cash", currency, amount)


def test_paying_the_amount_due_the_hold_shows_completes_the_sale(cashier, setup):
    answer = cashier.post("/api/holds/", {"event": setup.event.pk,
                                          "seat_ids": setup.ids("A1", "A2", "A3")},
                          format="json").json()
    assert (answer["subtotal"], answer["tax"], answer["total"]) == ("37.50", "6.00", "43.50")
    assert answer["amounts_due"] == {"VES": "6578.70", "USD": "44.81"}
    short = checkout(cashier, answer["id"], cash("USD", "44.80"))
    assert short.status_code == 400
    assert short.json()["code"] == "payment_short"
    assert short.json()["short_ves"] == "0.75" and short.json()["short"] == "0.01"
    paid = checkout(cashier, answer["id"], cash("USD", "44.81"))
    assert paid.status_code == 200, paid.json()
    assert paid.json()["transaction"]["status"] == "completed"


def test_paying_the_bolivar_amount_due_completes_the_sale(cashier, setup):
    answer = cashier.post("/api/holds/", {"event": setup.event.pk,
                                          "seat_ids": setup.ids("A4", "A5", "B1")},
                          format="json").json()
    paid = checkout(cashier, answer["id"],
                    payment("pago_movil", "VES", answer["amounts_due"]["VES"]))
    assert paid.json()["transaction"]["status"] == "completed", paid.json()


def test_a_short_payment_is_refused_and_changes_nothing(cashier, setup, in_alpha):
    hold_id = hold(cashier, setup, "B2")
    response = checkout(cashier, hold_id, cash("USD", "0.01"))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "payment_short" and body["currency"] == "USD"
    assert set(body["amounts_due"]) == {"VES", "USD"}
    assert "reserve" in body["detail"]
    tx = Transaction.objects.get(pk=hold_id)
    assert tx.status == "pending" and not Payment.objects.filter(transaction=tx).exists()


def test_a_reservation_needs_the_minimum_down_payment(cashier, setup, alpha):
    with tenant_context(alpha.tenant):
        change_tenant_settings(alpha.tenant, min_down_payment_percent=Decimal("25"))
    hold_id = hold(cashier, setup, "B3")  # Bs 2,192.90 incl. IVA: 25 % is Bs 548.23
    too_little = checkout(cashier, hold_id, payment("pago_movil", "VES", "548.22"),
                          reserve=True)
    assert too_little.status_code == 400
    assert too_little.json()["code"] == "down_payment_too_small"
    assert too_little.json()["minimum_ves"] == "548.23"
    enough = checkout(cashier, hold_id, payment("pago_movil", "VES", "548.23"), reserve=True)
    assert enough.json()["transaction"]["status"] == "reserved", enough.json()


def test_a_reservation_shows_what_was_paid_what_settles_it_and_its_deadline(cashier, setup):
    hold_id = hold(cashier, setup, "B4")
    reserved = checkout(cashier, hold_id, payment("pago_movil", "VES", "1000.00"),
                        reserve=True).json()["transaction"]
    detail = cashier.get(f"/api/transactions/{reserved['id']}/").json()
    assert detail["status"] == "reserved" and detail["payment_deadline"]
    assert detail["paid"] == {"VES": "1000.00", "USD": "6.61"}
    due = detail["amounts_due"]
    # Another payment that leaves a balance must say so; the USD amount due settles it.
    refused = cashier.post(f"/api/transactions/{hold_id}/payments/",
                           {"payments": [cash("USD", "1.00")]}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "payment_short"
    paid = cashier.post(f"/api/transactions/{hold_id}/payments/",
                        {"payments": [cash("USD", due["USD"])]}, format="json")
    assert paid.json()["transaction"]["status"] == "completed", paid.json()


@pytest.mark.parametrize(("method", "currency"), [
    ("zelle", "VES"), ("pago_movil", "USD"), ("debit_card", "USD")])
def test_a_method_in_a_currency_it_does_not_take_is_refused(cashier, setup, method, currency):
    hold_id = hold(cashier, setup, "B5")
    response = checkout(cashier, hold_id, payment(method, currency, "10.00"))
    assert response.status_code == 400
    assert response.json()["code"] == "payment_not_allowed"
    assert currency in response.json()["detail"]


def test_pago_movil_needs_its_reference_and_the_invoice_prints_it(cashier, setup):
    hold_id = hold(cashier, setup, "A1")
    missing = checkout(cashier, hold_id, {"method": "pago_movil", "currency": "VES",
                                          "amount": "2192.90"})
    assert missing.status_code == 400 and missing.json()["code"] == "payment_not_allowed"
    paid = checkout(cashier, hold_id, {"method": "pago_movil", "currency": "VES",
                                       "amount": "2192.90", "reference": "0134-778899"})
    invoice = paid.json()["transaction"]["invoice"]
    html = cashier.get(f"/api/fiscal/documents/{invoice['id']}/html/").content.decode()
    assert "0134-778899" in html


def test_a_card_payment_above_what_is_due_is_refused(cashier, setup):
    hold_id = hold(cashier, setup, "A2")
    response = checkout(cashier, hold_id, payment("credit_card", "USD", "1000.00"))
    assert response.status_code == 400 and response.json()["code"] == "overpayment"


def test_cash_beyond_the_maximum_change_is_refused(cashier, setup):
    hold_id = hold(cashier, setup, "A3")
    response = checkout(cashier, hold_id, cash("VES", "999999999999.99"))
    assert response.status_code == 400
    assert response.json()["code"] == "overpayment"
    assert "change" in response.json()["detail"]


def test_change_given_in_bolivares_is_recorded_and_the_x_report_counts_what_was_kept(
        cashier, setup, alpha):
    admin = api_client(alpha, "admin")
    before = {(r["method"], r["currency"]): r
              for r in admin.get("/api/fiscal/x-report/").json()["payments"]}
    hold_id = hold(cashier, setup, "A4")  # USD 12.50 + IVA: USD 14.94 in cash with IGTF
    paid = checkout(cashier, hold_id, cash("USD", "20.00"))
    assert paid.json()["transaction"]["status"] == "completed", paid.json()
    with tenant_context(alpha.tenant):
        recorded = Payment.objects.get(transaction_id=hold_id)
    # Bs 3,024.69 tendered, Bs 2,258.69 due (IGTF on the capped Bs 2,192.90): Bs 766.00 back.
    assert recorded.change_ves == Decimal("766.00")
    after = {(r["method"], r["currency"]): r
             for r in admin.get("/api/fiscal/x-report/").json()["payments"]}

    def moved(key, field):
        return Decimal(after[key][field]) - Decimal(before.get(key, {}).get(field, "0"))

    assert moved(("cash", "USD"), "amount") == Decimal("20.00")
    assert moved(("cash", "VES"), "amount") == Decimal("-766.00")
    assert moved(("cash", "VES"), "change_given_ves") == Decimal("766.00")
    # What the venue kept, in Bs, is what the sale was due.
    kept = moved(("cash", "USD"), "amount_ves") + moved(("cash", "VES"), "amount_ves")
    assert kept == Decimal("2258.69")


def test_hold_figures_when_prices_include_tax(cashier, setup, in_alpha):
    update_fiscal_profile(changes={"prices_include_tax": True})
    answer = cashier.post("/api/holds/", {"event": setup.event.pk, "seat_ids": setup.ids("B1")},
                          format="json").json()
    # USD 12.50 already carries IVA: Bs 1,890.43 = base 1,629.68 + IVA 260.75.
    assert answer["total"] == "12.50"
    assert Decimal(answer["subtotal"]) + Decimal(answer["tax"]) == Decimal("12.50")
    assert Decimal(answer["tax"]) > 0
    assert answer["amounts_due"]["VES"] == "1890.43"


def test_open_reservations_count_towards_the_cashier_limit(cashier, setup, alpha):
    with tenant_context(alpha.tenant):
        change_tenant_settings(alpha.tenant, max_reservations_per_session=2)
    hold_id = hold(cashier, setup, "B5", zones=[{"zone": setup.ga_zone.pk, "quantity": 1}])
    reserved = checkout(cashier, hold_id, payment("pago_movil", "VES", "1000.00"),
                        reserve=True)
    assert reserved.json()["transaction"]["status"] == "reserved", reserved.json()
    more = cashier.post("/api/holds/", {"event": setup.event.pk, "seat_ids": setup.ids("A5")},
                        format="json")
    assert more.status_code == 400 and more.json()["code"] == "session_limit"
    assert more.json()["held"] == 2


def test_reserved_items_stay_active_until_the_deadline(cashier, setup, in_alpha):
    hold_id = hold(cashier, setup, "A5")
    checkout(cashier, hold_id, payment("pago_movil", "VES", "1000.00"), reserve=True)
    item = ReservedTicket.objects.get(transaction_id=hold_id)
    tx = Transaction.objects.get(pk=hold_id)
    assert item.status == "active" and item.reserved_until == tx.payment_deadline


def test_a_refunded_seat_is_back_on_sale_at_once_and_ga_units_return(cashier, setup, alpha):
    admin = api_client(alpha, "admin")
    hold_id = hold(cashier, setup, "A1", zones=[{"zone": setup.ga_zone.pk, "quantity": 3}])
    due = cashier.get(f"/api/holds/{hold_id}/").json()["amounts_due"]["VES"]
    sale = checkout(cashier, hold_id, payment("pago_movil", "VES", due)).json()["transaction"]
    invoice = sale["invoice"]["id"]
    seats = {s["label"]: s["state"] for s in cashier.get(
        f"/api/events/{setup.event.pk}/availability/").json()["seats"]}
    assert seats["A1"] == "sold"
    # Refund the seat (line 0) and 2 of the 3 general-admission places (line 1).
    note = admin.post(f"/api/fiscal/documents/{invoice}/credit-note/",
                      {"reason": "Devolución", "lines": [{"line": 0, "quantity": 1},
                                                         {"line": 1, "quantity": 2}]},
                      format="json")
    assert note.status_code == 201, note.json()
    availability = cashier.get(f"/api/events/{setup.event.pk}/availability/").json()
    assert {s["label"]: s["state"] for s in availability["seats"]}["A1"] == "available"
    ga = next(z for z in availability["zones"] if z["id"] == setup.ga_zone.pk)
    assert ga["available"] == 20 - 1  # one unit is still sold
    with tenant_context(alpha.tenant):
        statuses = sorted(ReservedTicket.objects.filter(transaction_id=hold_id)
                          .values_list("status", "quantity"))
    assert statuses == [("completed", 1), ("refunded", 1), ("refunded", 3)]
    # The seat sells again.
    assert cashier.post("/api/holds/", {"event": setup.event.pk,
                                        "seat_ids": setup.ids("A1")},
                        format="json").status_code == 201


def test_a_venue_admin_cancels_a_reservation_seats_freed_payments_handed_back(
        cashier, setup, alpha):
    hold_id = hold(cashier, setup, "B2")
    checkout(cashier, hold_id, payment("pago_movil", "VES", "1000.00"), reserve=True)
    refused = cashier.post(f"/api/transactions/{hold_id}/cancel/", {"reason": "x"},
                           format="json")
    assert refused.status_code == 403  # cashiers may not
    admin = api_client(alpha, "admin")
    response = admin.post(f"/api/transactions/{hold_id}/cancel/",
                          {"reason": "El cliente desistió"}, format="json")
    assert response.status_code == 200, response.json()
    tx = response.json()["transaction"]
    assert tx["status"] == "cancelled"
    assert any(h["to_status"] == "refunded" and h["actor"] == "admin" for h in tx["history"])
    seats = {s["label"]: s["state"] for s in cashier.get(
        f"/api/events/{setup.event.pk}/availability/").json()["seats"]}
    assert seats["B2"] == "available"
    with tenant_context(alpha.tenant):
        from sales.models import Refund
        assert [(r.amount, r.method) for r in Refund.objects.filter(transaction_id=hold_id)] \
            == [(Decimal("1000.00"), "pago_movil")]
    again = admin.post(f"/api/transactions/{hold_id}/cancel/", {"reason": "x"},
                       format="json")
    assert again.status_code == 409


def test_the_x_report_shows_each_till_on_its_own(cashier, cashier2, setup, alpha):
    """By cashier and terminal (the X-POS-Terminal the documents were issued at: none
    here, shown as ""; tests/test_shifts.py names terminals)."""
    for client, label in ((cashier, "B1"), (cashier2, "B2")):
        hold_id = hold(client, setup, label)
        client.post(f"/api/holds/{hold_id}/checkout/", {"payments": [cash("USD", "20.00")]},
                    format="json")
    report = api_client(alpha, "admin").get("/api/fiscal/x-report/").json()
    tills = {(t["cashier"], t["terminal"]): t["payments"] for t in report["by_till"]}
    assert {("cashier", ""), ("cashier2", "")} <= set(tills)
    mine = {(r["method"], r["currency"]): r for r in tills[("cashier", "")]}
    assert mine[("cash", "USD")]["amount"] == "20.00"
    assert mine[("cash", "VES")]["change_given_ves"] == "766.00"


def test_a_document_and_its_till_name_the_terminal_it_was_issued_at(cashier, setup, alpha):
    hold_id = hold(cashier, setup, "B3")
    paid = cashier.post(f"/api/holds/{hold_id}/checkout/",
                        {"payments": [cash("USD", "20.00")]}, format="json",
                        HTTP_X_POS_TERMINAL="CAJA-7")
    invoice = paid.json()["transaction"]["invoice"]
    document = cashier.get(f"/api/fiscal/documents/{invoice['id']}/").json()
    # CAJA-7 has no series of its own: numbered in the default one, yet named.
    assert (document["terminal"], document["series_code"]) == ("CAJA-7", "FAC")
    report = api_client(alpha, "admin").get("/api/fiscal/x-report/").json()
    tills = {(t["cashier"], t["terminal"]): t["payments"] for t in report["by_till"]}
    assert [r["amount"] for r in tills[("cashier", "CAJA-7")]
            if (r["method"], r["currency"]) == ("cash", "USD")] == ["20.00"]
