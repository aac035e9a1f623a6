"""Two Chromium pages on a live server and a real ASGI server (uvicorn, as `make run`):
a seat held on one page shows as held on the other within a second, through the socket;
with the socket server gone the page still follows through its ETag polling, and takes
the socket back when the server returns. Uses tests/test_pos_page.py's live server,
tenant and browser."""

from __future__ import annotations

import os
import socket as net
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django_tenants.utils import tenant_context
from playwright.sync_api import Page, expect

from tests import test_pos_page as pos_page
from tests.builders import EventSetup, make_event
from tests.processes import free_port
from tests.test_pos_page import PHONE, open_pos, seat, shot

# The POS page tests' fixtures: their tenant, live server and browser (one per module).
shop = pos_page.shop
live_url = pos_page.live_url
browser = pos_page.browser
db = pos_page.db
committed = pos_page.committed
terminals = pos_page.terminals

pytestmark = pytest.mark.integration

PUSHED_WITHIN_S = 1.0  # the bound, from the click on one page to the other's map


class AsgiServer:
    """uvicorn serving pos.asgi on the test database, as the Procfile runs it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "POS_DB_NAME": connection.settings_dict["NAME"],
               "DJANGO_SETTINGS_MODULE": "pos.settings"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "pos.asgi:application", "--host", "127.0.0.1",
             "--port", str(self.port), "--lifespan", "off",
             "--ws-per-message-deflate", "false"],
            env=env, cwd=django_settings.BASE_DIR, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                net.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("uvicorn did not come up")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()  # the socket drops as in a crash, no close handshake
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def asgi(shop) -> Iterator[AsgiServer]:
    server = AsgiServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def pages_use(asgi, settings) -> AsgiServer:
    """The live server tells the page where the socket is (the port of this uvicorn)."""
    settings.POS_WS_PORT = asgi.port
    settings.POS_WS_BASE_URL = ""
    return asgi


@pytest.fixture
def event(committed) -> EventSetup:
    with tenant_context(committed):
        made = make_event(rows="ABC", seats_per_row=8, price="25.00")
    connection.set_schema_to_public()
    return made


def when_state_changes(page: Page, label: str, wanted: str) -> None:
    """Record (Date.now(), in window.__changedAt) when the seat first shows `wanted`."""
    page.evaluate("""([label, wanted]) => {
        const button = document.querySelector(`button.seat[data-label="${label}"]`);
        window.__changedAt = null;
        new MutationObserver((records, observer) => {
            if (button.dataset.state === wanted) {
                window.__changedAt = Date.now();
                observer.disconnect();
            }
        }).observe(button, { attributes: true, attributeFilter: ["data-state"] });
    }""", [label, wanted])


def test_a_hold_on_one_page_shows_on_the_other_within_a_second_and_polling_takes_over(
        browser, live_url, terminals, event, pages_use):
    mine = open_pos(browser, terminals, live_url, "cashier", event)
    other = open_pos(browser, terminals, live_url, "cashier2", event, viewport=PHONE)
    for page in (mine, other):
        expect(page.locator("body[data-live=true]")).to_be_attached(timeout=10_000)

    # Pushed: from the click on one page to the other page's map, under a second.
    when_state_changes(other, "A1", "reserved")
    seat(mine, "A1").click()
    clicked_at = time.time()
    mine.click("#hold-btn")
    expect(seat(other, "A1")).to_have_attribute("data-state", "reserved", timeout=5_000)
    seen_after = other.evaluate("window.__changedAt") / 1000 - clicked_at
    assert seen_after < PUSHED_WITHIN_S, f"seen {seen_after:.3f} s after the click"
    expect(seat(mine, "A1")).to_have_attribute("data-state", "reserved_by_me")
    shot(mine, "push-desktop-holder.png")
    shot(other, "push-phone-watcher.png")

    # The socket server dies: the page falls back to polling and still follows.
    pages_use.stop()
    expect(other.locator("body[data-live=false]")).to_be_attached(timeout=5_000)
    mine.locator("#release-btn").click()  # the hold on A1 let go
    expect(seat(other, "A1")).to_have_attribute("data-state", "available",
                                                timeout=pos_page.LIVE)
    assert other.locator("body").get_attribute("data-live") == "false"

    # The server comes back: the page reconnects (with backoff) and stops polling again.
    pages_use.start()
    expect(other.locator("body[data-live=true]")).to_be_attached(timeout=20_000)
    when_state_changes(other, "C3", "reserved")
    seat(mine, "C3").click()
    clicked_at = time.time()
    mine.click("#hold-btn")
    expect(seat(other, "C3")).to_have_attribute("data-state", "reserved", timeout=5_000)
    assert other.evaluate("window.__changedAt") / 1000 - clicked_at < PUSHED_WITHIN_S
    shot(other, "push-phone-reconnected.png")
