"""The POS web page in a real browser: headless Debian Chromium driven by Playwright
against a live Django server on a tenant host name (`pospage.localhost`).

The live server answers from other threads and connections, so these tests commit their
data (like the concurrency tests): they run in a tenant of their own, and each test sells
from an event of its own. Time on the server moves with time-machine; the page never
reads the browser's clock for expiry, only the server_time of the API answers.

Screenshots go to $POS_TEST_ARTIFACTS/screenshots/ (kept by CI, not committed)."""

from __future__ import annotations

import gettext
import os
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.cache import cache
from django.db import connection, connections
from django.test.testcases import LiveServerThread
from django.utils import timezone
from django_tenants.utils import tenant_context
from playwright.sync_api import Browser, Page, expect, sync_playwright

from reservations import services as reservation_services
from sales.models import Payment, Ticket, Transaction
from tenants.models import Tenant, TenantSettings
from tenants.roles import Role
from tenants.services import create_staff_user
from tests.builders import EventSetup, make_event, set_rate, user
from tests.conftest import PASSWORD, TenantFixture, api_client, get_or_create_tenant

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HOST = "pospage.localhost"
LIVE = 5_000  # ms: the page must follow other terminals within 5 seconds
SCREENSHOTS = Path(os.environ.get("POS_TEST_ARTIFACTS", settings.BASE_DIR / "test-artifacts")) \
    / "screenshots"
# The three screens every page is tested at: a phone, a tablet, a desktop.
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1280, "height": 800}


# --- Fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop(tenants, django_db_blocker) -> Iterator[Tenant]:
    """A tenant of its own, committed, with two cashiers and a generous session limit."""
    with django_db_blocker.unblock():
        tenant = get_or_create_tenant("pospage", HOST)
        with tenant_context(tenant):
            for name in ("cashier", "cashier2"):
                create_staff_user(username=name, password=PASSWORD, role=Role.CASHIER)
            create_staff_user(username="operator", password=PASSWORD, role=Role.OPERATOR)
            set_rate("100.0000")
        TenantSettings.objects.update_or_create(
            tenant=tenant, defaults={"max_reservations_per_session": 50,
                                     "reservation_hold_minutes": 10,
                                     "allow_hold_extension": True},
        )
        connection.set_schema_to_public()
        # Availability snapshots of an earlier run's events with the same ids.
        cache.delete_pattern("avail:pospage:*")
        yield tenant


def serve_live(host: str) -> Iterator[str]:
    """Django's live-server thread on a free port (not pytest-django's `live_server`,
    whose transactional_db would flush the session's tenants after the test): yields the
    base URL on `host`. The other browser modules use it too."""
    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, connections_override={},
                              port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://{host}:{thread.port}"
    thread.terminate()
    # Request threads close their database connections when their (keep-alive) socket
    # closes; wait for them so the test database can be dropped at the end.
    for worker in threading.enumerate():
        if "process_request_thread" in worker.name:
            worker.join(timeout=10)


def launch_chromium() -> Iterator[Browser]:
    """Headless Debian Chromium under Playwright, for a module-scoped fixture."""
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests
    # make between browser steps are still plain synchronous code.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                 headless=True)
            yield browser
            browser.close()
            # While Playwright's loop runs, Django keeps this thread's connections in a
            # context variable (asgiref treats the thread as async): close them here, or
            # they outlive the session and block dropping the test database.
            connections.close_all()


@pytest.fixture(scope="module")
def live_url(shop) -> Iterator[str]:
    yield from serve_live(HOST)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch_chromium()


@pytest.fixture
def db(shop, django_db_blocker) -> Iterator[None]:
    """Overrides pytest-django's `db` in this module: the test body and the live server
    use the database without a wrapping transaction, committed as it goes (the test
    database is still set up for the session because tests here ask for `db`)."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


@pytest.fixture
def committed(db, shop) -> Tenant:
    return shop


@pytest.fixture
def event(committed) -> EventSetup:
    with tenant_context(committed):
        return make_event(rows="ABCD", seats_per_row=8, price="25.00", ga_capacity=20,
                          ga_price="10.00")


@pytest.fixture
def terminals(browser, committed) -> Iterator[list]:
    """Browser contexts opened by the test, closed after it (before the database is
    blocked again, so no poll is left hanging). Every page they showed must have kept to
    the Content-Security-Policy: a violation the console reports fails the test."""
    opened: list = []
    yield opened
    violations = [text for context in opened for text in getattr(context, "csp_violations", [])]
    for context in opened:
        context.close()
    assert not violations, "\n".join(v[:400] for v in violations)


def watch_csp(context) -> None:
    """Collect what Chromium reports as refused by the Content-Security-Policy."""
    context.csp_violations = []

    def on_console(message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in \
                message.text:
            context.csp_violations.append(f"{message.page.url if message.page else ''}: "
                                          f"{message.text}")

    context.on("console", on_console)


def open_pos(browser: Browser, terminals: list, base: str, username: str, event: EventSetup,
             *, viewport: dict | None = None) -> Page:
    """A terminal: a fresh browser context that logs in as `username` and opens the event."""
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800},
                                  locale="en-US")
    terminals.append(context)
    watch_csp(context)
    page = context.new_page()
    page.goto(f"{base}/pos/?event={event.event.pk}")
    expect(page).to_have_url(re.compile(r"/pos/login/\?next="))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login button[type=submit]")
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    expect(page.locator("#event-select")).to_have_value(str(event.event.pk))
    return page


def seat(page: Page, label: str):
    return page.locator(f'button.seat[data-label="{label}"]')


def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=full_page)
    return path


# --- The main flow ---------------------------------------------------------------------


def test_cashier_holds_two_seats_other_terminal_sees_them_and_checkout_sells_them(
    browser, live_url, terminals, event, committed
):
    mine = open_pos(browser, terminals, live_url, "cashier", event)
    other = open_pos(browser, terminals, live_url, "cashier2", event)
    # Spanish is the venue's language, whatever the browser asks for.
    expect(mine.locator("html")).to_have_attribute("lang", "es")
    expect(mine.locator("#hold-btn")).to_have_text("Retener")

    # A1 by mouse, A2 by keyboard: arrows move between seats, space picks.
    seat(mine, "A1").click()
    mine.keyboard.press("ArrowRight")
    expect(seat(mine, "A2")).to_be_focused()
    mine.keyboard.press("Space")
    expect(seat(mine, "A2")).to_have_attribute("aria-pressed", "true")
    expect(seat(mine, "A2")).to_have_attribute("aria-label", "Asiento A2, seleccionado")
    mine.locator(".ga-zone .ga-plus").click()
    mine.locator(".ga-zone .ga-plus").click()
    expect(mine.locator("#selection-total")).to_have_text("USD 70,00")

    mine.click("#hold-btn")
    held_at = time.monotonic()
    for label in ("A1", "A2"):
        expect(seat(mine, label)).to_have_attribute("data-state", "reserved_by_me")
        expect(seat(mine, label)).to_have_attribute("aria-label",
                                                   f"Asiento {label}, retenido por usted")
    expect(mine.locator("#countdown")).to_be_visible()
    expect(mine.locator("#countdown")).to_have_attribute("data-level", "ok")
    expect(mine.locator("#countdown-time")).to_have_text(re.compile(r"^(10:00|9:5\d)$"))
    expect(mine.locator("#hold-total")).to_have_text("USD 70,00")  # before tax

    # The other terminal follows within 5 seconds: yellow, someone else's.
    for label in ("A1", "A2"):
        expect(seat(other, label)).to_have_attribute("data-state", "reserved", timeout=LIVE)
    seen_after = time.monotonic() - held_at
    expect(seat(other, "A1")).to_have_attribute(
        "aria-label", "Asiento A1, retenido por otra terminal")
    expect(other.locator(".ga-remaining")).to_have_text("Quedan 18 de 20", timeout=LIVE)
    print(f"other terminal saw the hold after {seen_after:.2f} s")
    seat(other, "B3").click()  # the other cashier is choosing meanwhile
    shot(mine, "seat-map.png")
    shot(other, "seat-map-other-terminal.png")

    # Checkout in full: 50 + 20 USD, IVA 16 % = 81.20 USD; paid in dollars, IGTF 3 %.
    mine.click("#checkout-btn")
    expect(mine.locator("#q-total")).to_have_text("USD 81,20 · Bs. 8.120,00")
    expect(mine.locator(".pay-amount")).to_have_value("83.64")
    expect(mine.locator("#q-igtf")).to_have_text("Bs. 243,60")
    # 83.64 USD is the first cent amount that covers Bs. 8363.60: 0.40 Bs of change.
    expect(mine.locator("#q-balance-label")).to_have_text("Vuelto")
    expect(mine.locator("#q-balance")).to_have_text("USD 0,00 · Bs. 0,40")
    expect(mine.locator("#quote")).to_have_attribute("data-paid-in-full", "true")
    expect(mine.locator("#pay-btn")).to_have_text("Cobrar y emitir factura")
    expect(mine.locator("#pay-btn")).to_be_enabled()
    mine.click(".customer summary")
    mine.fill("#customer-name", "María Pérez")
    mine.click("#pay-btn")

    expect(mine.locator("#result-title")).to_have_text("Venta completada")
    expect(mine.locator("#result .ticket")).to_have_count(4)
    expect(mine.locator("#result .tx-total")).to_have_text("USD 83,64 · Bs. 8.363,60")
    qr = mine.locator("#result .ticket img").first
    expect(qr).to_have_attribute("alt", re.compile(r"^Código QR de la entrada [A-Z0-9]{16}$"))
    mine.wait_for_function(
        "() => [...document.querySelectorAll('#result .ticket img')]"
        ".every(img => img.complete && img.naturalWidth > 0)")
    shot(mine, "sale-completed.png")

    # Grey on both terminals.
    for page in (mine, other):
        for label in ("A1", "A2"):
            expect(seat(page, label)).to_have_attribute("data-state", "sold", timeout=LIVE)
    with tenant_context(committed):
        sale = Transaction.objects.get(event=event.event)
        assert sale.status == Transaction.Status.COMPLETED
        assert sale.customer_name == "María Pérez"
        assert list(Payment.objects.filter(transaction=sale).values_list(
            "method", "currency", "amount")) == [("cash", "USD", Decimal("83.64"))]
        assert Ticket.objects.filter(transaction=sale).count() == 4


# --- Conflicts and a network outage ----------------------------------------------------


def test_seat_taken_by_another_terminal_gives_409_naming_it(
    browser, live_url, terminals, event, committed
):
    mine = open_pos(browser, terminals, live_url, "cashier", event)
    other = open_pos(browser, terminals, live_url, "cashier2", event)

    # The other terminal picks C3 but its map has not refreshed yet when it clicks Hold.
    seat(other, "C3").click()
    other.route("**/availability/", lambda route: route.fulfill(status=304))
    seat(mine, "C3").click()
    mine.click("#hold-btn")
    expect(seat(mine, "C3")).to_have_attribute("data-state", "reserved_by_me")
    other.click("#hold-btn")
    expect(other.locator("#message")).to_have_text(
        "Ya no están disponibles: C3 (retenido). Elija otros asientos.")
    expect(other.locator("#message")).to_have_attribute("data-kind", "error")
    # Shown at once as someone else's, and out of the selection.
    expect(seat(other, "C3")).to_have_attribute("data-state", "reserved", timeout=500)
    expect(other.locator("#selection-list li")).to_have_count(0)
    other.unroute("**/availability/")

    # A seat taken while the cashier is still choosing is dropped with a notice.
    seat(other, "C5").click()
    expect(seat(other, "C5")).to_have_attribute("data-state", "selected")
    with tenant_context(committed):
        reservation_services.hold_seats(user=user("admin"), event_id=event.event.pk,
                                        seat_ids=event.ids("C5"))
    expect(other.locator("#message")).to_have_text(
        "Otra terminal tomó estos asientos mientras usted elegía: C5.", timeout=LIVE)
    expect(seat(other, "C5")).to_have_attribute("data-state", "reserved")

    # Network down: a banner, then back to normal.
    other.context.set_offline(True)
    expect(other.locator("#net-banner")).to_have_text(
        "Sin conexión con el servidor. Reintentando…", timeout=LIVE)
    other.context.set_offline(False)
    expect(other.locator("#net-banner")).to_be_hidden(timeout=LIVE)


# --- Expiry ------------------------------------------------------------------------------


def test_countdown_warns_then_expiry_frees_the_seats(
    browser, live_url, terminals, event, committed
):
    mine = open_pos(browser, terminals, live_url, "cashier", event)
    other = open_pos(browser, terminals, live_url, "cashier2", event)
    seat(mine, "D1").click()
    seat(mine, "D2").click()
    mine.click("#hold-btn")
    expect(mine.locator("#countdown")).to_have_attribute("data-level", "ok")
    expect(seat(other, "D1")).to_have_attribute("data-state", "reserved", timeout=LIVE)

    # The server's clock moves; the browser's does not. The page follows server_time.
    with time_machine.travel(timezone.now() + timedelta(minutes=8, seconds=30),
                             tick=True) as server_clock:
        expect(mine.locator("#countdown")).to_have_attribute("data-level", "warning",
                                                             timeout=LIVE)
        expect(mine.locator("#countdown-time")).to_have_text(re.compile(r"^1:[2-3]\d$"))
        shot(mine, "countdown-warning.png")
        server_clock.shift(timedelta(seconds=45))
        expect(mine.locator("#countdown")).to_have_attribute("data-level", "danger",
                                                             timeout=LIVE)
        server_clock.shift(timedelta(seconds=60))
        expect(mine.locator("#message")).to_have_text(
            "La retención venció. Seleccione los asientos de nuevo.", timeout=LIVE)
        expect(mine.locator("#countdown")).to_be_hidden()
        expect(mine.locator("#selection-panel")).to_be_visible()
        for page in (mine, other):
            for label in ("D1", "D2"):
                expect(seat(page, label)).to_have_attribute("data-state", "available",
                                                            timeout=LIVE)
        # Free for anyone again, on the server too.
        seat(other, "D1").click()
        other.click("#hold-btn")
        expect(seat(other, "D1")).to_have_attribute("data-state", "reserved_by_me")


def test_release_and_extend_once(browser, live_url, terminals, event, committed):
    mine = open_pos(browser, terminals, live_url, "cashier", event,
                    viewport={"width": 820, "height": 1180})  # a tablet, portrait
    seat(mine, "B4").click()
    mine.click("#hold-btn")
    expect(mine.locator("#countdown-time")).to_have_text(re.compile(r"^(10:00|9:5\d)$"))
    mine.click("#extend-btn")
    expect(mine.locator("#message")).to_have_text("La retención se extendió.")
    expect(mine.locator("#countdown-time")).to_have_text(re.compile(r"^(20:00|19:5\d)$"))
    expect(mine.locator("#extend-btn")).to_be_hidden()  # once only
    shot(mine, "tablet-hold.png")
    mine.click("#release-btn")
    expect(mine.locator("#message")).to_have_text("Se liberaron los asientos.")
    expect(seat(mine, "B4")).to_have_attribute("data-state", "available", timeout=LIVE)


def test_split_payment_in_dollars_and_bolivares_then_a_partial_payment(
    browser, live_url, terminals, event, committed
):
    mine = open_pos(browser, terminals, live_url, "cashier", event)
    # C1: 25 USD + IVA = 29 USD = Bs. 2900; 10 USD cash (IGTF Bs. 30), the rest in Bs.
    seat(mine, "C1").click()
    mine.click("#hold-btn")
    mine.click("#checkout-btn")
    expect(mine.locator(".pay-amount")).to_have_value("29.87")
    mine.locator(".pay-amount").fill("10")
    expect(mine.locator("#q-balance-label")).to_have_text("Saldo pendiente")
    expect(mine.locator("#pay-btn")).to_have_text("Registrar abono y reservar")
    mine.click("#add-payment-btn")
    second = mine.locator(".payment-row").nth(1)
    expect(second.locator(".pay-amount")).to_have_value("1930.00")
    second.locator(".pay-method").select_option("pago_movil")
    expect(mine.locator("#pay-btn")).to_be_disabled()  # pago móvil needs its reference
    second.locator(".pay-reference").fill("0102-555123")
    expect(mine.locator("#q-igtf")).to_have_text("Bs. 30,00")
    expect(mine.locator("#pay-btn")).to_have_text("Cobrar y emitir factura")
    shot(mine, "checkout-split-payment.png")
    mine.click("#pay-btn")
    expect(mine.locator("#result-title")).to_have_text("Venta completada")
    expect(mine.locator("#result .result-payments li")).to_have_text(
        [re.compile("Efectivo.*USD 10,00"), re.compile("Pago móvil.*Bs. 1.930,00")])

    # C2 with 10 USD only: a reservation kept until the partial-payment deadline.
    mine.click("#new-sale-btn")
    seat(mine, "C2").click()
    mine.click("#hold-btn")
    mine.click("#checkout-btn")
    expect(mine.locator(".pay-amount")).to_have_value("29.87")
    mine.locator(".pay-amount").fill("10")
    expect(mine.locator("#pay-btn")).to_have_text("Registrar abono y reservar")
    expect(mine.locator("#pay-btn")).to_be_enabled()
    mine.click("#pay-btn")
    # A reservation is confirmed on its own, with its balance and deadline.
    expect(mine.locator("#confirm-dialog")).to_be_visible()
    mine.click("#confirm-ok")
    expect(mine.locator("#result-title")).to_have_text(re.compile("^Reservado con abono hasta el "))
    expect(mine.locator("#result .ticket")).to_have_count(0)
    expect(seat(mine, "C2")).to_have_attribute("data-state", "reserved_partial", timeout=LIVE)
    with tenant_context(committed):
        statuses = dict(Transaction.objects.filter(event=event.event)
                        .values_list("reserved_tickets__seat__label", "status"))
    assert statuses == {"C1": "completed", "C2": "reserved"}


def test_language_switch_to_english(browser, live_url, terminals, event, committed):
    page = open_pos(browser, terminals, live_url, "cashier", event)
    page.click('.language button[value="en"]')
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    expect(page.locator("#hold-btn")).to_have_text("Hold")
    expect(seat(page, "A1")).to_have_attribute("aria-label", "Seat A1, available")
    seat(page, "A1").click()
    expect(page.locator("#selection-total")).to_have_text("USD 25.00")  # English notation


# --- Without a browser -------------------------------------------------------------------


@pytest.fixture
def site(committed) -> TenantFixture:
    return TenantFixture(tenant=committed, host=HOST)


def test_page_needs_a_log_in(site):
    response = api_client(site).get("/pos/?event=1")
    assert response.status_code == 302
    assert response["Location"] == "/pos/login/?next=/pos/%3Fevent%3D1"


def test_page_is_for_staff_only(site):
    with tenant_context(site.tenant):
        get_user_model().objects.get_or_create(username="nobody")
        client = api_client(site)
        client.force_login(user("nobody"))
    assert client.get("/pos/").status_code == 403


def test_ticket_qr_only_for_sales_the_cashier_may_see(site):
    with tenant_context(site.tenant):
        setup = make_event()
        tx = reservation_services.hold_seats(user=user("cashier"), event_id=setup.event.pk,
                                             seat_ids=setup.ids("A1"))
    paid = api_client(site, "cashier").post(
        f"/api/holds/{tx.pk}/checkout/",
        {"payments": [{"method": "pago_movil", "currency": "VES", "amount": "1160.00",
                       "reference": "0102-555123"}]},
        format="json",
    )
    assert paid.status_code == 200, paid.json()
    ticket = paid.json()["transaction"]["tickets"][0]
    with tenant_context(site.tenant):
        owner, stranger = api_client(site), api_client(site)
        owner.force_login(user("cashier"))
        stranger.force_login(user("cashier2"))
    response = owner.get(f"/pos/tickets/{ticket['id']}/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert f"<title>{ticket['code']}</title>".encode() in response.content
    assert stranger.get(f"/pos/tickets/{ticket['id']}/qr.svg").status_code == 404


def _po_entries(path: Path) -> dict[str, str]:
    """msgid → msgstr of a .po file (enough of the format for our catalogue)."""
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    key = None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        match = re.match(r'^(msgctxt|msgid|msgstr) "(.*)"$', line)
        if match:
            key = match.group(1)
            current[key] = match.group(2)
        elif line.startswith('"') and key:
            current[key] += line[1:-1]
        elif not line.strip():
            if current.get("msgid") and current.get("msgstr"):
                msgid = current["msgid"]
                if "msgctxt" in current:
                    msgid = f"{current['msgctxt']}\x04{msgid}"
                entries[msgid.encode().decode("unicode_escape").encode("latin-1")
                        .decode("utf-8")] = (
                    current["msgstr"].encode().decode("unicode_escape").encode("latin-1")
                    .decode("utf-8"))
            current, key = {}, None
    return entries


def test_spanish_catalogue_is_compiled():
    """The committed .mo matches the .po: every Spanish string is served."""
    folder = settings.BASE_DIR / "pos" / "locale" / "es" / "LC_MESSAGES"
    entries = _po_entries(folder / "django.po")
    assert len(entries) > 50
    with (folder / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    stale = [msgid for msgid, msgstr in entries.items() if catalog.gettext(msgid) != msgstr]
    assert not stale, f"run compilemessages: {stale[:5]}"


# --- The Content-Security-Policy (django-csp) ------------------------------------------


def test_api_docs_and_admin_work_under_the_content_security_policy(
    browser, live_url, terminals, committed
):
    """Swagger UI and ReDoc come from our own static files (drf-spectacular-sidecar) and
    start without inline script; the admin's log-in page too. The `terminals` fixture fails
    the test on any CSP violation the console reports."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    terminals.append(context)
    watch_csp(context)
    page = context.new_page()
    elsewhere: list[str] = []
    page.on("request", lambda request: None if request.url.startswith(
        (live_url, "data:", "blob:")) else elsewhere.append(request.url))

    response = page.goto(f"{live_url}/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Venue POS API",
                                                                     timeout=15_000)
    expect(page.locator(".swagger-ui .opblock-tag").first).to_be_visible()
    shot(page, "api-docs-swagger.png", full_page=False)

    page.goto(f"{live_url}/api/redoc/")
    # ReDoc parses the whole schema (~340 KB) before drawing: ~5 s on a quiet machine,
    # near 30 s when the cores are shared.
    expect(page.locator("h1").first).to_contain_text("Venue POS API", timeout=60_000)
    shot(page, "api-docs-redoc.png", full_page=False)

    page.goto(f"{live_url}/admin/login/")
    expect(page.locator("#id_username")).to_be_visible()
    assert elsewhere == []  # no CDN: everything from our own origin


# --- Best available ----------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844},
                                      {"width": 1280, "height": 800}],
                         ids=["phone", "desktop"])
def test_best_available_holds_the_front_centre_block_then_the_next_row(
    browser, live_url, terminals, event, committed, viewport
):
    """"Mejores N asientos" asks the server to pick (reservations/best_available.py): the
    centre of the front row first; a second terminal gets the next row, never seats
    split around the first block; more seats together than a row holds is refused in
    Spanish, naming the zone."""
    mine = open_pos(browser, terminals, live_url, "cashier", event, viewport=viewport)
    card = mine.locator(f'.best-zone[data-zone-id="{event.zone.pk}"]')
    card.locator(".best-qty").fill("4")
    expect(card.locator(".best-btn")).to_have_text("Mejores 4 asientos")
    card.locator(".best-btn").click()
    for label in ("A3", "A4", "A5", "A6"):
        expect(seat(mine, label)).to_have_attribute("data-state", "reserved_by_me")
    expect(mine.locator("#countdown")).to_be_visible()
    assert mine.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(mine, f"best-available-{'phone' if viewport['width'] < 500 else 'desktop'}.png")

    other = open_pos(browser, terminals, live_url, "cashier2", event, viewport=viewport)
    card = other.locator(f'.best-zone[data-zone-id="{event.zone.pk}"]')
    card.locator(".best-qty").fill("9")
    card.locator(".best-btn").click()
    expect(other.locator("#message")).to_have_text(
        re.compile(r"^En .+ no quedan 9 asientos juntos libres\.$"))
    card.locator(".best-qty").fill("4")
    card.locator(".best-btn").click()
    for label in ("B3", "B4", "B5", "B6"):
        expect(seat(other, label)).to_have_attribute("data-state", "reserved_by_me")
    expect(seat(other, "A1")).to_have_attribute("data-state", "available")
