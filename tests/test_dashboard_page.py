"""The dashboard page (/pos/dashboard/) in a real browser: headless Debian Chromium driven
by Playwright against a live Django server on a tenant host of its own
(`dashpage.localhost`), as tests/test_pos_page.py does for the POS page (same live-server
set-up, committed data, a CSP violation fails the test).

Screenshots at phone (390 px), tablet (768 px) and desktop (1280 px) size go to
$POS_TEST_ARTIFACTS/screenshots/dashboard-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import tenant_context
from playwright.sync_api import Browser, Page, expect

from pos.formatting import format_money
from reservations.services import release_holds_of
from sales.checkout.services import cancel_reservation
from sales.dashboard.selectors import event_dashboard
from sales.models import Transaction
from tenants.models import Tenant, TenantSettings
from tenants.roles import Role
from tenants.services import create_staff_user
from tests.builders import (
    EventSetup,
    api_hold_id,
    make_event,
    payment,
    sell_through_api,
    set_rate,
    user,
)
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

HOST = "dashpage.localhost"


@pytest.fixture(scope="module")
def venue(tenants, django_db_blocker) -> Iterator[Tenant]:
    """A tenant of its own, committed, with a cashier, an operator and door staff."""
    with django_db_blocker.unblock():
        tenant = get_or_create_tenant("dashpage", HOST)
        with tenant_context(tenant):
            for username, role in (("cashier", Role.CASHIER), ("operator", Role.OPERATOR),
                                   ("door", Role.DOOR)):
                create_staff_user(username=username, password=PASSWORD, role=role)
            set_rate("100.0000")
        TenantSettings.objects.update_or_create(
            tenant=tenant, defaults={"max_reservations_per_session": 100})
        clear_the_counter(tenant)
        connection.set_schema_to_public()
        yield tenant


def clear_the_counter(tenant: Tenant) -> None:
    """What an earlier run left held or reserved (the tenant is kept between sessions)
    goes back on sale: the cashier's limit counts it."""
    with tenant_context(tenant):
        admin = user("admin")
        for tx in Transaction.objects.filter(status=Transaction.Status.RESERVED):
            cancel_reservation(user=admin, transaction_id=tx.pk, reason="test clean-up")
        release_holds_of(user_ids=[user("cashier").pk])


@pytest.fixture(scope="module")
def live_url(venue) -> Iterator[str]:
    yield from serve_live(HOST)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch_chromium()


@pytest.fixture
def db(venue, django_db_blocker) -> Iterator[None]:
    """Committed database access for the test body and the live server."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


@pytest.fixture
def shop(venue) -> TenantFixture:
    return TenantFixture(tenant=venue, host=HOST)


@pytest.fixture
def busy_event(shop, db) -> Iterator[EventSetup]:
    """An event of its own with something of everything: sales in Bs and in dollars cash
    (change given in Bs), a partly paid reservation, a released hold, an open hold and
    blocked seats."""
    with tenant_context(shop.tenant):
        setup = make_event(rows="ABCDEF", seats_per_row=12, price="25.00", ga_capacity=80,
                           ga_price="10.00")
    sell_through_api(shop, setup, "A5", "A6", "A7", "A8",
                     zones=[{"zone": setup.ga_zone.pk, "quantity": 12}])
    sell_through_api(shop, setup, "B6", "B7")
    cashier = api_client(shop, "cashier")
    dollars = api_hold_id(cashier, setup, "C1", "C2")
    paid = cashier.post(f"/api/holds/{dollars}/checkout/",
                        {"payments": [payment("cash", "USD", "70.00")]}, format="json")
    assert paid.json()["transaction"]["status"] == "completed", paid.json()
    reserved = api_hold_id(cashier, setup, "D3", "D4",
                           zones=[{"zone": setup.ga_zone.pk, "quantity": 5}])
    partly = cashier.post(f"/api/holds/{reserved}/checkout/",
                          {"payments": [payment("pago_movil", "VES", "2000.00")],
                           "reserve": True}, format="json")
    assert partly.json()["transaction"]["status"] == "reserved", partly.json()
    released = api_hold_id(cashier, setup, "F1")
    cashier.delete(f"/api/holds/{released}/")
    api_hold_id(cashier, setup, "E9", "E10", zones=[{"zone": setup.ga_zone.pk, "quantity": 2}])
    admin = api_client(shop, "admin")
    blocked = admin.post(f"/api/events/{setup.event.pk}/seat-blocks/",
                         {"zone": setup.zone.pk, "seats": "F11-F12", "reason": "Cámara"},
                         format="json")
    assert blocked.status_code == 200, blocked.json()
    connection.set_schema_to_public()
    yield setup
    clear_the_counter(shop.tenant)
    connection.set_schema_to_public()


def open_dashboard(browser: Browser, contexts: list, base: str, *, viewport: dict,
                   username: str = "operator", path: str = "/pos/dashboard/") -> Page:
    context = browser.new_context(viewport=viewport, locale="es-VE")
    contexts.append(context)
    watch_csp(context)
    page = context.new_page()
    page.goto(f"{base}{path}")
    expect(page).to_have_url(re.compile(r"/pos/login/\?next="))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login button[type=submit]")
    return page


def images_loaded(page: Page) -> None:
    """Every chart is an SVG the browser decoded (an <img> that failed has no width)."""
    page.wait_for_load_state("networkidle")
    sizes = page.eval_on_selector_all(
        "img.chart", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])")
    assert sizes and all(done and width > 0 for _src, done, width in sizes), sizes


def no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (TABLET, "tablet"),
                                                (DESKTOP, "desktop")])
def test_the_operator_sees_the_event_and_the_day_in_pictures(
        browser, contexts, live_url, shop, busy_event, viewport, name):
    page = open_dashboard(browser, contexts, live_url, viewport=viewport,
                          path=f"/pos/dashboard/?event={busy_event.event.pk}")
    expect(page.locator("h1")).to_have_text("Tablero")
    expect(page.locator("#dash-event")).to_have_value(str(busy_event.event.pk))
    with tenant_context(shop.tenant):
        figures = event_dashboard(event_id=busy_event.event.pk)
    connection.set_schema_to_public()
    # The floor plan: one seat per seat, its state and symbol; the legend counts them.
    plan = page.locator("figure.plan svg")
    expect(plan.locator("g.seat")).to_have_count(72)
    expect(plan.locator('g.seat[data-seat="A5"]')).to_have_attribute("data-state", "sold")
    expect(plan.locator('g.seat[data-seat="D3"]')).to_have_attribute("data-state", "reserved")
    expect(plan.locator('g.seat[data-seat="E9"]')).to_have_attribute("data-state", "held")
    expect(plan.locator('g.seat[data-seat="F11"]')).to_have_attribute("data-state", "blocked")
    expect(plan.locator('g.seat[data-seat="F1"]')).to_have_attribute("data-state", "free")
    expect(plan.locator('g.seat[data-seat="A5"] text')).to_have_text("✕")
    totals = figures["occupancy"]["totals"]
    assert totals == {"sold": 8 + 12, "reserved": 2 + 5, "held": 2 + 2,
                      "free": 72 - 8 - 2 - 2 - 2 + 80 - 12 - 5 - 2, "blocked": 2}
    expect(page.locator('.dash-legend li[data-state="sold"] strong')).to_have_text("20")
    expect(page.locator('.dash-legend li[data-state="blocked"] strong')).to_have_text("2")
    # Money, as the venue writes it: Bs. 1.234,56, net of the change given.
    net = format_money(figures["revenue"]["net_ves"], "VES", "es")
    assert net.startswith("Bs.") and Decimal(figures["revenue"]["net_ves"]) > 0
    expect(page.locator("#kpi-net")).to_have_text(net)
    expect(page.locator("#revenue-table")).to_contain_text("Efectivo")
    expect(page.locator("#revenue-table")).to_contain_text("USD 70,00")
    # 4 holds checked out (3 sales, 1 reservation) of 5 that ended (1 released).
    expect(page.locator("#kpi-conversion")).to_have_text("80 %")
    expect(page.locator("#day-title")).to_contain_text("Cifras X")
    images_loaded(page)
    no_sideways_scroll(page)
    shot(page, f"dashboard-{name}.png")


def test_the_pictures_are_svg_images_without_scripts(browser, contexts, live_url,
                                                     busy_event):
    page = open_dashboard(browser, contexts, live_url, viewport=DESKTOP,
                          path=f"/pos/dashboard/?event={busy_event.event.pk}")
    expect(page.locator("h1")).to_be_visible()
    def fetch(path: str) -> dict:
        # From the page (the browser resolves *.localhost; Playwright's own requests not).
        return page.evaluate("""async (path) => {
            const answer = await fetch(path);
            return {status: answer.status, type: answer.headers.get('content-type'),
                    policy: answer.headers.get('content-security-policy'),
                    text: await answer.text()};
        }""", path)

    sources = page.eval_on_selector_all("img.chart", "imgs => imgs.map(i => i.src)")
    assert len(sources) == 5
    for src in sources:
        answer = fetch(src)
        assert answer["status"] == 200, src
        assert answer["type"] == "image/svg+xml"
        assert "<script" not in answer["text"], src
        assert "default-src 'none'" in answer["policy"]
    plan = fetch(f"/pos/dashboard/events/{busy_event.event.pk}/occupancy.svg")
    assert plan["status"] == 200 and plan["text"].count('class="seat ') == 72
    assert fetch("/pos/dashboard/events/999999/zones.svg")["status"] == 404
    assert fetch("/pos/dashboard/days/2026-02-30/payments.svg")["status"] == 400


def test_the_dashboard_speaks_english_after_the_switch(browser, contexts, live_url,
                                                       busy_event):
    page = open_dashboard(browser, contexts, live_url, viewport=TABLET, username="admin",
                          path=f"/pos/dashboard/?event={busy_event.event.pk}")
    page.click('.language button[value="en"]')
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("#revenue-table")).to_contain_text("Cash")
    expect(page.locator('.dash-legend li[data-state="held"]')).to_contain_text("held")
    images_loaded(page)
    shot(page, "dashboard-tablet-en.png")
    page.click('.language button[value="es"]')
    expect(page.locator("h1")).to_have_text("Tablero")


def test_admins_find_the_dashboard_from_the_pos_page_and_a_bad_day_is_said(
        browser, contexts, live_url, busy_event):
    page = open_dashboard(browser, contexts, live_url, viewport=PHONE, username="admin",
                          path=f"/pos/?event={busy_event.event.pk}")
    page.click("#dashboard-link")
    expect(page).to_have_url(re.compile(r"/pos/dashboard/$"))
    page.fill("#dash-day", "2026-12-01")
    page.locator("#dash-day").press("Enter")
    expect(page.locator("#day-title")).to_contain_text("2026-12-01")
    page.goto(f"{live_url}/pos/dashboard/?day=2026-02-30")
    expect(page.locator(".msg-error")).to_contain_text("2026-02-30")
    no_sideways_scroll(page)


@pytest.mark.parametrize("username", ["cashier", "door"])
def test_cashiers_and_door_staff_are_refused(browser, contexts, live_url, busy_event,
                                             username):
    context = browser.new_context(viewport=PHONE)
    contexts.append(context)
    page = context.new_page()
    page.goto(f"{live_url}/pos/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login button[type=submit]")
    page.wait_for_load_state()
    answer = page.goto(f"{live_url}/pos/dashboard/")
    assert answer.status == 403
    if username == "cashier":
        page.goto(f"{live_url}/pos/")
        expect(page.locator("#dashboard-link")).to_have_count(0)
