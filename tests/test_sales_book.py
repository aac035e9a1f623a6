"""The Libro de Ventas (fiscal.sales_book): one line per fiscal document of the month,
credit notes negative naming their invoice, receipts left out, and totals that equal the
month's Z reports to the cent; as JSON, XLSX (typed cells) and PDF."""

from __future__ import annotations

import io
import json
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from fiscal.models import FiscalDocument, ZReport
from fiscal.sales_book import SalesBook
from fiscal.services import close_fiscal_day, issue_debit_note
from fiscal.taxes import Line, PaymentInput, TaxCategory
from reservations.services import hold_seats
from sales.checkout.services import Customer, checkout_hold, refund_sale
from tests.builders import make_event, set_rate, user
from tests.conftest import api_client

CARACAS = ZoneInfo("America/Caracas")
MONTH = date(2031, 3, 1)
AMOUNTS = ("total_ves", "exempt_ves", "base_total_ves", "iva_total_ves", "municipal_ves",
           "igtf_ves", "amount_due_ves")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CARACAS)


def _sell(setup, label: str, payments, *, now: datetime, customer=None, reserve=False):
    cashier = user("cashier")
    tx = hold_seats(user=cashier, event_id=setup.event.pk, seat_ids=setup.ids(label), now=now)
    checkout_hold(user=cashier, transaction_id=tx.pk, payments=payments, customer=customer,
                  reserve=reserve, now=now)
    return tx


def _invoice_of(tx) -> FiscalDocument:
    return FiscalDocument.objects.get(transaction=tx, kind="invoice")


def _z(day: date) -> None:
    with time_machine.travel(at(day, 23, 50), tick=False):
        close_fiscal_day(day=day, now=at(day, 23, 50))


@pytest.fixture
def month(alpha):
    """March 2031 at alpha: each day with documents closed by a Z. A USD event (a sale
    paid in USD cash with IGTF, another in Bs, a partly paid reservation: a receipt), a Bs
    event (an exempt line), a credit note of the USD sale and a debit note on the Bs one,
    and documents on each edge of the month (23:30 in Caracas on 28 Feb and on 31 Mar:
    already the next day in UTC)."""
    with tenant_context(alpha.tenant):
        admin = user("admin")
        usd = make_event(rows="A", seats_per_row=6, price="10.00")
        ves = make_event(rows="B", seats_per_row=3, price="250.00", currency="VES",
                         tax_category="exempt")
        days = [date(2031, 2, 28), date(2031, 3, 3), date(2031, 3, 4), date(2031, 3, 31)]
        for day in days:
            set_rate("100.0000", on=day)

        before = at(days[0], 23, 30)
        with time_machine.travel(before, tick=False):
            _sell(usd, "A6", [PaymentInput("pago_movil", "VES", Decimal("1160.00"), "0102")],
                  now=before)
        _z(days[0])

        first = at(days[1], 15)
        with time_machine.travel(first, tick=False):
            usd_sale = _sell(usd, "A1", [PaymentInput("cash", "USD", Decimal("11.95"))],
                             now=first, customer=Customer(name="María Pérez",
                                                          tax_id="V-12345678"))
            bs_sale = _sell(usd, "A2", [PaymentInput("pago_movil", "VES", Decimal("1160.00"),
                                                     "0102")], now=first)
            _sell(usd, "A3", [PaymentInput("cash", "USD", Decimal("2.00"))], now=first,
                  reserve=True)
        _z(days[1])

        second = at(days[2], 11)
        with time_machine.travel(second, tick=False):
            refund_sale(invoice_id=_invoice_of(usd_sale).pk, lines=None,
                        reason="Evento reprogramado", issued_by=admin, now=second)
            issue_debit_note(invoice_id=_invoice_of(bs_sale).pk, reason="Entrega a domicilio",
                             issued_by=admin, now=second,
                             lines=[Line("Entrega", 1, Decimal("2.00"), TaxCategory.REDUCED)])
            _sell(ves, "B1", [PaymentInput("pago_movil", "VES", Decimal("250.00"), "0102")],
                  now=second)
        _z(days[2])

        last = at(days[3], 23, 30)
        with time_machine.travel(last, tick=False):
            _sell(ves, "B2", [PaymentInput("cash", "VES", Decimal("250.00"))], now=last)
        _z(days[3])
    return {"usd_sale": usd_sale.pk, "bs_sale": bs_sale.pk}


def _z_sums(first: date, last: date) -> tuple[dict[str, Decimal], dict[tuple, list]]:
    net = dict.fromkeys(AMOUNTS, Decimal("0.00"))
    taxes: dict[tuple, list] = {}
    for z in ZReport.objects.filter(fiscal_day__gte=first, fiscal_day__lte=last):
        for name in AMOUNTS:
            net[name] += Decimal(z.totals["net_sales"][name])
        for tax in z.totals["taxes"]:
            bucket = taxes.setdefault((tax["category"], tax["rate"]), [Decimal(0), Decimal(0)])
            bucket[0] += Decimal(tax["base_ves"])
            bucket[1] += Decimal(tax["iva_ves"])
    return net, taxes


def test_the_books_totals_equal_the_months_z_reports_exactly(alpha, month):
    with tenant_context(alpha.tenant):
        book = SalesBook(MONTH)
        lines = list(book.lines())
        net, taxes = _z_sums(date(2031, 3, 1), date(2031, 3, 31))
        assert ZReport.objects.filter(fiscal_day__month=3, fiscal_day__year=2031).count() == 3
    totals = book.totals
    for name in AMOUNTS:
        assert totals.amounts[name] == net[name], name
    assert {k: [b, i] for k, (b, i) in totals.as_line().taxes.items()} == taxes
    # invoices A1, A2 (3 Mar), B1 (4 Mar), B2 (31 Mar), the credit and the debit note:
    # not the receipt of the reservation, not the sale of 28 Feb.
    assert [line.kind for line in lines].count("invoice") == 4
    assert totals.counts == {"invoice": 4, "credit_note": 1, "debit_note": 1}
    assert {line.day for line in lines} == {date(2031, 3, 3), date(2031, 3, 4),
                                            date(2031, 3, 31)}
    # 1160 (A1) + 1160 (A2) - 1160 (A1 credited) + 216 (debit: 200 + 8 %) + 250 + 250
    assert totals.amounts["total_ves"] == Decimal("1876.00")
    assert totals.amounts["exempt_ves"] == Decimal("500.00")
    assert totals.amounts["igtf_ves"] == Decimal("0.00")  # the IGTF of A1 came back


def test_a_credit_note_is_negative_and_names_the_invoice_it_affects(alpha, month):
    with tenant_context(alpha.tenant):
        invoice = _invoice_of_id(month["usd_sale"])
        data = SalesBook(MONTH).as_dict()
    note = next(line for line in data["lines"] if line["kind"] == "credit_note")
    assert note["affects"] == {"number": invoice.display_number,
                               "control_number": invoice.control_number,
                               "date": "2031-03-03"}
    assert (note["total_ves"], note["igtf_ves"], note["buyer_tax_id"]) == (
        "-1160.00", "-34.80", "V-12345678")
    assert note["exempt_ves"] == "0.00"  # not "-0.00"
    assert note["taxes"] == [{"category": "general", "rate": "16.00",
                              "base_ves": "-1000.00", "iva_ves": "-160.00"}]
    debit = next(line for line in data["lines"] if line["kind"] == "debit_note")
    assert debit["total_ves"] == "216.00" and debit["affects"]["number"].startswith("FAC-")
    assert data["totals"]["by_category"]["reduced"] == {"base_ves": "200.00",
                                                        "iva_ves": "16.00"}


def _invoice_of_id(tx_id: int) -> FiscalDocument:
    return FiscalDocument.objects.get(transaction_id=tx_id, kind="invoice")


def test_the_xlsx_has_typed_cells_and_a_totals_row(alpha, month):
    from openpyxl import load_workbook

    answer = api_client(alpha, "operator").get("/api/fiscal/sales-book/",
                                               {"month": "2031-03", "format": "xlsx"})
    assert answer.status_code == 200
    assert answer["Content-Disposition"] == 'attachment; filename="libro-de-ventas-2031-03.xlsx"'
    sheet = load_workbook(io.BytesIO(b"".join(answer.streaming_content)))["Libro de Ventas"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Libro de Ventas — marzo de 2031"
    header = rows.index(next(r for r in rows if r[0] == "N°"))
    first = sheet.cell(row=header + 2, column=1)
    assert first.value == 1 and first.data_type == "n"
    day = sheet.cell(row=header + 2, column=2)
    assert day.is_date and day.value.date() == date(2031, 3, 3)
    assert day.number_format == "dd/mm/yyyy"
    total = sheet.cell(row=header + 2, column=10)
    assert total.data_type == "n" and total.value == 1160
    assert total.number_format == "#,##0.00"
    totals = rows[-1]
    assert totals[2] == "TOTALES" and totals[9] == 1876
    credit = next(r for r in rows if r[2] == "Nota de crédito")
    assert credit[9] == -1160 and credit[7].startswith("FAC-")


def test_the_pdf_renders_landscape_with_the_totals_in_bolivars(alpha, month):
    import pypdfium2

    answer = api_client(alpha, "admin").get("/api/fiscal/sales-book/",
                                            {"month": "2031-03", "format": "pdf"})
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    pdf = pypdfium2.PdfDocument(answer.content)
    width, height = pdf[0].get_size()
    assert width > height  # landscape
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "Libro de Ventas" in text and "Bs. 1.876,00" in text
    assert "-1.160,00" in text.replace("\u2212", "-")
    assert "-0,00" not in text.replace("\u2212", "-")
    # For a person to look at: the PDF and its first page as PNG.
    artifacts = Path(os.environ.get("POS_TEST_ARTIFACTS", "test-artifacts"))
    (artifacts / "screenshots").mkdir(parents=True, exist_ok=True)
    (artifacts / "sales_book.pdf").write_bytes(answer.content)
    pdf[0].render(scale=1.5).to_pil().save(artifacts / "screenshots" / "sales_book.png")


def test_json_answer_and_refusals(alpha, month):
    operator = api_client(alpha, "operator")
    data = operator.get("/api/fiscal/sales-book/", {"month": "2031-03"}).json()
    assert data["totals"]["documents"] == 6 and data["issuer"]["rif"] == "J-12345678-4"
    for params, field, code in (({}, "month", "missing_parameter"),
                                ({"month": "2031-3"}, "month", "invalid_month"),
                                ({"month": "2031-13"}, "month", "invalid_month"),
                                ({"month": "2031-03", "format": "csv"}, "format",
                                 "invalid_format")):
        refused = operator.get("/api/fiscal/sales-book/", params)
        assert refused.status_code == 400, params
        assert (refused.json()["field"], refused.json()["code"]) == (field, code)
        assert refused.json()["detail"]
    assert api_client(alpha, "cashier").get("/api/fiscal/sales-book/",
                                            {"month": "2031-03"}).status_code == 403
    assert api_client(alpha, "door").get("/api/fiscal/sales-book/",
                                         {"month": "2031-03"}).status_code == 403


def test_sales_book_command_writes_the_file(alpha, month, tmp_path):
    from openpyxl import load_workbook

    out = io.StringIO()
    target = tmp_path / "book.xlsx"
    call_command("sales_book", "--tenant", "alpha", "--month", "2031-03",
                 "--output", str(target), stdout=out)
    assert "6 row(s) written to" in out.getvalue()
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    assert rows[-1][2] == "TOTALES"
    as_json = tmp_path / "book.json"
    call_command("sales_book", "--tenant", "alpha", "--month", "2031-03", "--format", "json",
                 "--output", str(as_json), stdout=io.StringIO())
    assert json.loads(as_json.read_text())["totals"]["total_ves"] == "1876.00"
    with pytest.raises(CommandError, match="month must be YYYY-MM"):
        call_command("sales_book", "--tenant", "alpha", "--month", "03/2031",
                     stdout=io.StringIO())


def test_an_empty_month_has_zero_totals(alpha):
    with tenant_context(alpha.tenant):
        book = SalesBook(date(2030, 1, 1)).as_dict()
    assert book["lines"] == [] and book["totals"]["total_ves"] == "0.00"
