"""The Django admin for venue admins: seats by rows, what each sale row is (hold,
reservation, sale) with a reservation's paid and balance, bulk actions that count what they
did, and a print link on fiscal documents."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context, tenant_context

from fiscal.models import FiscalDocument
from reservations.models import ReservedTicket
from sales.models import Seat, Transaction, Zone
from tests.builders import api_hold_id, checkout_body, make_event, set_rate
from tests.conftest import api_client

PAID = checkout_body(("pago_movil", "VES", "1160.00"), reserve=False)
PART = checkout_body(("pago_movil", "VES", "500.00"))  # 1160.00 VES due: 660.00 left


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate("100.0000")
        return make_event(rows="A", seats_per_row=6, price="10.00", ga_capacity=10)


@pytest.fixture
def admin_site(alpha):
    client = api_client(alpha)
    with schema_context(alpha.schema):
        client.force_login(get_user_model().objects.get(username="admin"))
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def add_rows(admin_site, zone_id: int, **fields):
    return admin_site.post("/admin/sales/zone/", {
        "action": "add_seat_rows", "_selected_action": [zone_id], "apply": "1", **fields},
        follow=True)


# --- Seats by rows -----------------------------------------------------------------------


def test_the_zone_action_asks_for_rows_then_creates_the_seats(admin_site, setup, alpha):
    form = admin_site.post("/admin/sales/zone/", {
        "action": "add_seat_rows", "_selected_action": [setup.zone.pk]})
    assert form.status_code == 200 and 'name="seats_per_row"' in form.content.decode()

    done = add_rows(admin_site, setup.zone.pk, rows="B-D", seats_per_row="3")
    assert done.status_code == 200
    assert "Added 9 seat(s) to Platea (B1 to D3)." in messages_of(done)
    with tenant_context(alpha.tenant):
        labels = set(Seat.objects.filter(zone=setup.zone, row__in="BCD")
                     .values_list("label", flat=True))
        assert labels == {f"{r}{n}" for r in "BCD" for n in (1, 2, 3)}
        assert Zone.objects.get(pk=setup.zone.pk).capacity == 6 + 9  # counted as the API does


@pytest.mark.parametrize(("fields", "says"), [
    ({"rows": "A", "seats_per_row": "2"}, "Seats already exist: A1, A2."),
    ({"rows": "T-A", "seats_per_row": "2"}, "runs backwards"),
    ({"rows": "E", "seats_per_row": "0"}, "seats_per_row:"),
    ({"rows": "E"}, "seats_per_row:"),
])
def test_bad_seat_rows_come_back_as_a_message_not_a_500(admin_site, setup, alpha, fields,
                                                        says):
    with tenant_context(alpha.tenant):
        before = Seat.objects.count()
    answer = add_rows(admin_site, setup.zone.pk, **fields)
    assert answer.status_code == 200
    assert any(says in m for m in messages_of(answer)), messages_of(answer)
    with tenant_context(alpha.tenant):
        assert Seat.objects.count() == before


def test_a_general_admission_zone_gets_no_seats(admin_site, setup):
    answer = add_rows(admin_site, setup.ga_zone.pk, rows="A", seats_per_row="2")
    assert any("general admission" in m for m in messages_of(answer))


# --- What each row is -------------------------------------------------------------------


def test_the_lists_say_hold_reservation_or_sale_with_a_reservations_balance(
        admin_site, cashier, setup, alpha):
    hold = api_hold_id(cashier, setup, "A1")
    reservation = api_hold_id(cashier, setup, "A2")
    assert cashier.post(f"/api/holds/{reservation}/checkout/", PART,
                        format="json").status_code == 200
    sale = api_hold_id(cashier, setup, "A3")
    assert cashier.post(f"/api/holds/{sale}/checkout/", PAID, format="json").status_code == 200

    listing = admin_site.get("/admin/sales/transaction/")
    assert listing.status_code == 200
    rows = {row.pk: row for row in listing.context["cl"].result_list}
    model_admin = listing.context["cl"].model_admin
    assert {pk: model_admin.kind(rows[pk]) for pk in (hold, reservation, sale)} == {
        hold: "hold", reservation: "reservation", sale: "sale"}
    # Printed as the page and the documents print them (pos.formatting), in the admin's
    # language (English here).
    assert model_admin.paid(rows[reservation]) == "USD 5.00 (Bs 500.00)"
    assert model_admin.balance(rows[reservation]) == "USD 6.81 / Bs 660.00"  # USD with IGTF
    assert model_admin.paid(rows[hold]) == model_admin.balance(rows[sale]) == "—"
    assert "reservation" in listing.content.decode()

    items = admin_site.get("/admin/reservations/reservedticket/")
    item_admin = items.context["cl"].model_admin
    kinds = {row.transaction_id: item_admin.kind(row) for row in items.context["cl"].result_list}
    assert kinds == {hold: "hold", reservation: "reservation", sale: "sale"}


def test_the_transaction_list_costs_the_same_queries_for_one_or_many_reservations(
        admin_site, cashier, setup):
    def reserve(label: str) -> None:
        tx = api_hold_id(cashier, setup, label)
        assert cashier.post(f"/api/holds/{tx}/checkout/", PART,
                            format="json").status_code == 200

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert "Bs 660.00" in admin_site.get("/admin/sales/transaction/").content.decode()
        return len(captured)

    reserve("A1")
    one = queries()
    for label in ("A2", "A3", "A4"):
        reserve(label)
    assert queries() == one


# --- Bulk actions count what they did ---------------------------------------------------


def test_releasing_a_two_seat_hold_says_one_hold_and_two_seats(admin_site, cashier, setup,
                                                                alpha):
    tx = api_hold_id(cashier, setup, "A1", "A2")
    with tenant_context(alpha.tenant):
        items = list(ReservedTicket.objects.filter(transaction_id=tx).values_list("pk",
                                                                                  flat=True))
    answer = admin_site.post("/admin/reservations/reservedticket/", {
        "action": "release_selected", "_selected_action": items}, follow=True)
    assert "Released 1 hold(s) (2 seat(s)); 0 could not be." in messages_of(answer)
    with tenant_context(alpha.tenant):
        assert Transaction.objects.get(pk=tx).status == "cancelled"


def test_releasing_general_admission_counts_its_places(admin_site, cashier, setup, alpha):
    tx = api_hold_id(cashier, setup, zones=[{"zone": setup.ga_zone.pk, "quantity": 3}])
    with tenant_context(alpha.tenant):
        item = ReservedTicket.objects.get(transaction_id=tx).pk
    answer = admin_site.post("/admin/reservations/reservedticket/", {
        "action": "release_selected", "_selected_action": [item]}, follow=True)
    assert ("Released 1 hold(s) (0 seat(s), 3 general admission place(s)); "
            "0 could not be.") in messages_of(answer)


# --- Printing a fiscal document ---------------------------------------------------------


def test_a_fiscal_document_has_a_print_link_that_answers_its_html(admin_site, cashier, setup,
                                                                  alpha):
    tx = api_hold_id(cashier, setup, "A1")
    assert cashier.post(f"/api/holds/{tx}/checkout/", PAID, format="json").status_code == 200
    with tenant_context(alpha.tenant):
        document = FiscalDocument.objects.get(transaction_id=tx)
    listing = admin_site.get("/admin/fiscal/fiscaldocument/").content.decode()
    link = f"/admin/fiscal/fiscaldocument/{document.pk}/print/"
    assert f'href="{link}"' in listing
    printed = admin_site.get(link)
    assert printed.status_code == 200
    assert printed["Content-Type"].startswith("text/html")
    assert document.control_number in printed.content.decode()
    assert api_client(alpha).get(link).status_code == 302  # no session: the admin's login
