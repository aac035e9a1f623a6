"""How amounts and times read (pos.formatting): Venezuela's Spanish notation and English,
exact decimals never rounded, the venue's clock from the tenant's `time_zone` setting, on
the documents, tickets and admin. The POS page's side (format.js printing the same
characters) is tests/test_formatting_page.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
from django.contrib.auth import get_user_model
from django.utils import translation
from django_tenants.utils import tenant_context

from fiscal.models import FiscalProfile
from pos.formatting import (
    format_datetime,
    format_document_datetime,
    format_money,
    format_number,
    page_format,
)
from tests.builders import api_hold_id, checkout_body, make_event, set_rate
from tests.conftest import api_client

CARACAS = ZoneInfo("America/Caracas")
MADRID = ZoneInfo("Europe/Madrid")
# 20:00 on the evening of 20 December in Caracas (UTC-4) is midnight UTC.
EVENING = datetime(2026, 12, 21, 0, 0, tzinfo=UTC)


# --- Amounts ---------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "currency", "locale", "expected"), [
    ("5220.00", "VES", "es", "Bs. 5.220,00"),
    ("58.00", "USD", "es", "USD 58,00"),
    ("5220.00", "VES", "en", "Bs 5,220.00"),
    ("58.00", "USD", "en", "USD 58.00"),
    (Decimal("8961"), "VES", "es", "Bs. 8.961,00"),  # four digits are grouped too
    ("0.40", "VES", "es", "Bs. 0,40"),
    ("0", "USD", "es", "USD 0,00"),
    ("1234567890.12", "VES", "es", "Bs. 1.234.567.890,12"),
    ("1234567890.12", "VES", "en", "Bs 1,234,567,890.12"),
    ("-1000.10", "VES", "es", "Bs. -1.000,10"),
    ("-1000.10", "USD", "en", "USD -1,000.10"),
    ("100.0000", "VES", "es", "Bs. 100,00"),  # trailing zeros past the cents are not digits
    ("36.2575", "VES", "es", "Bs. 36,2575"),  # never rounded: every digit stays
    ("0.005", "USD", "en", "USD 0.005"),
])
def test_format_money_prints_the_venue_notation(amount, currency, locale, expected):
    assert format_money(amount, currency, locale) == expected


def test_format_money_takes_locale_spellings_and_defaults_to_the_active_language():
    assert format_money("5220", "VES", "es-VE") == format_money("5220", "VES", "es_VE") \
        == "Bs. 5.220,00"
    assert format_money("5220", "VES", "en-us") == "Bs 5,220.00"
    assert format_money("5220", "VES", "fr") == "Bs. 5.220,00"  # not a page language
    with translation.override("en"):
        assert format_money("58", "USD") == "USD 58.00"
    with translation.override("es"):
        assert format_money("58", "USD") == "USD 58,00"


def test_a_float_or_a_non_amount_is_refused():
    with pytest.raises(TypeError):  # a float has already lost the cents it carried
        format_money(0.1 + 0.2, "USD", "es")
    for bad in (Decimal("NaN"), "12,50", "EUR"):
        with pytest.raises(ValueError):
            format_money(bad, "USD", "es")


def test_the_page_gets_babels_symbols():
    es, en = page_format("es"), page_format("en")
    assert {k: es[k] for k in ("locale", "decimal", "group", "minus", "groupSize",
                               "currencyLabels")} == {
        "locale": "es-VE", "decimal": ",", "group": ".", "minus": "-", "groupSize": 3,
        "currencyLabels": {"VES": "Bs."}}
    assert (en["decimal"], en["group"], en["currencyLabels"]) == (".", ",", {"VES": "Bs"})
    assert es["months"][11] == "dic." and en["months"][11] == "Dec"
    assert format_number("5220", "es") == "5.220,00"


# --- Times -----------------------------------------------------------------------------


def test_an_evening_in_caracas_reads_20_00_whatever_the_server_zone():
    assert format_datetime(EVENING, "es", time_zone=CARACAS) == "20 dic. 2026, 20:00"
    assert format_datetime(EVENING, "en", time_zone=CARACAS) == "20 Dec 2026, 20:00"
    assert format_datetime(EVENING, "en", time_zone=MADRID) == "21 Dec 2026, 01:00"
    assert format_datetime("2026-12-21T00:00:00+00:00", "en", time_zone=CARACAS,
                           pattern="HH:mm") == "20:00"
    with pytest.raises(ValueError):
        format_datetime(datetime(2026, 12, 20, 20, 0), "es", time_zone=CARACAS)


# --- The tenant's time zone setting ----------------------------------------------------


def test_time_zone_setting_defaults_to_caracas_and_refuses_unknown_names(alpha):
    admin = api_client(alpha, "admin")
    assert admin.get("/api/settings/").json()["time_zone"] == "America/Caracas"
    bad = admin.patch("/api/settings/", {"time_zone": "Caracas/Centro"}, format="json")
    assert bad.status_code == 400
    assert "Caracas/Centro" in str(bad.json())
    assert "America/Caracas" in str(bad.json())  # says what a good name looks like
    ok = admin.patch("/api/settings/", {"time_zone": "Europe/Madrid"}, format="json")
    assert ok.status_code == 200 and ok.json()["time_zone"] == "Europe/Madrid"
    cashier = api_client(alpha, "cashier")
    assert cashier.patch("/api/settings/", {"time_zone": "UTC"},
                         format="json").status_code == 403


def test_with_the_default_zone_api_datetimes_keep_caracas_offset(alpha):
    with tenant_context(alpha.tenant):
        setup = make_event()
    answer = api_client(alpha, "cashier").get(f"/api/events/{setup.event.pk}/").json()
    assert answer["starts_at"].endswith("-04:00")


@pytest.fixture
def sold(alpha):
    """A seat of USD 45.00 (with 16 % IVA, USD 52.20 = Bs. 5,220.00 at 100 Bs/USD), sold
    for pago móvil in bolívares, its event at 20:00 Caracas."""
    with tenant_context(alpha.tenant):
        set_rate("100.0000")
        FiscalProfile.objects.update_or_create(pk=1, defaults={
            "legal_name": "Teatro Alfa, C.A.", "rif": "J-12345678-4",
            "fiscal_address": "Av. Urdaneta, Caracas"})
        setup = make_event(rows="A", seats_per_row=2, price="45.00")
        evening = (datetime.now(CARACAS) + timedelta(days=10)).replace(
            hour=20, minute=0, second=0, microsecond=0)
        setup.event.starts_at = evening
        setup.event.save()
    cashier = api_client(alpha, "cashier")
    hold_id = api_hold_id(cashier, setup, "A1")
    paid = cashier.post(f"/api/holds/{hold_id}/checkout/",
                        checkout_body(("pago_movil", "VES", "5220.00")), format="json")
    assert paid.status_code == 200, paid.json()
    return cashier, paid.json()["transaction"], evening


def _pdf_text(content: bytes) -> str:
    return pypdfium2.PdfDocument(content)[0].get_textpage().get_text_range()


def test_the_same_amount_prints_identically_in_the_document_html_and_pdf(sold):
    cashier, tx, _evening = sold
    invoice = tx["invoice"]["id"]
    html = cashier.get(f"/api/fiscal/documents/{invoice}/html/").content.decode()
    pdf = _pdf_text(cashier.get(f"/api/fiscal/documents/{invoice}/pdf/").content)
    for amount in (format_money("5220.00", "VES", "es"), format_money("52.20", "USD", "es"),
                   format_money("45.00", "USD", "es")):
        assert amount in html, amount
        assert amount in pdf, amount
    assert "Bs. 5.220,00" in html and "USD 52,20" in pdf  # the issue's own notation
    ticket = tx["tickets"][0]["id"]
    ticket_html = cashier.get(f"/api/fiscal/tickets/{ticket}/html/").content.decode()
    assert "USD 45,00" in ticket_html
    assert "USD 45,00" in _pdf_text(cashier.get(f"/api/fiscal/tickets/{ticket}/pdf/").content)


def test_tickets_and_documents_print_the_venue_clock_of_the_tenant_setting(alpha, sold):
    cashier, tx, evening = sold
    ticket = tx["tickets"][0]["id"]
    html = cashier.get(f"/api/fiscal/tickets/{ticket}/html/").content.decode()
    assert f"{evening:%d/%m/%Y} 20:00" in html

    admin = api_client(alpha, "admin")
    assert admin.patch("/api/settings/", {"time_zone": "Europe/Madrid"},
                       format="json").status_code == 200
    madrid = evening.astimezone(MADRID)  # 01:00 the next day
    html = cashier.get(f"/api/fiscal/tickets/{ticket}/html/").content.decode()
    assert f"{madrid:%d/%m/%Y %H:%M}" in html and madrid.hour == 1
    with tenant_context(alpha.tenant):
        assert format_document_datetime(evening) == f"{madrid:%d/%m/%Y %H:%M}"
    # The API names the same instant, with the venue's offset.
    event = cashier.get(f"/api/events/{tx['event']}/").json()
    assert event["starts_at"].endswith("+01:00")
    assert datetime.fromisoformat(event["starts_at"]) == evening


def test_the_admin_prints_amounts_as_the_page_does(alpha, sold):
    site = api_client(alpha)
    with tenant_context(alpha.tenant):
        site.force_login(get_user_model().objects.get(username="admin"))
    page = site.get("/admin/fiscal/fiscaldocument/", HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 200
    assert "Bs. 5.220,00" in page.content.decode()
    page = site.get("/admin/fiscal/fiscaldocument/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Bs 5,220.00" in page.content.decode()
