"""The POS page's cashier flows of issue 17 in a real browser, at a phone (390×844), a
tablet (768×1024) and a desktop (1280×800): reservations found and paid off or cancelled,
payments that cannot mislead, the layout at every size, and the gaps of the cashier's
flow (Extend during checkout, own holds from another terminal, stale banners, printing).

Same live server and browser set-up as tests/test_pos_page.py (one browser for the
module). Screenshots go to $POS_TEST_ARTIFACTS/screenshots/, named by flow and size."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import Page, expect

from sales.models import Transaction
from tests import test_pos_page as pos_page
from tests.conftest import TenantFixture, api_client
from tests.ops_builders import reserve
from tests.test_pos_page import HOST, LIVE, open_pos, seat, shot

# The tenant, live server, browser and terminals of the POS page's tests (fixtures).
shop, live_url, browser, db = pos_page.shop, pos_page.live_url, pos_page.browser, pos_page.db
committed, event, terminals = pos_page.committed, pos_page.event, pos_page.terminals

pytestmark = pytest.mark.integration

SIZES = {
    "phone": {"width": 390, "height": 844},
    "tablet": {"width": 768, "height": 1024},
    "desktop": {"width": 1280, "height": 800},
}
size_param = pytest.mark.parametrize("size", list(SIZES))


def no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"page is {widths[0]} px wide in a {widths[1]} px window"


def on_screen(page: Page, selector: str) -> None:
    """The element is visible inside the window, without scrolling."""
    locator = page.locator(selector)
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    view = page.viewport_size
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= view["height"] + 1, (selector, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= view["width"] + 1, (selector, box)


def api_detail(tenant, tx_id: int) -> dict:
    """The transaction as the API answers it (its `amounts_due` are what the page shows)."""
    client = api_client(TenantFixture(tenant=tenant, host=HOST), "cashier")
    return client.get(f"/api/transactions/{tx_id}/").json()


# --- 1. Reservations at the POS --------------------------------------------------------


@size_param
def test_a_reservation_is_found_by_id_number_paid_in_part_then_paid_off(
        browser, live_url, terminals, event, committed, size):
    with tenant_context(committed):
        tx = reserve(event, "C1")
        Transaction.objects.filter(pk=tx.pk).update(customer_name="María Pérez",
                                                    customer_tax_id="V-12.345.678")
        other = reserve(event, "C2")
        Transaction.objects.filter(pk=other.pk).update(customer_name="Pedro Gómez")
    due = api_detail(committed, tx.pk)["amounts_due"]
    page = open_pos(browser, terminals, live_url, "cashier", event, viewport=SIZES[size])

    # On the map a reservation is not a hold: its own state, glyph and legend entry.
    expect(seat(page, "C1")).to_have_attribute("data-state", "reserved_partial")
    expect(seat(page, "C1")).to_have_attribute("aria-label",
                                               "Asiento C1, reservado con abono")
    expect(page.locator(".legend")).to_contain_text("reservado con abono")
    no_horizontal_scroll(page)
    shot(page, f"map-with-reservations-{size}.png")

    page.click("#view-reservations")
    page.fill("#res-q", "12345678")  # the cédula, without its letter
    page.press("#res-q", "Enter")
    expect(page.locator(".res-item")).to_have_count(1)
    expect(page.locator(".res-item")).to_contain_text("María Pérez")
    expect(page.locator("#res-cancel-btn")).to_have_count(0)  # a cashier does not cancel
    no_horizontal_scroll(page)
    shot(page, f"reservations-search-{size}.png")

    page.click(".res-item")
    expect(page.locator("#res-detail-title")).to_have_text(f"Reserva #{tx.pk}")
    expect(page.locator("#res-items")).to_have_text("C1")
    expect(page.locator("#res-deadline")).not_to_be_empty()
    expect(page.locator("#res-paid")).not_to_be_empty()
    expect(page.locator(".res-balance-line")).to_have_count(2)  # USD (with IGTF) and Bs.
    # The balance is pre-filled in the sale's currency, as the API settles it.
    amount = page.locator("#res-payments .pay-amount")
    expect(amount).to_have_value(due["USD"])
    expect(page.locator("#res-pay-btn")).to_have_text("Cobrar el saldo y emitir factura")
    # Switching to bolívares converts: the amount that settles it in Bs.
    page.locator("#res-payments .pay-currency").select_option("VES")
    expect(amount).to_have_value(due["VES"])
    on_screen(page, "#res-pay-btn")
    no_horizontal_scroll(page)
    shot(page, f"reservation-detail-{size}.png")

    # Part of it, typed the Venezuelan way: a payment, and still a reservation.
    amount.fill("1.000,00")
    expect(page.locator("#res-pay-btn")).to_have_text("Registrar abono (queda saldo)")
    page.click("#res-pay-btn")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    expect(page.locator("#confirm-body")).to_contain_text("Saldo pendiente")
    page.click("#confirm-ok")
    expect(page.locator("#res-result-title")).to_have_text(
        f"Abono registrado; la reserva #{tx.pk} aún tiene saldo")
    expect(page.locator("#res-result .result-balance")).not_to_be_empty()
    expect(page.locator("#res-result .result-deadline")).not_to_be_empty()
    expect(page.locator("#res-result .document-link")).to_have_text("Imprimir recibo")

    # The rest: the sale completes, with tickets to print.
    page.locator(".res-item", has_text="María Pérez").click()
    rest = api_detail(committed, tx.pk)["amounts_due"]
    expect(amount).to_have_value(rest["USD"])
    page.click("#res-pay-btn")
    expect(page.locator("#res-result-title")).to_have_text(
        f"Reserva #{tx.pk} pagada: venta completada")
    expect(page.locator("#res-result .ticket")).to_have_count(1)
    expect(page.locator("#res-result .document-link")).to_have_text("Imprimir factura")
    with page.expect_popup() as popup:
        page.locator("#res-result .ticket-print").click()
    assert re.search(r"/api/fiscal/tickets/\d+/html/$", popup.value.url)
    popup.value.close()
    no_horizontal_scroll(page)
    shot(page, f"reservation-paid-off-{size}.png")
    with tenant_context(committed):
        assert Transaction.objects.get(pk=tx.pk).status == Transaction.Status.COMPLETED

    page.click("#view-sale")
    expect(seat(page, "C1")).to_have_attribute("data-state", "sold", timeout=LIVE)
    expect(seat(page, "C2")).to_have_attribute("data-state", "reserved_partial")


@size_param
def test_a_venue_admin_cancels_a_reservation_found_by_name(
        browser, live_url, terminals, event, committed, size):
    with tenant_context(committed):
        tx = reserve(event, "D4")
        Transaction.objects.filter(pk=tx.pk).update(customer_name="Pedro Gómez")
    page = open_pos(browser, terminals, live_url, "admin", event, viewport=SIZES[size])
    page.click("#view-reservations")
    page.fill("#res-q", "gómez")
    page.press("#res-q", "Enter")
    page.locator(".res-item", has_text=f"#{tx.pk}").click()
    page.click("#res-cancel-btn")
    expect(page.locator("#confirm-title")).to_have_text(f"¿Cancelar la reserva #{tx.pk}?")
    page.fill("#confirm-reason", "El cliente desistió")
    shot(page, f"reservation-cancel-dialog-{size}.png", full_page=False)
    page.click("#confirm-ok")
    expect(page.locator("#res-result-title")).to_have_text(
        f"Reserva #{tx.pk} cancelada: los asientos vuelven a estar a la venta.")
    with tenant_context(committed):
        assert Transaction.objects.get(pk=tx.pk).status == Transaction.Status.CANCELLED
    page.click("#view-sale")
    expect(seat(page, "D4")).to_have_attribute("data-state", "available", timeout=LIVE)


# --- 2. Payments that cannot mislead ------------------------------------------------------


@size_param
def test_payments_convert_read_amounts_strictly_and_a_reservation_is_confirmed(
        browser, live_url, terminals, event, committed, size):
    page = open_pos(browser, terminals, live_url, "cashier", event, viewport=SIZES[size])
    seat(page, "B2").click()
    on_screen(page, "#hold-btn")
    page.click("#hold-btn")
    page.click("#checkout-btn")
    amount = page.locator(".pay-amount")
    pay = page.locator("#pay-btn")
    # B2: 25 USD + IVA 16 % = 29 USD = Bs. 2900; in dollars IGTF 3 % is added.
    expect(amount).to_have_value("29.87")
    expect(pay).to_have_text("Cobrar y emitir factura")
    page.locator(".pay-currency").select_option("VES")
    expect(amount).to_have_value("2900.00")  # converted, not the same number in Bs.
    expect(pay).to_have_text("Cobrar y emitir factura")
    on_screen(page, "#pay-btn")
    on_screen(page, "#countdown")
    no_horizontal_scroll(page)

    # Amounts as cashiers type them; what cannot be read is said, never ignored.
    amount.fill("2.900,00")
    expect(pay).to_have_text("Cobrar y emitir factura")
    expect(page.locator(".pay-error")).to_be_hidden()
    amount.fill("2.900")
    expect(page.locator(".pay-error")).to_have_text(
        "«2.900» se puede leer de dos maneras: escriba 2900,00 o 2,90.")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(pay).to_be_disabled()
    expect(pay).to_have_text("Indique un pago")
    shot(page, f"amount-error-{size}.png")
    amount.fill("29OO")
    expect(page.locator(".pay-error")).to_contain_text("no es un monto")
    amount.fill("1000,00")
    expect(page.locator(".pay-error")).to_be_hidden()
    expect(pay).to_have_text("Registrar abono y reservar")
    expect(page.locator("#reserve-note")).to_contain_text("la venta queda como reserva")

    # Only the method–currency pairs checkout takes: Zelle is dollars only (converted
    # again), and needs its bank reference.
    page.locator(".pay-method").select_option("zelle")
    expect(page.locator(".pay-currency option")).to_have_count(1)
    expect(page.locator(".pay-currency")).to_have_value("USD")
    expect(amount).to_have_value("10.30")  # 1000 of 2900 Bs. is 10.30 of 29.87 USD
    expect(pay).to_be_disabled()
    expect(pay).to_have_text("Indique la referencia bancaria.")
    page.fill(".pay-reference", "ZL-99812")
    expect(pay).to_have_text("Registrar abono y reservar")

    # A reservation is never one click: a dialog with the balance and the deadline.
    pay.click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#confirm-title")).to_have_text("¿Reservar con un abono?")
    expect(page.locator("#confirm-body")).to_contain_text("Saldo pendiente:")
    expect(page.locator("#confirm-body")).to_contain_text("Los asientos se guardan hasta el")
    shot(page, f"reserve-confirmation-{size}.png", full_page=False)
    page.click("#confirm-cancel")
    expect(dialog).to_be_hidden()
    expect(page.locator("#checkout-panel")).to_be_visible()  # nothing happened
    with tenant_context(committed):
        assert not Transaction.objects.filter(event=event.event, status="reserved").exists()
    pay.click()
    page.click("#confirm-ok")
    expect(page.locator("#result-title")).to_have_text(re.compile("^Reservado con abono hasta el "))
    expect(page.locator("#result .result-balance")).not_to_be_empty()
    expect(page.locator("#result .result-deadline")).not_to_be_empty()
    expect(page.locator("#result .result-payments li")).to_contain_text(["Zelle (ZL-99812)"])
    expect(page.locator("#result .document-link")).to_have_text("Imprimir recibo")
    expect(seat(page, "B2")).to_have_attribute("data-state", "reserved_partial", timeout=LIVE)
    no_horizontal_scroll(page)
    shot(page, f"reservation-receipt-{size}.png")
    with tenant_context(committed):
        sale = Transaction.objects.get(event=event.event)
        assert sale.status == Transaction.Status.RESERVED
        assert list(sale.payments.values_list("method", "currency", "amount", "reference")) \
            == [("zelle", "USD", Decimal("10.30"), "ZL-99812")]


def test_amount_parsing_rules(browser, live_url, terminals, committed):
    """pos/static/pos/amount.js, run in the browser as the page runs it."""
    context = browser.new_context()
    terminals.append(context)
    page = context.new_page()
    page.goto(f"{live_url}/pos/login/")
    cases = {
        "5.800,00": "5800.00", "5800.00": "5800.00", "5800,00": "5800.00", "5800": "5800.00",
        "5,800.00": "5800.00", "1.234.567,89": "1234567.89", "12,5": "12.50", " 58 ": "58.00",
        "5 800,00": "5800.00", "12.345": "12345.00", ",5": "0.50",
        "5.800": "ambiguous", "5,800": "ambiguous", "": "empty", "abc": "invalid",
        "-5": "invalid", "1.2.3": "invalid", "5 80": "invalid", "0,00": "zero",
        "0.500": "decimals", "1234.567": "decimals",
    }
    results = page.evaluate("""async (typed) => {
        const { parseAmount } = await import('/static/pos/amount.js');
        return typed.map((text) => parseAmount(text));
    }""", list(cases))
    read = {typed: r.get("value") or r.get("error")
            for typed, r in zip(cases, results, strict=True)}
    assert read == cases


# --- 3 and 5. Every size; the cashier's flow -------------------------------------------------


@size_param
def test_extend_during_checkout_own_holds_from_another_terminal_and_blocked_seats(
        browser, live_url, terminals, event, committed, size):
    first = open_pos(browser, terminals, live_url, "cashier", event, viewport=SIZES[size])
    seat(first, "D1").click()
    first.click("#hold-btn")
    on_screen(first, "#countdown")
    on_screen(first, "#checkout-btn")
    no_horizontal_scroll(first)
    first.click("#checkout-btn")
    # Extend is at hand during checkout, in the countdown.
    on_screen(first, "#extend-btn")
    first.click("#extend-btn")
    expect(first.locator("#message")).to_have_text("La retención se extendió.")
    expect(first.locator("#countdown-time")).to_have_text(re.compile(r"^(20:00|19:5\d)$"))
    on_screen(first, "#pay-btn")
    no_horizontal_scroll(first)
    shot(first, f"checkout-extended-{size}.png", full_page=False)
    first.click("#back-btn")
    expect(first.locator("#message")).to_be_hidden()  # no stale banner on the next step

    # The same cashier on a second terminal: the seat is theirs, and so is the hold.
    second = open_pos(browser, terminals, live_url, "cashier", event, viewport=SIZES[size])
    expect(seat(second, "D1")).to_have_attribute("data-state", "reserved_by_me")
    own = second.locator("#my-holds .my-hold")
    expect(own).to_have_count(1)
    expect(own).to_contain_text("D1")
    seat(second, "D1").click()
    expect(second.locator("#message")).to_contain_text("El asiento D1 está retenido por usted")
    no_horizontal_scroll(second)
    shot(second, f"own-hold-other-terminal-{size}.png")
    second.locator("#my-holds .release-other-hold").click()
    expect(second.locator("#message")).to_have_text("Se liberaron los asientos.")
    expect(own).to_have_count(0)
    expect(seat(second, "D1")).to_have_attribute("data-state", "available", timeout=LIVE)

    # Continued on the other terminal: its countdown, its checkout.
    expect(first.locator("#selection-panel")).to_be_visible(timeout=LIVE)
    seat(first, "D2").click()
    first.click("#hold-btn")
    expect(own).to_have_count(1, timeout=LIVE)
    second.locator("#my-holds .resume-hold").click()
    expect(second.locator("#hold-panel")).to_be_visible()
    expect(second.locator("#hold-items")).to_contain_text("D2")
    on_screen(second, "#countdown")
    second.click("#release-btn")
    expect(seat(second, "D2")).to_have_attribute("data-state", "available", timeout=LIVE)

    # A seat the venue blocked (when the API sends the state): grey, ⊘, named. The answer
    # is read through the test client (Playwright's own fetch cannot resolve *.localhost).
    client = api_client(TenantFixture(tenant=committed, host=HOST), "cashier")

    def with_blocked_seat(route) -> None:
        body = client.get(f"/api/events/{event.event.pk}/availability/").json()
        for item in body["seats"]:
            if item["label"] == "A1":
                item["state"] = "blocked"
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    second.route("**/availability/", with_blocked_seat)
    second.reload()
    expect(seat(second, "A1")).to_have_attribute("data-state", "blocked", timeout=LIVE)
    expect(seat(second, "A1")).to_have_attribute("aria-label", "Asiento A1, bloqueado")
    expect(seat(second, "A1").locator(".seat-glyph")).to_have_text("⊘")
    expect(second.locator(".legend")).to_contain_text("bloqueado")
    shot(second, f"blocked-seat-{size}.png", full_page=False)
