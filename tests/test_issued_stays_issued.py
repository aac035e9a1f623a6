"""Issued stays issued: the payments, tickets, transaction and items of a sale with a fiscal
document are read-only in the Django admin and the API, and the database refuses to change
or delete them (fiscal/migrations/0003_issued_sales_stay_issued), as it does the documents;
every write the services make on such sales still goes through."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from fiscal.models import FiscalDocument
from fiscal.selectors import x_report
from reservations.models import ReservedTicket, StatusChange
from reservations.services import expire_stale_holds, extend_reservations
from sales.models import Payment, Ticket, Transaction
from tests.builders import api_hold_id, checkout_body, make_event, set_rate
from tests.conftest import api_client

PAID = checkout_body(("pago_movil", "VES", "1160.00"), reserve=False)
PART = checkout_body(("pago_movil", "VES", "500.00"))  # a reservation asked for
REST = checkout_body(("pago_movil", "VES", "660.00"), reserve=False)


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate("100.0000")
        return make_event(rows="A", seats_per_row=6, price="10.00")


def in_alpha():
    return schema_context("alpha")


def sell(cashier, setup, label: str) -> int:
    hold_id = api_hold_id(cashier, setup, label)
    paid = cashier.post(f"/api/holds/{hold_id}/checkout/", PAID, format="json")
    assert paid.json()["transaction"]["status"] == "completed", paid.json()
    return hold_id


def raw(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(write) -> str:
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        write()
    return str(caught.value)


# --- The database ----------------------------------------------------------------------


def test_the_database_refuses_to_change_or_delete_what_an_invoice_recorded(cashier, setup):
    tx = sell(cashier, setup, "A1")
    with in_alpha():
        payment = Payment.objects.get(transaction_id=tx)
        ticket = Ticket.objects.get(transaction_id=tx)
        item = ReservedTicket.objects.get(transaction_id=tx)
        writes = {
            "payment amount": lambda: Payment.objects.filter(pk=payment.pk).update(
                amount=Decimal("1.00")),
            "payment deleted": lambda: raw("DELETE FROM sales_payment WHERE id = %s",
                                           payment.pk),
            "ticket seat": lambda: Ticket.objects.filter(pk=ticket.pk).update(
                seat=setup.seats["A2"]),
            "ticket price": lambda: Ticket.objects.filter(pk=ticket.pk).update(
                price=Decimal("0.01")),
            "ticket deleted": lambda: raw("DELETE FROM sales_ticket WHERE id = %s", ticket.pk),
            "transaction status": lambda: Transaction.objects.filter(pk=tx).update(
                status="cancelled"),
            "transaction customer": lambda: Transaction.objects.filter(pk=tx).update(
                customer_name="Someone else"),
            "transaction deleted": lambda: raw("DELETE FROM sales_transaction WHERE id = %s",
                                               tx),
            "item status": lambda: ReservedTicket.objects.filter(pk=item.pk).update(
                status="cancelled"),
            "item deleted": lambda: raw(
                "DELETE FROM reservations_reservedticket WHERE id = %s", item.pk),
        }
        for name, write in writes.items():
            message = refused(write)
            assert f"Transaction {tx} has an issued fiscal document" in message, name
        # A write that changes nothing is no change.
        assert Payment.objects.filter(pk=payment.pk).update(amount=F("amount")) == 1
        assert Payment.objects.get(pk=payment.pk).amount == Decimal("1160.00")
        assert Ticket.objects.filter(transaction_id=tx).count() == 1


def test_control_without_the_guard_an_invoiced_sale_loses_its_payment(cashier, setup):
    tx = sell(cashier, setup, "A1")
    with in_alpha():
        raw("SET CONSTRAINTS ALL IMMEDIATE")
        raw("ALTER TABLE alpha.sales_payment DISABLE TRIGGER issued_sale_immutable")
        Payment.objects.filter(transaction_id=tx).delete()
        # The finding: "completed", no payments, and the X report still counts it.
        assert Transaction.objects.get(pk=tx).status == "completed"
        assert not Payment.objects.filter(transaction_id=tx).exists()
        assert x_report()["payments"][0]["amount"] == "1160.00"


def test_a_partly_paid_sale_keeps_its_payments_and_still_moves_on(cashier, setup, alpha):
    """The receipt of a partial payment freezes the payments it recorded; the services
    still extend the reservation, complete it when paid off and expire another one."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        reserved = api_hold_id(cashier, setup, "A1")
        assert cashier.post(f"/api/holds/{reserved}/checkout/", PART,
                            format="json").json()["transaction"]["status"] == "reserved"
        lapsing = api_hold_id(cashier, setup, "A2")
        cashier.post(f"/api/holds/{lapsing}/checkout/", PART, format="json")
        with in_alpha():
            payment = Payment.objects.get(transaction_id=reserved)
            assert "issued fiscal document" in refused(
                lambda: Payment.objects.filter(pk=payment.pk).update(amount=Decimal("1")))
            operator = get_user_model().objects.get(username="operator")
            assert extend_reservations(hours=1, actor=operator)["reservations"] == 2
    with time_machine.travel(start + timedelta(hours=72), tick=False):
        paid_off = cashier.post(f"/api/transactions/{reserved}/payments/", REST,
                                format="json")
        assert paid_off.json()["transaction"]["status"] == "completed", paid_off.json()
    with time_machine.travel(start + timedelta(hours=74), tick=False), in_alpha():
        assert expire_stale_holds()["transactions_expired"] == 1
        assert Transaction.objects.get(pk=lapsing).status == "expired"
        kinds = FiscalDocument.objects.filter(transaction_id=reserved).values_list("kind",
                                                                                    flat=True)
        assert sorted(kinds) == ["invoice", "payment_receipt"]


# --- The API -----------------------------------------------------------------------------


def test_the_api_changes_nothing_of_an_invoiced_sale(cashier, setup, alpha):
    tx = sell(cashier, setup, "A1")
    admin = api_client(alpha, "admin")
    for method in ("put", "patch", "delete"):
        assert getattr(admin, method)(f"/api/transactions/{tx}/", {},
                                      format="json").status_code == 405
    assert cashier.post(f"/api/transactions/{tx}/payments/", PAID,
                        format="json").status_code == 409
    assert cashier.delete(f"/api/holds/{tx}/").status_code == 409
    assert cashier.post(f"/api/holds/{tx}/release/", {"seat_ids": setup.ids("A1")},
                        format="json").status_code == 409
    assert cashier.post(f"/api/holds/{tx}/extend/").status_code == 409
    body = cashier.get(f"/api/transactions/{tx}/").json()
    assert (body["status"], len(body["payments"]), len(body["tickets"])) == ("completed", 1, 1)


# --- The Django admin ----------------------------------------------------------------------


@pytest.fixture
def admin_site(alpha):
    client = api_client(alpha)
    with in_alpha():
        client.force_login(get_user_model().objects.get(username="admin"))
    return client


def test_the_admin_shows_an_invoiced_sale_and_changes_nothing_of_it(admin_site, cashier,
                                                                    setup):
    tx = sell(cashier, setup, "A1")
    with in_alpha():
        payment = Payment.objects.get(transaction_id=tx).pk
        ticket = Ticket.objects.get(transaction_id=tx).pk
        item = ReservedTicket.objects.get(transaction_id=tx).pk
    pages = {"payment": payment, "ticket": ticket, "transaction": tx}
    for model, pk in pages.items():
        app = "sales"
        assert admin_site.get(f"/admin/{app}/{model}/{pk}/change/").status_code == 200
        assert admin_site.post(f"/admin/{app}/{model}/{pk}/change/", {
            "customer_name": "X", "amount": "1.00", "price": "0.01"}).status_code == 403
        assert admin_site.post(f"/admin/{app}/{model}/{pk}/delete/",
                               {"post": "yes"}).status_code == 403
    assert admin_site.post(f"/admin/reservations/reservedticket/{item}/change/",
                           {}).status_code == 403
    # The release action goes through the service, which refuses a sale.
    released = admin_site.post("/admin/reservations/reservedticket/", {
        "action": "release_selected", "_selected_action": [item]}, follow=True)
    assert "Released 0 hold(s)" in released.content.decode()
    with in_alpha():
        assert Transaction.objects.get(pk=tx).status == "completed"
        assert Payment.objects.filter(pk=payment).exists()
        assert not StatusChange.objects.filter(transaction_id=tx, reason="admin").exists()


def test_the_admin_corrects_a_customer_before_any_document_and_never_deletes_a_sale(
        admin_site, cashier, setup):
    hold_id = api_hold_id(cashier, setup, "A3")
    url = f"/admin/sales/transaction/{hold_id}/change/"
    saved = admin_site.post(url, {
        "customer_name": "Ana Rojas", "customer_tax_id": "V-1", "customer_email": "",
        "payments-TOTAL_FORMS": 0, "payments-INITIAL_FORMS": 0,
        "status_changes-TOTAL_FORMS": 0, "status_changes-INITIAL_FORMS": 0})
    assert saved.status_code == 302
    with in_alpha():
        assert Transaction.objects.get(pk=hold_id).customer_name == "Ana Rojas"
    assert admin_site.post(f"/admin/sales/transaction/{hold_id}/delete/",
                           {"post": "yes"}).status_code == 403
