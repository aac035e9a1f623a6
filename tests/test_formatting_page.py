"""The POS page prints amounts and times exactly as the server does (pos.formatting): the
same characters on the page (read in Chromium), in the document's HTML and in its PDF;
times on the venue's clock even on a terminal set to UTC. Uses tests/test_pos_page.py's
live server, tenant and browser."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import Browser, Page, expect

from pos.formatting import format_datetime, format_money
from tenants.models import TenantSettings
from tests import test_pos_page as pos_page
from tests.builders import EventSetup, api_hold_id, checkout_body, make_event
from tests.conftest import PASSWORD, TenantFixture, api_client
from tests.test_pos_page import HOST, seat, shot, watch_csp

# The POS page tests' fixtures: their tenant, live server and browser (one per module).
shop = pos_page.shop
live_url = pos_page.live_url
browser = pos_page.browser
db = pos_page.db
committed = pos_page.committed
terminals = pos_page.terminals

pytestmark = pytest.mark.integration

CARACAS = ZoneInfo("America/Caracas")
MADRID = ZoneInfo("Europe/Madrid")
# Amounts whose printing could go wrong: grouping of four digits, millions, no rounding,
# a sign, the page's own float sums (a JS number).
AMOUNTS = ["0.00", "0.40", "58.00", "5220.00", "8961.00", "1234567.89", "999999999999.99",
           "-1000.10", "36.2575", "0.005", "007.50"]


def open_terminal(browser: Browser, terminals: list, base: str, event: EventSetup, *,
                  timezone_id: str | None = None) -> Page:
    """A terminal logged in as `cashier` on `event`; `timezone_id`: the terminal's zone."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US",
                                  timezone_id=timezone_id)
    terminals.append(context)
    watch_csp(context)
    page = context.new_page()
    page.goto(f"{base}/pos/?event={event.event.pk}")
    page.fill("#id_username", "cashier")
    page.fill("#id_password", PASSWORD)
    page.click(".login button[type=submit]")
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    expect(page.locator("#event-select")).to_have_value(str(event.event.pk))
    return page


@pytest.fixture
def evening_event(committed) -> EventSetup:
    """Seats of USD 45.00 (USD 52.20 = Bs. 5,220.00 with IVA at 100 Bs/USD), on an evening
    at 20:00 in Caracas."""
    with tenant_context(committed):
        setup = make_event(rows="A", seats_per_row=4, price="45.00")
        setup.event.starts_at = (datetime.now(CARACAS) + timedelta(days=10)).replace(
            hour=20, minute=0, second=0, microsecond=0)
        setup.event.save()
    return setup


def test_page_formats_every_amount_as_the_server_in_spanish_and_english(
    browser, live_url, terminals, evening_event
):
    page = open_terminal(browser, terminals, live_url, evening_event)
    for language in ("es", "en"):
        if language == "en":
            page.click('.language button[value="en"]')
            expect(page.locator("html")).to_have_attribute("lang", "en")
            expect(page.locator("body[data-ready=true]")).to_be_attached()
        for currency in ("VES", "USD"):
            printed = page.evaluate(
                "([amounts, currency]) => amounts.map((a) => window.posFormat.money(a, currency))",
                [AMOUNTS, currency])
            assert printed == [format_money(a, currency, language) for a in AMOUNTS], language
        # The page's own sums are JS numbers: 3 × 19.9 is 59.699999999999996 there.
        assert page.evaluate("() => window.posFormat.money(3 * 19.9, 'USD')") == \
            format_money("59.70", "USD", language)


def test_the_same_amount_prints_identically_on_page_html_and_pdf(
    browser, live_url, terminals, evening_event, committed
):
    total_usd = format_money("52.20", "USD", "es")  # USD 45.00 + 16 % IVA
    total_ves = format_money("5220.00", "VES", "es")
    price = format_money("45.00", "USD", "es")
    assert (total_ves, total_usd, price) == ("Bs. 5.220,00", "USD 52,20", "USD 45,00")

    page = open_terminal(browser, terminals, live_url, evening_event)
    seat(page, "A1").click()
    expect(page.locator("#selection-total")).to_have_text(price)
    page.click("#hold-btn")
    page.click("#checkout-btn")
    expect(page.locator("#q-total")).to_contain_text(total_usd)
    # The quote table keeps each amount on one line with a no-break space, which reads
    # exactly as a space.
    on_page = page.locator("#q-total").inner_text().replace("\xa0", " ")
    assert total_usd in on_page and total_ves in on_page, on_page
    shot(page, "formatting-checkout.png")

    # The same seat price, sold through the API: its invoice and ticket.
    cashier = api_client(TenantFixture(tenant=committed, host=HOST), "cashier")
    hold_id = api_hold_id(cashier, evening_event, "A2")
    sold = cashier.post(f"/api/holds/{hold_id}/checkout/",
                        checkout_body(("pago_movil", "VES", "5220.00")), format="json")
    assert sold.status_code == 200, sold.json()
    tx = sold.json()["transaction"]
    invoice = tx["invoice"]["id"]
    html = cashier.get(f"/api/fiscal/documents/{invoice}/html/").content.decode()
    pdf = pypdfium2.PdfDocument(cashier.get(f"/api/fiscal/documents/{invoice}/pdf/").content)
    pdf_text = pdf[0].get_textpage().get_text_range()
    for amount in (total_ves, total_usd, price):
        assert amount in html, amount
        assert amount in pdf_text, amount
    ticket = cashier.get(f"/api/fiscal/tickets/{tx['tickets'][0]['id']}/html/").content.decode()
    assert price in ticket


def test_event_time_is_the_venues_clock_on_a_terminal_set_to_utc(
    browser, live_url, terminals, evening_event, committed
):
    starts = evening_event.event.starts_at
    page = open_terminal(browser, terminals, live_url, evening_event, timezone_id="UTC")
    assert page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone") == "UTC"
    expect(page.locator("#event-when")).to_have_text(
        format_datetime(starts, "es", time_zone=CARACAS))
    expect(page.locator("#event-when")).to_have_text(re.compile(r", 20:00$"))
    shot(page, "formatting-event-time-utc-terminal.png", full_page=False)

    settings = TenantSettings.objects.get(tenant=committed)
    settings.time_zone = "Europe/Madrid"
    settings.save()  # save(): every worker forgets the settings it remembered
    try:
        page.reload()
        expect(page.locator("body[data-ready=true]")).to_be_attached()
        expect(page.locator("#event-when")).to_have_text(
            format_datetime(starts, "es", time_zone=MADRID))
        expect(page.locator("#event-when")).to_have_text(re.compile(r", 01:00$"))
    finally:
        settings.time_zone = "America/Caracas"
        settings.save()
