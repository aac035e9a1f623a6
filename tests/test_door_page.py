"""The door's page (/pos/door/) in a real browser: headless Debian Chromium driven by
Playwright against a live Django server on a tenant host of its own (`door.localhost`),
as tests/test_pos_page.py does for the POS page (same live-server set-up, committed data).

A barcode scanner is a keyboard: the tests type the QR text and Enter into whatever has
the focus, never clicking the field first. Screenshots at phone, tablet and desktop size go
to $POS_TEST_ARTIFACTS/screenshots/door-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context
from playwright.sync_api import Browser, Page, expect

from sales.models import CheckinScan, Event
from tenants.models import Tenant
from tenants.roles import Role
from tenants.services import create_staff_user
from tests.builders import EventSetup, make_event, sell_through_api, set_rate
from tests.conftest import PASSWORD, TenantFixture, api_client, get_or_create_tenant
from tests.test_pos_page import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    TABLET,
    launch_chromium,
    serve_live,
    watch_csp,
)

pytestmark = pytest.mark.integration

HOST = "door.localhost"


# --- Fixtures (as tests/test_pos_page.py) ------------------------------------------------


@pytest.fixture(scope="module")
def venue(tenants, django_db_blocker) -> Iterator[Tenant]:
    """A tenant of its own, committed, with door staff and a cashier."""
    with django_db_blocker.unblock():
        tenant = get_or_create_tenant("door", HOST)
        with tenant_context(tenant):
            create_staff_user(username="door", password=PASSWORD, role=Role.DOOR)
            create_staff_user(username="cashier", password=PASSWORD, role=Role.CASHIER)
            set_rate("100.0000")
            # Earlier runs' events (the tenant is kept between sessions) out of the
            # door's event list: each test picks the event it made.
            Event.objects.update(starts_at=timezone.now() - timedelta(days=30))
        connection.set_schema_to_public()
        yield tenant


@pytest.fixture(scope="module")
def live_url(venue) -> Iterator[str]:
    yield from serve_live(HOST)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch_chromium()


@pytest.fixture
def db(venue, django_db_blocker) -> Iterator[None]:
    """Committed database access for the test body and the live server (see
    tests/test_pos_page.py)."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


@pytest.fixture
def gate_venue(venue) -> TenantFixture:
    return TenantFixture(tenant=venue, host=HOST)


def sell(gate_venue: TenantFixture, setup: EventSetup, *labels: str, general: int = 0) -> dict:
    zones = [{"zone": setup.ga_zone.pk, "quantity": general}] if general else None
    sale = sell_through_api(gate_venue, setup, *labels, zones=zones)
    connection.set_schema_to_public()
    return sale


@pytest.fixture
def sold(gate_venue, db) -> tuple[EventSetup, dict[str, str], dict]:
    """An event of its own with seats A1-A3 and two general-admission places sold: the QR
    text of each ticket by label (G1, G2 for the general ones), and the sale."""
    with tenant_context(gate_venue.tenant):
        setup = make_event(rows="A", seats_per_row=4, ga_capacity=10)
    sale = sell(gate_venue, setup, "A1", "A2", "A3", general=2)
    qrs, general = {}, 0
    for ticket in sale["tickets"]:
        if ticket["label"] == "General":
            general += 1
            qrs[f"G{general}"] = ticket["qr"]
        else:
            qrs[ticket["label"]] = ticket["qr"]
    return setup, qrs, sale


def open_door(browser: Browser, contexts: list, base: str, *, viewport: dict = DESKTOP,
              username: str = "door", event: EventSetup | None = None,
              init_script: str | None = None) -> Page:
    """A gate: logs in through the POS log-in (landing on the door's page) and picks the
    event."""
    context = browser.new_context(viewport=viewport, locale="en-US")
    contexts.append(context)
    watch_csp(context)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.goto(f"{base}/pos/")
    expect(page).to_have_url(re.compile(r"/pos/login/\?next="))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login button[type=submit]")
    expect(page).to_have_url(re.compile(r"/pos/door/$"))
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    if event is not None:
        page.select_option("#door-event", str(event.event.pk))
    return page


def scan(page: Page, text: str) -> None:
    """What a keyboard-wedge scanner does: type into the focused element, then Enter."""
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


def assert_no_horizontal_scroll(page: Page, width: int) -> None:
    """Nothing sticks out on the right: no sideways scrolling on a phone."""
    wide = page.evaluate("""(width) => [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > width + 0.5)
        .map((el) => el.tagName + '#' + el.id + '.' + el.className)""", width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, wide
    assert not wide, wide


def verdict(page: Page):
    return page.locator("#verdict")


# --- The tests -----------------------------------------------------------------------------


def test_scanner_admits_a_ticket_in_green_then_refuses_it_in_red_naming_the_gate(
        browser, live_url, contexts, sold):
    setup, qrs, _sale = sold
    page = open_door(browser, contexts, live_url, event=setup)
    page.fill("#door-gate", "Norte")
    page.keyboard.press("Enter")  # back to the scan field
    expect(page.locator("#scan-input")).to_be_focused()
    expect(page.locator("#count-event")).to_have_text("0 / 5")

    scan(page, qrs["A1"])
    expect(verdict(page)).to_be_visible()
    expect(verdict(page)).to_have_class(re.compile("verdict-ok"))
    expect(page.locator("#verdict-title")).to_have_text("Adelante")
    expect(page.locator("#verdict-detail")).to_have_text("Platea · Asiento A1")
    expect(page.locator("#verdict-extra")).to_have_text("Entrada 1 de 1")
    expect(page.locator("#count-admitted")).to_have_text("1")
    expect(page.locator("#count-event")).to_have_text("1 / 5")
    # The answer goes away by itself after about two seconds, the field keeps the focus.
    expect(verdict(page)).to_be_hidden(timeout=5_000)
    expect(page.locator("#scan-input")).to_be_focused()

    scan(page, qrs["A1"])
    expect(verdict(page)).to_have_class(re.compile("verdict-no"))
    expect(page.locator("#verdict-title")).to_have_text("No pasa")
    expect(page.locator("#verdict-detail")).to_have_text(
        re.compile(r"^Ya ingresó a las \d\d:\d\d por la puerta Norte$"))
    expect(page.locator("#verdict-extra")).to_have_text("Platea · Asiento A1")
    expect(page.locator("#count-refused")).to_have_text("1")
    expect(page.locator("#count-admitted")).to_have_text("1")
    # A new scan does not wait for the red screen to go.
    scan(page, qrs["G1"])
    expect(page.locator("#verdict-detail")).to_have_text("General · Entrada general")
    expect(page.locator("#recent-list li")).to_have_count(3)
    # The gate's name and the event are remembered on this device.
    page.reload()
    expect(page.locator("#door-gate")).to_have_value("Norte")
    expect(page.locator("#door-event")).to_have_value(str(setup.event.pk))
    expect(page.locator("#count-admitted")).to_have_text("2")


def test_void_unknown_and_other_events_tickets_are_red_with_the_reason(
        browser, live_url, contexts, sold, gate_venue):
    setup, _qrs, _sale = sold
    with tenant_context(gate_venue.tenant):
        other = make_event(rows="A", seats_per_row=1)
    other_qr = sell(gate_venue, other, "A1")["tickets"][0]["qr"]
    void = sell(gate_venue, setup, "A4")
    refund = api_client(gate_venue, "admin").post(
        f"/api/fiscal/documents/{void['invoice']['id']}/credit-note/",
        {"reason": "Reembolso"}, format="json")
    assert refund.status_code == 201, refund.json()
    connection.set_schema_to_public()

    page = open_door(browser, contexts, live_url, event=setup)
    cases = [(void["tickets"][0]["qr"], "Anulada: esta entrada fue reembolsada"),
             ("NOT-A-TICKET", "Desconocida: no es una entrada de este recinto"),
             (other_qr, "Otro evento: esta entrada no es para este evento")]
    for text, reason in cases:
        scan(page, text)
        expect(page.locator("#verdict-detail")).to_have_text(reason)
        expect(verdict(page)).to_have_class(re.compile("verdict-no"))
    expect(page.locator("#count-refused")).to_have_text("3")
    # Expected leaves the refunded ticket out.
    expect(page.locator("#count-event")).to_have_text("0 / 5")


def test_the_field_takes_the_focus_back_after_a_click_elsewhere(browser, live_url, contexts,
                                                                sold):
    setup, qrs, _sale = sold
    page = open_door(browser, contexts, live_url, event=setup)
    page.click(".counters")
    expect(page.locator("#scan-input")).to_be_focused()
    scan(page, qrs["A2"])
    expect(verdict(page)).to_be_visible()
    page.click("#verdict")  # tapping the answer dismisses it
    expect(verdict(page)).to_be_hidden()
    expect(page.locator("#scan-input")).to_be_focused()


def test_camera_button_only_where_the_browser_reads_barcodes(browser, live_url, contexts,
                                                             sold):
    setup, _qrs, _sale = sold
    plain = open_door(browser, contexts, live_url, event=setup)
    assert plain.evaluate("'BarcodeDetector' in window") is False
    expect(plain.locator("#camera-btn")).to_be_hidden()
    stub = "window.BarcodeDetector = class { async detect() { return []; } };"
    able = open_door(browser, contexts, live_url, event=setup, init_script=stub)
    expect(able.locator("#camera-btn")).to_be_visible()
    expect(able.locator("#camera-btn")).to_have_text("Cámara")


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("tablet", TABLET),
                                                ("desktop", DESKTOP)])
def test_door_page_screenshots_fit_the_screen(browser, live_url, contexts, sold, name,
                                              viewport):
    setup, qrs, _sale = sold
    page = open_door(browser, contexts, live_url, event=setup, viewport=viewport)
    page.fill("#door-gate", "Norte")
    page.keyboard.press("Enter")
    expect(page.locator("#count-event")).to_have_text("0 / 5")
    assert_no_horizontal_scroll(page, viewport["width"])
    shot(page, f"door-{name}.png")
    scan(page, qrs["A1"] if name == "phone" else qrs["A2"] if name == "tablet" else qrs["A3"])
    expect(verdict(page)).to_have_class(re.compile("verdict-ok"))
    assert_no_horizontal_scroll(page, viewport["width"])
    shot(page, f"door-{name}-admitted.png")
    page.keyboard.press("Escape")
    scan(page, qrs["A1"] if name == "phone" else qrs["A2"] if name == "tablet" else qrs["A3"])
    expect(verdict(page)).to_have_class(re.compile("verdict-no"))
    assert_no_horizontal_scroll(page, viewport["width"])
    shot(page, f"door-{name}-refused.png")


def test_door_staff_land_on_the_door_and_cashiers_may_not_use_it(browser, live_url,
                                                                  contexts, sold):
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    contexts.append(context)
    watch_csp(context)
    page = context.new_page()
    page.goto(f"{live_url}/pos/door/")
    expect(page).to_have_url(re.compile(r"/pos/login/\?next=/pos/door/"))
    page.fill("#id_username", "cashier")
    page.fill("#id_password", PASSWORD)
    page.click(".login button[type=submit]")
    expect(page.locator("body")).to_contain_text(
        "Solo el personal de puerta y los administradores del recinto pueden validar "
        "entradas.")
    # A venue admin may use both pages.
    admin = open_door_as_admin(browser, contexts, live_url)
    expect(admin.locator("#scan-input")).to_be_focused()


def open_door_as_admin(browser: Browser, contexts: list, base: str) -> Page:
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    contexts.append(context)
    watch_csp(context)
    page = context.new_page()
    page.goto(f"{base}/pos/door/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click(".login button[type=submit]")
    expect(page).to_have_url(re.compile(r"/pos/door/$"))
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    return page


def test_offline_the_page_admits_from_the_signed_list_and_syncs_on_reconnection(
        browser, live_url, contexts, sold, gate_venue):
    setup, qrs, _sale = sold
    page = open_door(browser, contexts, live_url, event=setup)
    page.fill("#door-gate", "Sur")
    page.keyboard.press("Enter")
    # The list is downloaded and its signature verified (Ed25519, WebCrypto).
    expect(page.locator(f"body[data-offline-event='{setup.event.pk}']"
                        "[data-offline-tickets='5']")).to_be_attached()
    page.context.set_offline(True)

    scan(page, qrs["A1"])
    expect(verdict(page)).to_have_class(re.compile("verdict-ok"))
    expect(page.locator("#verdict-detail")).to_have_text("Platea · Asiento A1")
    expect(page.locator("#verdict-extra")).to_have_text("sin conexión")
    expect(page.locator("#door-offline")).to_contain_text("1 lectura(s) por enviar")
    scan(page, qrs["A1"])  # the same ticket again at this gate: refused from the list
    expect(verdict(page)).to_have_class(re.compile("verdict-no"))
    expect(page.locator("#verdict-detail")).to_have_text("Ya ingresó (lista sin conexión)")
    scan(page, "NOT-A-TICKET")
    expect(page.locator("#verdict-detail")).to_have_text(
        "Desconocida: no es una entrada de este recinto")
    # Meanwhile another gate, online, admits A2; this one admits it too from its list.
    other_gate = api_client(gate_venue, "door").post(
        "/api/checkin/", {"code": qrs["A2"], "gate": "Norte"}, format="json")
    assert other_gate.status_code == 200
    connection.set_schema_to_public()
    scan(page, qrs["A2"])
    expect(verdict(page)).to_have_class(re.compile("verdict-ok"))
    expect(page.locator("body[data-queue='2']")).to_be_attached()

    page.context.set_offline(False)
    expect(page.locator("body[data-queue='0']")).to_be_attached(timeout=15_000)
    expect(page.locator("#door-offline")).to_be_hidden()
    expect(page.locator("#recent-list li").first).to_contain_text(
        re.compile(r"Conflicto: esa entrada ya había ingresado a las \d\d:\d\d por la "
                   r"puerta Norte"))
    with tenant_context(gate_venue.tenant):
        uploaded = sorted(CheckinScan.objects.filter(ticket__event=setup.event, offline=True)
                          .values_list("ticket__seat__label", "result", "gate"))
    connection.set_schema_to_public()
    assert uploaded == [("A1", "admitted", "Sur"), ("A2", "conflict", "Sur")]
    expect(page.locator("#count-event")).to_have_text("2 / 5")
