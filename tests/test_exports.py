"""Exports of sales, payments, fiscal documents and check-ins (sales.exports, fiscal.exports,
pos.exports): GET /api/exports/{kind}/, the `export_*` commands and the admin's actions;
the same rows and writers everywhere."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context, tenant_context

from fiscal.models import FiscalDocument
from fiscal.taxes import PaymentInput
from reservations.services import hold_seats
from sales.checkin.services import check_in_ticket
from sales.checkout.services import Customer, checkout_hold
from sales.models import Payment, Ticket
from sales.tickets import ticket_qr
from tests.builders import make_event, set_rate, user
from tests.conftest import api_client

CARACAS = ZoneInfo("America/Caracas")
DAY = date(2031, 5, 1)


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=CARACAS)


def _sell(setup, label: str, payment: PaymentInput, now: datetime, customer=None):
    with time_machine.travel(now, tick=False):
        cashier = user("cashier")
        tx = hold_seats(user=cashier, event_id=setup.event.pk, seat_ids=setup.ids(label),
                        now=now)
        checkout_hold(user=cashier, transaction_id=tx.pk, payments=[payment],
                      customer=customer, now=now)
    return tx


@pytest.fixture
def sold(alpha):
    """1 May 2031 in Caracas: A1 at 10:00 (USD cash, a named buyer), scanned in at the door
    at 19:30; A2 at 00:10 (04:10 UTC); A3 at 23:50 on 30 April (already 1 May in UTC, so
    not of the day); A4 at 00:00:00 on 2 May (the next day). B1 of another event at noon."""
    with tenant_context(alpha.tenant):
        for day in (date(2031, 4, 30), DAY, date(2031, 5, 2)):
            set_rate("100.0000", on=day)
        main = make_event(rows="A", seats_per_row=5, price="10.00")
        other = make_event(rows="B", seats_per_row=2, price="10.00")
        bs = PaymentInput("pago_movil", "VES", Decimal("1160.00"), "0102-555123")
        a1 = _sell(main, "A1", PaymentInput("cash", "USD", Decimal("11.95")), at(DAY, 10),
                   customer=Customer(name="José Añez", tax_id="V-12345678",
                                     email="jose@example.com"))
        a2 = _sell(main, "A2", bs, at(DAY, 0, 10))
        _sell(main, "A3", bs, at(date(2031, 4, 30), 23, 50))
        _sell(main, "A4", bs, at(date(2031, 5, 2), 0, 0, 0))
        _sell(other, "B1", bs, at(DAY, 12))
        ticket = Ticket.objects.get(transaction=a1)
        with time_machine.travel(at(DAY, 19, 30), tick=False):
            check_in_ticket(user=user("door"), text=ticket_qr(ticket), gate="Norte",
                            device="G1")
        return {"main": main, "other": other, "a1": a1, "a2": a2, "ticket": ticket,
                "invoice": FiscalDocument.objects.get(transaction=a1, kind="invoice"),
                "payment": Payment.objects.get(transaction=a1)}


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # the BOM: Excel reads "José Añez" right
    return list(csv.reader(io.StringIO(body[1:])))


def _get(client, kind: str, **params):
    return client.get(f"/api/exports/{kind}/", {"date_from": DAY.isoformat(),
                                                "date_to": DAY.isoformat(), **params})


def test_sales_csv_row_cell_by_cell(alpha, sold):
    response = _get(api_client(alpha, "operator"), "sales", event=sold["main"].event.pk)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="sales-event{sold["main"].event.pk}-20310501-20310501.csv"')
    header, *rows = _csv(response)
    assert header[:4] == ["id", "created_at", "completed_at", "status"]
    # A2 (00:10) and A1 (10:00) of the main event: not A3 (30 April in Caracas), A4 (2 May)
    # or B1 (another event).
    assert [int(r[0]) for r in rows] == [sold["a2"].pk, sold["a1"].pk]
    invoice = sold["invoice"]
    row = dict(zip(header, next(r for r in rows if int(r[0]) == sold["a1"].pk), strict=True))
    assert row == {
        "id": str(sold["a1"].pk), "created_at": "2031-05-01 10:00:00",
        "completed_at": "2031-05-01 10:00:00", "status": "completed",
        "event": str(sold["main"].event.pk), "event_name": sold["main"].event.name,
        "cashier": "cashier", "customer_name": "José Añez", "customer_tax_id": "V-12345678",
        "customer_email": "jose@example.com", "currency": "USD", "tickets": "1",
        "subtotal": "10.00", "invoice_number": invoice.display_number,
        "invoice_control_number": invoice.control_number, "invoice_total_ves": "1160.00",
        "invoice_igtf_ves": "34.80", "invoice_amount_due_ves": "1194.80",
    }


def test_dates_are_whole_days_on_the_venues_clock(alpha, sold):
    operator = api_client(alpha, "operator")
    _, *rows = _csv(_get(operator, "sales"))
    assert sorted(r[1] for r in rows) == ["2031-05-01 00:10:00", "2031-05-01 10:00:00",
                                         "2031-05-01 12:00:00"]
    _, *two_days = _csv(_get(operator, "sales", date_from="2031-04-30"))
    assert "2031-04-30 23:50:00" in {r[1] for r in two_days}
    _, *next_day = _csv(_get(operator, "sales", date_from="2031-05-02",
                             date_to="2031-05-02"))
    assert [r[1] for r in next_day] == ["2031-05-02 00:00:00"]


def test_sales_xlsx_cells_are_typed(alpha, sold):
    from openpyxl import load_workbook

    response = _get(api_client(alpha, "admin"), "sales", event=sold["main"].event.pk,
                    format="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert response["Content-Disposition"].endswith('-20310501-20310501.xlsx"')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Ventas"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == sold["a1"].pk)
    cell = dict(zip(header, row, strict=True))
    assert cell["id"].data_type == "n"
    assert cell["created_at"].is_date
    assert cell["created_at"].value == datetime(2031, 5, 1, 10, 0)  # Caracas, naive
    assert cell["created_at"].number_format == "dd/mm/yyyy hh:mm:ss"
    assert cell["customer_name"].value == "José Añez"
    for name, value in (("subtotal", 10), ("invoice_total_ves", 1160),
                        ("invoice_igtf_ves", Decimal("34.8")),
                        ("invoice_amount_due_ves", Decimal("1194.8"))):
        assert cell[name].data_type == "n" and cell[name].number_format == "#,##0.00", name
        assert Decimal(str(cell[name].value)) == value, name
    assert cell["tickets"].value == 1


def test_payments_documents_and_checkins_rows(alpha, sold):
    operator = api_client(alpha, "operator")
    event = sold["main"].event.pk
    header, *rows = _csv(_get(operator, "payments", event=event))
    payment = sold["payment"]
    row = dict(zip(header, next(r for r in rows if int(r[0]) == payment.pk), strict=True))
    assert {k: row[k] for k in ("created_at", "transaction", "method", "currency", "amount",
                                "exchange_rate", "amount_ves", "change_ves", "kept_ves",
                                "reference", "received_by", "refunded_at")} == {
        "created_at": "2031-05-01 10:00:00", "transaction": str(sold["a1"].pk),
        "method": "cash", "currency": "USD", "amount": "11.95",
        "exchange_rate": "100.000000", "amount_ves": "1195.00", "change_ves": "0.20",
        "kept_ves": "1194.80", "reference": "", "received_by": "cashier", "refunded_at": ""}
    assert len(rows) == 2

    header, *rows = _csv(_get(operator, "documents", event=event))
    invoice = sold["invoice"]
    row = dict(zip(header, next(r for r in rows if int(r[0]) == invoice.pk), strict=True))
    assert (row["kind"], row["number"], row["control_number"], row["fiscal_day"],
            row["buyer_name"], row["total_ves"], row["igtf_ves"], row["amount_due_ves"],
            row["exchange_rate"], row["issued_by"]) == (
        "invoice", invoice.display_number, invoice.control_number, "2031-05-01",
        "José Añez", "1160.00", "34.80", "1194.80", "100.000000", "cashier")

    header, *rows = _csv(_get(operator, "checkins", event=event))
    assert [dict(zip(header, r, strict=True)) | {"id": "", "recorded_at": ""}
            for r in rows] == [{
        "id": "", "scanned_at": "2031-05-01 19:30:00", "recorded_at": "",
        "event": str(event), "ticket": str(sold["ticket"].pk), "code": rows[0][5],
        "zone": "Platea", "seat": "A1", "action": "entry", "result": "admitted",
        "reason": "", "gate": "Norte", "device": "G1", "user": "door", "offline": "no"}]
    _, *none = _csv(_get(operator, "checkins", event=sold["other"].event.pk))
    assert none == []


@pytest.mark.parametrize(("username", "status"), [("admin", 200), ("operator", 200),
                                                  ("cashier", 403), ("door", 403),
                                                  (None, 401)])
def test_exports_are_for_venue_admins_and_operators(alpha, username, status):
    for kind in ("sales", "payments", "documents", "checkins"):
        assert _get(api_client(alpha, username), kind).status_code == status, kind


@pytest.mark.parametrize(("params", "field", "code"), [
    ({"date_from": ""}, "date_from", "missing_parameter"),
    ({"date_to": "2031-13-01"}, "date_to", "invalid_date"),
    ({"date_from": "2031-05-02"}, "date_to", "invalid_range"),
    ({"date_from": "2029-12-31", "date_to": "2031-01-01"}, "date_to", "range_too_long"),
    ({"event": "abc"}, "event", "invalid_event"),
    ({"event": "999999"}, "event", "unknown_event"),
    ({"format": "pdf"}, "format", "invalid_format"),
])
def test_bad_input_is_a_400_naming_the_field(alpha, params, field, code):
    response = _get(api_client(alpha, "operator"), "sales", **params)
    assert response.status_code == 400
    body = response.json()
    assert (body["field"], body["code"]) == (field, code)
    assert field in body["detail"] or code == "unknown_event"


def test_a_whole_year_is_the_longest_range(alpha):
    ok = _get(api_client(alpha, "operator"), "payments", date_from="2030-01-01",
              date_to="2031-01-01")  # 366 days
    assert ok.status_code == 200 and len(_csv(ok)) == 1  # the header only


def test_export_commands_write_the_files(alpha, sold, tmp_path, capsys):
    from openpyxl import load_workbook

    target = tmp_path / "sales.xlsx"
    call_command("export_sales", "--tenant", "alpha", "--from", "2031-05-01", "--to",
                 "2031-05-01", "--event", str(sold["main"].event.pk), "--format", "xlsx",
                 "--output", str(target), "--progress")
    captured = capsys.readouterr()
    assert "2 row(s) written to" in captured.out
    assert "sales: 100%" in captured.err  # the progress bar, on stderr
    sheet = load_workbook(target)["Ventas"]
    assert [c.value for c in sheet["A"]][1:] == [sold["a2"].pk, sold["a1"].pk]  # by time
    for kind in ("payments", "documents", "checkins"):
        out = tmp_path / f"{kind}.csv"
        call_command(f"export_{kind}", "--tenant", "alpha", "--from", "2031-05-01", "--to",
                     "2031-05-01", "--output", str(out))
        text = out.read_text(encoding="utf-8-sig")
        assert text.splitlines()[0].startswith("id,"), kind
    assert "José Añez" in (tmp_path / "documents.csv").read_text(encoding="utf-8-sig")
    with pytest.raises(CommandError, match="date_to must be a date YYYY-MM-DD"):
        call_command("export_sales", "--tenant", "alpha", "--from", "2031-05-01",
                     "--to", "mañana", "--output", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="No tenant with schema 'nope'"):
        call_command("export_sales", "--tenant", "nope", "--from", "2031-05-01",
                     "--to", "2031-05-01")


def test_admin_action_exports_the_ticked_records(alpha, sold):
    client = api_client(alpha)
    with schema_context(alpha.schema):
        client.force_login(get_user_model().objects.get(username="operator"))
    response = client.post("/admin/sales/transaction/", {
        "action": "export_sales_csv", "_selected_action": [sold["a1"].pk]})
    assert response.status_code == 200, response.content[:300]
    header, *rows = _csv(response)
    assert [r[0] for r in rows] == [str(sold["a1"].pk)]
    assert rows[0][header.index("created_at")] == "2031-05-01 10:00:00"
    documents = client.post("/admin/fiscal/fiscaldocument/", {
        "action": "export_documents_xlsx", "_selected_action": [sold["invoice"].pk]})
    assert documents.status_code == 200
    assert documents["Content-Disposition"].startswith(
        'attachment; filename="documents-selected-')
    scans = client.post("/admin/sales/checkinscan/", {
        "action": "export_checkins_csv",
        "_selected_action": list(sold["ticket"].scans.values_list("id", flat=True))})
    assert scans.status_code == 200 and len(_csv(scans)) == 2
