"""Fiscal documents through the API: FISCAL.md's worked examples from hold to invoice,
receipts for partial payments, credit and debit notes, X and Z reports, immutability,
printing (HTML, PDF with its text checked, PNG of the first page) and who may do what."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import tenant_context

from fiscal.errors import ImmutableDocument
from fiscal.models import FiscalDocument, FiscalProfile, VoidedTicket
from tests.builders import api_hold_id as hold
from tests.builders import checkout_body, make_event, set_rate
from tests.conftest import api_client

RIF = "J-12345678-4"
CARACAS = ZoneInfo("America/Caracas")


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate("100.0000")
        FiscalProfile.objects.update_or_create(pk=1, defaults={
            "legal_name": "Teatro Alfa, C.A.", "rif": RIF,
            "fiscal_address": "Av. Urdaneta, Caracas"})
        return make_event(rows="AB", seats_per_row=10, price="10.00", ga_capacity=5,
                          ga_price="5.00")


@pytest.fixture
def admin(alpha):
    return api_client(alpha, "admin")


@pytest.fixture
def operator(alpha):
    return api_client(alpha, "operator")


def pay(client, hold_id, *payments, customer=None, terminal=""):
    body = checkout_body(*payments, customer=customer)
    response = client.post(f"/api/holds/{hold_id}/checkout/", body, format="json",
                           HTTP_X_POS_TERMINAL=terminal)
    assert response.status_code == 200, response.json()
    return response.json()


def sell(client, setup, *labels, payments, zones=None, customer=None):
    """Hold → checkout → the invoice as the documents API shows it."""
    result = pay(client, hold(client, setup, *labels, zones=zones), *payments,
                 customer=customer)
    invoice = result["transaction"]["invoice"]
    assert invoice is not None, result
    response = client.get(f"/api/fiscal/documents/{invoice['id']}/")
    assert response.status_code == 200, response.json()
    return response.json()


# --- FISCAL.md worked examples -----------------------------------------------------


def test_example_1_usd_cash_invoice_charges_igtf_on_the_total(cashier, setup):
    doc = sell(cashier, setup, "A1", payments=[("cash", "USD", "11.95")],
               customer={"name": "María Pérez", "tax_id": "v12345678"})
    assert doc["kind"] == "invoice"
    assert doc["base_total_ves"] == "1000.00"
    assert doc["iva_total_ves"] == "160.00"
    assert doc["total_ves"] == "1160.00"
    assert doc["igtf_ves"] == "34.80"
    assert doc["amount_due_ves"] == "1194.80"
    assert doc["amount_due_foreign"] == "11.95"
    assert doc["foreign_currency"] == "USD"
    assert Decimal(doc["exchange_rate"]) == Decimal("100")
    assert doc["issuer_rif"] == RIF and doc["issuer_name"] == "Teatro Alfa, C.A."
    assert (doc["buyer_name"], doc["buyer_tax_id"]) == ("María Pérez", "V-12345678")
    [line] = doc["snapshot"]["lines"]
    assert (line["description"], line["quantity"], line["unit_price"]) == ("Platea A1", 1,
                                                                           "10.00")
    assert line["iva_rate"] == "16.00" and line["exempt"] is False
    [tax] = doc["snapshot"]["taxes"]
    assert (tax["base_ves"], tax["iva_ves"]) == ("1000.00", "160.00")
    [payment] = doc["snapshot"]["payments"]
    assert (payment["method"], payment["currency"], payment["amount"],
            payment["amount_ves"]) == ("cash", "USD", "11.95", "1195.00")
    assert doc["snapshot"]["rates"]["igtf"] == "3.00"


def test_example_2_pago_movil_invoice_has_no_igtf(cashier, setup):
    doc = sell(cashier, setup, "A2", payments=[("pago_movil", "VES", "1160.00")])
    assert doc["total_ves"] == "1160.00"
    assert doc["igtf_ves"] == "0.00"
    assert doc["amount_due_ves"] == "1160.00"
    assert doc["buyer_name"] == "Consumidor final"


def test_example_3_mixed_payment_charges_igtf_on_the_dollar_part_only(cashier, setup):
    doc = sell(cashier, setup, "A3", payments=[("cash", "USD", "5.00"),
                                               ("pago_movil", "VES", "675.00")])
    assert doc["total_ves"] == "1160.00"
    assert doc["igtf_ves"] == "15.00"
    assert doc["amount_due_ves"] == "1175.00"
    assert [(p["currency"], p["amount_ves"]) for p in doc["snapshot"]["payments"]] == [
        ("USD", "500.00"), ("VES", "675.00")]


def test_transaction_shows_invoice_number_and_bs_and_usd_totals(cashier, setup):
    result = pay(cashier, hold(cashier, setup, "A4"), ("cash", "USD", "11.95"))
    tx = cashier.get(f"/api/transactions/{result['transaction']['id']}/").json()
    invoice = tx["invoice"]
    assert invoice["number"].startswith("FAC-") and invoice["control_number"]
    assert (invoice["amount_due_ves"], invoice["amount_due_foreign"]) == ("1194.80", "11.95")
    assert [d["kind"] for d in tx["documents"]] == ["invoice"]


def test_exempt_and_reduced_lines_are_split_by_rate(cashier, alpha):
    with tenant_context(alpha.tenant):
        set_rate("100.0000")
        exempt = make_event(rows="A", seats_per_row=2, price="10.00", tax_category="exempt",
                            ga_capacity=3, ga_price="5.00")
    doc = sell(cashier, exempt, "A1", zones=[{"zone": exempt.ga_zone.pk, "quantity": 2}],
               payments=[("pago_movil", "VES", "2160.00")])
    assert doc["exempt_ves"] == "1000.00"
    assert doc["base_total_ves"] == "1000.00" and doc["iva_total_ves"] == "160.00"
    assert doc["total_ves"] == "2160.00"
    html = cashier.get(f"/api/fiscal/documents/{doc['id']}/html/").content.decode()
    assert "Platea A1 (E)" in html


# --- Partial payments: receipts, then the invoice ----------------------------------


def test_partial_payment_gets_a_numbered_receipt_and_paying_off_an_invoice(cashier, setup):
    first = pay(cashier, hold(cashier, setup, "B1"), ("pago_movil", "VES", "500.00"))
    tx = first["transaction"]
    assert tx["status"] == "reserved" and tx["invoice"] is None
    [receipt] = tx["documents"]
    assert receipt["kind"] == "payment_receipt" and receipt["number"].startswith("REC-")
    detail = cashier.get(f"/api/fiscal/documents/{receipt['id']}/").json()
    assert detail["paid_ves"] == "500.00"
    assert detail["snapshot"]["balance_ves"] == "660.00"

    second = cashier.post(f"/api/transactions/{tx['id']}/payments/", {"payments": [
        {"method": "pago_movil", "currency": "VES", "amount": "660.00",
         "reference": "0102-555123"}]}, format="json")
    assert second.status_code == 200, second.json()
    tx = second.json()["transaction"]
    assert tx["status"] == "completed"
    assert [d["kind"] for d in tx["documents"]] == ["payment_receipt", "invoice"]
    invoice = cashier.get(f"/api/fiscal/documents/{tx['invoice']['id']}/").json()
    assert invoice["total_ves"] == invoice["paid_ves"] == "1160.00"
    assert [p["received_now"] for p in invoice["snapshot"]["payments"]] == [False, True]


# --- Credit and debit notes ---------------------------------------------------------


def test_credit_note_per_line_then_the_rest_adds_up_to_the_invoice(admin, cashier, setup,
                                                                   alpha):
    invoice = sell(cashier, setup, "A5", zones=[{"zone": setup.ga_zone.pk, "quantity": 2}],
                   payments=[("cash", "USD", "25.00")])
    assert invoice["total_ves"] == "2320.00" and invoice["igtf_ves"] == "69.60"
    url = f"/api/fiscal/documents/{invoice['id']}/credit-note/"

    partial = admin.post(url, {"reason": "Devolución de una entrada",
                               "lines": [{"line": 1, "quantity": 1}]}, format="json")
    assert partial.status_code == 201, partial.json()
    note = partial.json()
    assert note["kind"] == "credit_note" and note["number"].startswith("NC-")
    assert note["original"] == invoice["id"]
    refs = note["snapshot"]["references"]
    assert refs["invoice_number"] == invoice["number"]
    issued = datetime.fromisoformat(invoice["issued_at"]).astimezone(CARACAS)
    assert refs["invoice_date"] == f"{issued:%d/%m/%Y}"
    assert (note["total_ves"], note["igtf_ves"]) == ("580.00", "17.40")

    rest = admin.post(url, {"reason": "Evento cancelado"}, format="json")
    assert rest.status_code == 201, rest.json()
    notes = [note, rest.json()]
    for field in ("base_total_ves", "iva_total_ves", "total_ves", "igtf_ves",
                  "amount_due_ves"):
        assert sum(Decimal(n[field]) for n in notes) == Decimal(invoice[field]), field
    with tenant_context(alpha.tenant):
        assert VoidedTicket.objects.filter(
            ticket__transaction_id=invoice["transaction"]).count() == 3

    again = admin.post(url, {"reason": "otra vez"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "nothing_to_credit"


def test_credit_note_voids_the_ticket_which_prints_as_voided(admin, cashier, setup):
    invoice = sell(cashier, setup, "B2", payments=[("pago_movil", "VES", "1160.00")])
    response = admin.post(f"/api/fiscal/documents/{invoice['id']}/credit-note/",
                          {"reason": "Cancelado"}, format="json")
    assert response.status_code == 201
    ticket_id = response.json()["snapshot"]["lines"][0]["ticket_ids"][0]
    html = cashier.get(f"/api/fiscal/tickets/{ticket_id}/html/").content.decode()
    assert "ANULADA" in html


def test_credit_note_refuses_more_than_was_sold_and_non_invoices(admin, cashier, setup):
    invoice = sell(cashier, setup, "B3", payments=[("pago_movil", "VES", "1160.00")])
    url = f"/api/fiscal/documents/{invoice['id']}/credit-note/"
    too_many = admin.post(url, {"reason": "x", "lines": [{"line": 0, "quantity": 2}]},
                          format="json")
    assert too_many.status_code == 400 and too_many.json()["code"] == "invalid_note"
    no_line = admin.post(url, {"reason": "x", "lines": [{"line": 7, "quantity": 1}]},
                         format="json")
    assert no_line.status_code == 400
    note = admin.post(url, {"reason": "x"}, format="json").json()
    on_note = admin.post(f"/api/fiscal/documents/{note['id']}/credit-note/", {"reason": "x"},
                         format="json")
    assert on_note.status_code == 409 and on_note.json()["code"] == "not_an_invoice"
    assert admin.post("/api/fiscal/documents/999999/credit-note/", {"reason": "x"},
                      format="json").status_code == 404


def test_cashier_cannot_issue_credit_notes(cashier, setup):
    invoice = sell(cashier, setup, "B4", payments=[("pago_movil", "VES", "1160.00")])
    response = cashier.post(f"/api/fiscal/documents/{invoice['id']}/credit-note/",
                            {"reason": "x"}, format="json")
    assert response.status_code == 403


def test_debit_note_refers_to_its_invoice(admin, cashier, setup):
    invoice = sell(cashier, setup, "B5", payments=[("pago_movil", "VES", "1160.00")])
    response = admin.post(f"/api/fiscal/documents/{invoice['id']}/debit-note/", {
        "reason": "Cargo por servicio", "lines": [
            {"description": "Servicio", "quantity": 1, "unit_price": "2.00"}]}, format="json")
    assert response.status_code == 201, response.json()
    note = response.json()
    assert note["kind"] == "debit_note" and note["number"].startswith("ND-")
    assert (note["total_ves"], note["original"]) == ("232.00", invoice["id"])
    assert note["snapshot"]["references"]["invoice_number"] == invoice["number"]


# --- Immutability --------------------------------------------------------------------


def test_issued_documents_cannot_be_changed_or_deleted(cashier, setup, alpha):
    invoice = sell(cashier, setup, "B6", payments=[("pago_movil", "VES", "1160.00")])
    with tenant_context(alpha.tenant):
        doc = FiscalDocument.objects.get(pk=invoice["id"])
        doc.total_ves = Decimal("1.00")
        with pytest.raises(ImmutableDocument):
            doc.save()
        with pytest.raises(ImmutableDocument):
            FiscalDocument.objects.filter(pk=doc.pk).update(total_ves=Decimal("1.00"))
        with pytest.raises(ImmutableDocument):
            doc.delete()
        # The database refuses too, whatever the application does.
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE fiscal_fiscaldocument SET total_ves = 1 WHERE id = %s",
                        [doc.pk])
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute("DELETE FROM fiscal_fiscaldocument WHERE id = %s", [doc.pk])
        assert FiscalDocument.objects.get(pk=doc.pk).total_ves == Decimal("1160.00")


# --- X and Z reports -----------------------------------------------------------------


def test_z_report_totals_are_the_sum_of_the_days_documents_and_a_second_z_is_refused(
        admin, cashier, operator, setup, alpha):
    invoices = [
        sell(cashier, setup, "A6", payments=[("cash", "USD", "11.95")]),
        sell(cashier, setup, "A7", payments=[("pago_movil", "VES", "1160.00")]),
        sell(cashier, setup, "A8", payments=[("cash", "USD", "5.00"),
                                             ("pago_movil", "VES", "675.00")]),
    ]
    credit = admin.post(f"/api/fiscal/documents/{invoices[1]['id']}/credit-note/",
                        {"reason": "Devolución"}, format="json").json()

    x = operator.get("/api/fiscal/x-report/")
    assert x.status_code == 200, x.json()
    z = operator.post("/api/fiscal/z-report/", {}, format="json")
    assert z.status_code == 201, z.json()
    body = z.json()
    totals = body["totals"]
    assert totals["net_sales"] == x.json()["net_sales"]
    for field in ("total_ves", "iva_total_ves", "igtf_ves", "amount_due_ves"):
        expected = sum(Decimal(i[field]) for i in invoices) - Decimal(credit[field])
        assert Decimal(totals["net_sales"][field]) == expected, field
    assert totals["net_sales"]["total_ves"] == "2320.00"
    assert totals["net_sales"]["igtf_ves"] == "49.80"
    assert totals["counts"]["invoice"] == 3 and totals["counts"]["credit_note"] == 1
    [fac] = [s for s in totals["series"] if s["kind"] == "invoice"]
    assert (fac["first"], fac["last"]) == (invoices[0]["number"], invoices[2]["number"])
    usd = next(p for p in totals["payments"] if p["currency"] == "USD")
    assert (usd["amount"], usd["amount_ves"]) == ("16.95", "1695.00")
    with tenant_context(alpha.tenant):
        assert set(FiscalDocument.objects.values_list("z_report__number", flat=True)) == {
            body["number"]}

    second = operator.post("/api/fiscal/z-report/", {}, format="json")
    assert second.status_code == 409 and second.json()["code"] == "z_nothing_new"

    sell(cashier, setup, "A9", payments=[("pago_movil", "VES", "1160.00")])
    third = admin.post("/api/fiscal/z-report/", {}, format="json")
    assert third.status_code == 201 and third.json()["number"] == body["number"] + 1
    assert third.json()["totals"]["net_sales"]["total_ves"] == "1160.00"


def test_a_z_report_before_the_first_sale_is_refused_with_the_first_day(
        cashier, operator, setup):
    before_any = operator.post("/api/fiscal/z-report/", {"day": "2026-01-01"},
                               format="json")
    assert before_any.status_code == 400
    assert before_any.json()["code"] == "invalid_fiscal_day"
    sell(cashier, setup, "B8", payments=[("cash", "USD", "11.95")])
    first = fiscal_day_today()
    for day in ("0001-01-01", (first - timedelta(days=1)).isoformat()):
        refused = operator.post("/api/fiscal/z-report/", {"day": day}, format="json")
        assert refused.status_code == 400, day
        assert refused.json()["detail"].startswith(
            f"Nothing was sold before {first:%d/%m/%Y}, the day of this venue's first "
            "fiscal document: there is no fiscal day ")
        assert refused.json()["first_day"] == first.isoformat()
    future = operator.post("/api/fiscal/z-report/", {"day": "2999-01-01"}, format="json")
    assert future.status_code == 400 and "has not begun yet" in future.json()["detail"]
    closed = operator.post("/api/fiscal/z-report/", {"day": first.isoformat()},
                           format="json")
    assert closed.status_code == 201, closed.json()


def fiscal_day_today() -> date:
    from fiscal.selectors import fiscal_day

    return fiscal_day()


def test_fiscal_day_is_the_date_in_caracas(cashier, setup, alpha):
    # 03:30 UTC on 2 Dec is 23:30 on 1 Dec in Caracas (UTC-4).
    with time_machine.travel(datetime(2026, 12, 2, 3, 30, tzinfo=UTC), tick=False):
        with tenant_context(alpha.tenant):
            set_rate("100.0000", on=date(2026, 12, 1))
        doc = sell(cashier, setup, "B7", payments=[("cash", "USD", "11.95")])
    assert doc["fiscal_day"] == "2026-12-01"
    assert doc["snapshot"]["exchange"]["rate"].startswith("100")


def test_reports_are_for_operators_and_admins_not_cashiers(cashier, operator, admin, setup):
    assert cashier.get("/api/fiscal/x-report/").status_code == 403
    assert cashier.post("/api/fiscal/z-report/", {}, format="json").status_code == 403
    assert operator.get("/api/fiscal/x-report/").status_code == 200
    assert admin.get("/api/fiscal/x-report/?day=2026-01-01").json()["documents"] == 0


# --- Settings and exchange rates -----------------------------------------------------


def test_fiscal_settings_admin_writes_with_rif_check_digit_staff_read(admin, cashier, setup):
    assert cashier.get("/api/fiscal/settings/").json()["rif"] == RIF
    assert cashier.patch("/api/fiscal/settings/", {"igtf": "2"}, format="json"
                         ).status_code == 403
    bad = admin.patch("/api/fiscal/settings/", {"rif": "J-12345678-9"}, format="json")
    assert bad.status_code == 400 and "rif" in bad.json()
    ok = admin.patch("/api/fiscal/settings/", {"rif": "j123456784", "iva_general": "15"},
                     format="json")
    assert ok.status_code == 200, ok.json()
    assert (ok.json()["rif"], ok.json()["iva_general"]) == (RIF, "15.00")


def test_issued_invoice_keeps_its_rates_after_the_settings_change(admin, cashier, setup):
    doc = sell(cashier, setup, "B8", payments=[("pago_movil", "VES", "1160.00")])
    admin.patch("/api/fiscal/settings/", {"iva_general": "8"}, format="json")
    again = cashier.get(f"/api/fiscal/documents/{doc['id']}/").json()
    assert again["iva_total_ves"] == "160.00"
    assert again["snapshot"]["rates"]["iva_general"] == "16.00"


def test_exchange_rates_admin_writes_staff_reads(admin, cashier, setup):
    body = {"currency": "EUR", "rate": "110.123456", "valid_on": "2026-11-30"}
    assert cashier.post("/api/fiscal/exchange-rates/", body, format="json").status_code == 403
    created = admin.post("/api/fiscal/exchange-rates/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["created_by"] == "admin"
    listed = cashier.get("/api/fiscal/exchange-rates/").json()["results"]
    assert any(r["currency"] == "EUR" and r["rate"] == "110.123456" for r in listed)
    bad = admin.post("/api/fiscal/exchange-rates/", {**body, "currency": "VES"}, format="json")
    assert bad.status_code == 400


def test_series_per_terminal_numbers_on_its_own(admin, cashier, setup, alpha):
    created = admin.post("/api/fiscal/series/", {"kind": "invoice", "terminal": "T2",
                                                 "code": "B", "next_number": 500},
                         format="json")
    assert created.status_code == 201, created.json()
    paid = pay(cashier, hold(cashier, setup, "B9"), ("pago_movil", "VES", "1160.00"),
               terminal="T2")
    assert paid["transaction"]["invoice"]["number"] == "B-00000500"
    # A terminal without a series of its own numbers in the venue's default series.
    other = pay(cashier, hold(cashier, setup, "B8"), ("pago_movil", "VES", "1160.00"),
                terminal="T9")
    assert other["transaction"]["invoice"]["number"].startswith("FAC-")


def test_cashier_sees_only_documents_of_own_sales(cashier, alpha, setup):
    doc = sell(cashier, setup, "B10", payments=[("pago_movil", "VES", "1160.00")])
    other = api_client(alpha, "cashier2")
    assert other.get(f"/api/fiscal/documents/{doc['id']}/").status_code == 404
    assert doc["id"] not in [d["id"] for d in other.get("/api/fiscal/documents/").json()[
        "results"]]
    assert api_client(alpha, "operator").get(f"/api/fiscal/documents/{doc['id']}/"
                                             ).status_code == 200


# --- Printing --------------------------------------------------------------------------


def test_invoice_pdf_is_rendered_from_the_80mm_template(cashier, setup):
    doc = sell(cashier, setup, "A10", payments=[("cash", "USD", "11.95")],
               customer={"name": "María Pérez", "tax_id": "V-12345678"})
    html = cashier.get(f"/api/fiscal/documents/{doc['id']}/html/")
    assert html["Content-Type"].startswith("text/html")
    text = html.content.decode()
    # Spanish notation, as the POS page prints amounts (pos.formatting).
    for expected in (doc["number"], doc["control_number"], RIF, "Bs. 1.194,80", "Bs. 34,80",
                     "María Pérez", "Bs. 100,0000", "Vuelto", "Bs. 0,20",
                     "Efectivo USD 11,95"):
        assert expected in text, expected

    response = cashier.get(f"/api/fiscal/documents/{doc['id']}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = pypdfium2.PdfDocument(response.content)
    page = pdf[0]
    width_mm = page.get_width() * 25.4 / 72
    assert 79 <= width_mm <= 81  # 80 mm thermal paper
    assert len(pdf) == 1  # one continuous roll
    pdf_text = page.get_textpage().get_text_range()
    assert doc["number"] in pdf_text and "FACTURA" in pdf_text and "Bs. 1.194,80" in pdf_text
    out = Path(os.environ.get("POS_TEST_ARTIFACTS", "test-artifacts"))
    out.mkdir(parents=True, exist_ok=True)
    page.render(scale=3).to_pil().save(out / "fiscal_invoice.png")
    assert (out / "fiscal_invoice.png").stat().st_size > 1000


def test_ticket_prints_with_a_qr_code_of_its_code(cashier, setup, alpha):
    result = pay(cashier, hold(cashier, setup, "A2"), ("pago_movil", "VES", "1160.00"))
    ticket = result["transaction"]["tickets"][0]
    html = cashier.get(f"/api/fiscal/tickets/{ticket['id']}/html/").content.decode()
    assert ticket["code"] in html and 'src="data:image/svg+xml' in html
    pdf = cashier.get(f"/api/fiscal/tickets/{ticket['id']}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    page = pypdfium2.PdfDocument(pdf.content)[0]
    assert ticket["code"] in page.get_textpage().get_text_range()
    out = Path(os.environ.get("POS_TEST_ARTIFACTS", "test-artifacts"))
    out.mkdir(parents=True, exist_ok=True)
    page.render(scale=3).to_pil().save(out / "fiscal_ticket.png")
    other = api_client(alpha, "cashier2")
    assert other.get(f"/api/fiscal/tickets/{ticket['id']}/html/").status_code == 404
