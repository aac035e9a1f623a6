"""Pushed seat maps (reservations.push, reservations.consumers): who may open a socket,
tenant isolation, and a message for every kind of change (hold, release, expiry, sale,
refund, block).

The consumer runs in this process (channels' WebsocketCommunicator) on the real Redis
channel layer; the writes go through the API in the test's transaction, their
after-commit callbacks run by `django_capture_on_commit_callbacks`, so the publish takes
the same road as in production (a background thread, a Redis PUBLISH)."""

from __future__ import annotations

import json
from datetime import timedelta

import channels.db
import pytest
import time_machine
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from pos.asgi import application
from reservations import consumers, push
from reservations.models import ReservedTicket
from reservations.services import expire_stale_holds
from tests.builders import api_hold_id, make_event, sell_through_api, set_rate
from tests.conftest import PASSWORD, api_client, token_for
from tests.websocket import WebsocketCommunicator

TIMEOUT = 5


@pytest.fixture(autouse=True)
def _consumer_in_the_test_transaction(monkeypatch):
    """As channels' own test communicator does: its database wrappers would close the
    connection left outside autocommit by the test's transaction (the browser test runs
    the real server)."""
    monkeypatch.setattr(channels.db, "close_old_connections", lambda: None)
    consumers.map_states.latest.clear()


def socket(host: str, event_id: int, **headers: str) -> WebsocketCommunicator:
    raw = [(b"host", host.encode())] + [
        (name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return WebsocketCommunicator(application, f"/ws/events/{event_id}/seats/", headers=raw)


def token_header(tenant, username: str) -> dict[str, str]:
    token = token_for(tenant, username)
    connection.set_schema_to_public()
    return {"authorization": f"Token {token}"}


async def opened(communicator: WebsocketCommunicator) -> dict:
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return json.loads(await communicator.receive_from(timeout=TIMEOUT))


async def closed_with(communicator: WebsocketCommunicator) -> int:
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected  # accepted, then closed with a code the page can read
    message = await communicator.receive_output(timeout=TIMEOUT)
    assert message["type"] == "websocket.close", message
    return message["code"]


def seat_states(data: dict) -> dict[str, str]:
    return {seat["label"]: seat["state"] for seat in data["seats"]}


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate("100.0000")
        made = make_event(rows="AB", seats_per_row=4, ga_capacity=10)
    connection.set_schema_to_public()
    return made


def committed(action):
    """Run a write (sync) as a request would: its after-commit work (the push) runs."""
    def run(captured):
        with captured(execute=True):
            result = action()
        connection.set_schema_to_public()
        push.flush_for_tests()
        return result
    return run


# --- Who may open a socket -------------------------------------------------------------

def test_a_socket_without_credentials_is_closed_4401(alpha, setup):
    async def scenario():
        assert await closed_with(socket(alpha.host, setup.event.pk)) == 4401
        bad = socket(alpha.host, setup.event.pk, authorization="Token not-a-token")
        assert await closed_with(bad) == 4401
    async_to_sync(scenario)()


def test_door_staff_may_not_watch_the_map_4403(alpha, setup):
    headers = token_header(alpha, "door")

    async def scenario():
        assert await closed_with(socket(alpha.host, setup.event.pk, **headers)) == 4403
    async_to_sync(scenario)()


def test_unknown_host_and_unknown_event_are_4404(alpha, setup):
    headers = token_header(alpha, "cashier")

    async def scenario():
        assert await closed_with(socket("nobody.localhost", setup.event.pk, **headers)) == 4404
        assert await closed_with(socket("evil.example.com", setup.event.pk, **headers)) == 4404
        assert await closed_with(socket(alpha.host, 987654321, **headers)) == 4404
    async_to_sync(scenario)()


def test_tenant_a_token_cannot_open_tenant_b_events(alpha, beta, setup):
    """A token is a row of its tenant's schema: on beta's host it is nobody's."""
    headers = token_header(alpha, "cashier")
    with tenant_context(beta.tenant):
        theirs = make_event(rows="A", seats_per_row=2)
    connection.set_schema_to_public()

    async def scenario():
        assert await closed_with(socket(beta.host, theirs.event.pk, **headers)) == 4401
    async_to_sync(scenario)()


def test_the_page_session_cookie_opens_a_socket_from_the_venues_own_origin_only(alpha, setup):
    """The POS page authenticates with its session cookie; a page of another site cannot
    use the browser's cookie to read the map (Origin checked)."""
    client = Client(HTTP_HOST=alpha.host)
    response = client.post("/pos/login/", {"username": "cashier", "password": PASSWORD})
    assert response.status_code == 302, response.content
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    connection.set_schema_to_public()

    async def scenario():
        page = socket(alpha.host + ":8001", setup.event.pk, cookie=cookie,
                      origin=f"http://{alpha.host}:8000")
        data = await opened(page)
        assert data["event"] == setup.event.pk
        assert seat_states(data)["A1"] == "available"
        await page.disconnect()
        foreign = socket(alpha.host, setup.event.pk, cookie=cookie,
                         origin="https://evil.example.com")
        assert await closed_with(foreign) == 4403
        # A session of alpha's schema is nobody's on beta's host.
        assert await closed_with(socket("beta.localhost", setup.event.pk, cookie=cookie,
                                        origin="http://beta.localhost")) in {4401, 4404}
    async_to_sync(scenario)()


# --- Tenant isolation ----------------------------------------------------------------

def test_a_tenant_b_socket_never_hears_tenant_a_changes(
        alpha, beta, setup, django_capture_on_commit_callbacks):
    ours = token_header(alpha, "cashier")
    theirs = token_header(beta, "cashier")
    with tenant_context(beta.tenant):
        other = make_event(rows="A", seats_per_row=2)
    connection.set_schema_to_public()
    cashier = api_client(alpha, "cashier")
    assert push.group_name(alpha.schema, 7) != push.group_name(beta.schema, 7)

    async def scenario():
        watcher_a = socket(alpha.host, setup.event.pk, **ours)
        watcher_b = socket(beta.host, other.event.pk, **theirs)
        await opened(watcher_a)
        await opened(watcher_b)
        await sync_to_async(committed(lambda: api_hold_id(cashier, setup, "A1")))(
            django_capture_on_commit_callbacks)
        assert seat_states(json.loads(await watcher_a.receive_from(TIMEOUT)))["A1"] == \
            "reserved_by_me"
        assert await watcher_b.receive_nothing(timeout=0.5)
        await watcher_a.disconnect()
        await watcher_b.disconnect()
    async_to_sync(scenario)()


# --- Every kind of change reaches the open maps --------------------------------------

def watcher(alpha, setup, username: str = "cashier2"):
    """Opens the map of another cashier (made in the test's loop): what it shows after
    each change."""
    headers = token_header(alpha, username)
    return lambda: socket(alpha.host, setup.event.pk, **headers)


def test_hold_and_release_reach_another_terminals_map(
        alpha, setup, django_capture_on_commit_callbacks):
    cashier = api_client(alpha, "cashier")
    capture = django_capture_on_commit_callbacks

    watch = watcher(alpha, setup)

    async def scenario():
        other = watch()
        assert seat_states(await opened(other))["A1"] == "available"
        hold_id = await sync_to_async(committed(
            lambda: api_hold_id(cashier, setup, "A1", "A2", zones=[
                {"zone": setup.ga_zone.pk, "quantity": 3}])))(capture)
        data = json.loads(await other.receive_from(TIMEOUT))
        assert seat_states(data)["A1"] == "reserved"  # someone else's hold
        assert {z["id"]: z["available"] for z in data["zones"]}[setup.ga_zone.pk] == 7

        def release():
            answer = cashier.post(f"/api/holds/{hold_id}/release/",
                                  {"seat_ids": setup.ids("A2")}, format="json")
            assert answer.status_code == 200, answer.json()
        await sync_to_async(committed(release))(capture)
        states = seat_states(json.loads(await other.receive_from(TIMEOUT)))
        assert (states["A1"], states["A2"]) == ("reserved", "available")
        await other.disconnect()
    async_to_sync(scenario)()


def test_sale_and_refund_reach_the_map(alpha, setup, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks

    watch = watcher(alpha, setup)

    async def scenario():
        other = watch()
        await opened(other)
        sale = await sync_to_async(committed(lambda: sell_through_api(alpha, setup, "B1")))(
            capture)
        # The hold, then the sale: the last message shows the seat sold.
        states = seat_states(json.loads(await other.receive_from(TIMEOUT)))
        while states["B1"] != "sold":
            states = seat_states(json.loads(await other.receive_from(TIMEOUT)))

        def refund():
            answer = api_client(alpha, "admin").post(
                f"/api/fiscal/documents/{sale['invoice']['id']}/credit-note/",
                {"reason": "Reembolso"}, format="json")
            assert answer.status_code == 201, answer.json()
        await sync_to_async(committed(refund))(capture)
        assert seat_states(json.loads(await other.receive_from(TIMEOUT)))["B1"] == "available"
        await other.disconnect()
    async_to_sync(scenario)()


def test_a_block_reaches_the_map(alpha, setup, django_capture_on_commit_callbacks):
    admin = api_client(alpha, "admin")

    watch = watcher(alpha, setup)

    async def scenario():
        other = watch()
        await opened(other)

        def block():
            answer = admin.post(f"/api/events/{setup.event.pk}/seat-blocks/",
                                {"seat_ids": setup.ids("B4"), "reason": "Cámara"},
                                format="json")
            assert answer.status_code in (200, 201), answer.json()
        await sync_to_async(committed(block))(django_capture_on_commit_callbacks)
        assert seat_states(json.loads(await other.receive_from(TIMEOUT)))["B4"] == "blocked"
        await other.disconnect()
    async_to_sync(scenario)()


def test_the_expiry_job_reaches_the_map(alpha, setup, django_capture_on_commit_callbacks):
    cashier = api_client(alpha, "cashier")
    capture = django_capture_on_commit_callbacks

    watch = watcher(alpha, setup)

    async def scenario():
        other = watch()
        await opened(other)
        await sync_to_async(committed(lambda: api_hold_id(cashier, setup, "A3")))(capture)
        assert seat_states(json.loads(await other.receive_from(TIMEOUT)))["A3"] == "reserved"

        def job():
            # As the Celery task runs it: in the tenant's schema, each batch committing.
            with tenant_context(alpha.tenant), capture(execute=True):
                assert expire_stale_holds(now=timezone.now() + timedelta(minutes=30))[
                    "holds_expired"] == 1
            connection.set_schema_to_public()
            push.flush_for_tests()
        # The map already frees the seat at its expiry (next test); the job's write is a
        # change too, and is pushed like any other.
        await sync_to_async(job)()
        assert seat_states(json.loads(await other.receive_from(TIMEOUT)))["A3"] == "available"
        await other.disconnect()
    async_to_sync(scenario)()


def test_a_hold_lapsing_with_no_write_reaches_the_map_at_its_expiry(
        alpha, setup, django_capture_on_commit_callbacks):
    """A hold expires at reserved_until with nothing written: the socket sends the map
    again at that instant (the snapshot's valid_until), not at the next job run."""
    cashier = api_client(alpha, "cashier")

    watch = watcher(alpha, setup)

    async def scenario():
        other = watch()
        await opened(other)
        await sync_to_async(committed(lambda: api_hold_id(cashier, setup, "A4")))(
            django_capture_on_commit_callbacks)
        assert seat_states(json.loads(await other.receive_from(TIMEOUT)))["A4"] == "reserved"
        await other.disconnect()

        def expires_at():
            with tenant_context(alpha.tenant):
                return ReservedTicket.objects.get(seat_id=setup.ids("A4")[0]).reserved_until
        until = await sync_to_async(expires_at)()
        connection.set_schema_to_public()
        # 0.4 s before the expiry, the clock running: a fresh socket's timer fires at it.
        with time_machine.travel(until - timedelta(seconds=0.4), tick=True):
            again = watch()
            assert seat_states(await opened(again))["A4"] == "reserved"
            data = json.loads(await again.receive_from(TIMEOUT))
            assert seat_states(data)["A4"] == "available"
            assert data["server_time"] >= until.isoformat()
            await again.disconnect()
    async_to_sync(scenario)()


# --- The page is told where the socket is --------------------------------------------

def page_config(response) -> dict:
    text = response.content.decode()
    start = text.index('<script id="pos-config" type="application/json">')
    body = text[text.index(">", start) + 1:text.index("</script>", start)]
    return json.loads(body)


def csp_connect(response) -> list[str]:
    policy = response["Content-Security-Policy"]
    return next(part.split()[1:] for part in policy.split(";")
                if part.split() and part.split()[0] == "connect-src")


def test_the_page_gets_the_socket_url_and_its_policy_allows_that_origin_only(alpha, settings):
    client = Client(HTTP_HOST=f"{alpha.host}:8000")
    client.post("/pos/login/", {"username": "cashier", "password": PASSWORD})
    page = client.get("/pos/")
    assert page_config(page)["socketUrl"] == \
        f"ws://{alpha.host}:8001/ws/events/{{event}}/seats/"
    assert csp_connect(page) == ["'self'", f"ws://{alpha.host}:8001"]
    assert csp_connect(client.get("/pos/", HTTP_X_FORWARDED_PROTO="https")) == \
        ["'self'", f"wss://{alpha.host}:8001"]
    # Behind a proxy serving /ws/ on the site's own origin.
    settings.POS_WS_BASE_URL = "wss://pos.example.com/"
    page = client.get("/pos/")
    assert page_config(page)["socketUrl"] == "wss://pos.example.com/ws/events/{event}/seats/"
    assert csp_connect(page) == ["'self'", "wss://pos.example.com"]
    # Every other answer keeps connect-src to its own origin.
    assert csp_connect(client.get("/api/settings/")) == ["'self'"]
