"""The pushed seat map: `ws[s]://<venue host>[:POS_WS_PORT]/ws/events/<id>/seats/`.

A socket is the POS page's availability poll turned around: on connect, on every change
of the event (reservations.push) and at the instant the first live hold in the map
lapses (a hold expires at `reserved_until` with no write), the server sends the same
JSON the availability endpoint answers, for this user (their holds `reserved_by_me`).

Who may open one is decided like an HTTP request: the tenant from the Host header
(unknown host: closed), the user from the tenant's session cookie (the page; its Origin
must be the venue's own host name) or `Authorization: Token <key>` (other clients), a
box-office role (the availability endpoint's audience). Refusals are accepted, then
closed with a code the page can read:

    4401 not signed in, 4403 role or origin refused, 4404 no such event

The map is read once per version per process (`MapStates`), not once per socket: 200
open maps of one event cost one Redis read (or one computation) per change."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import structlog
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user
from django.db import connection
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils import timezone
from rest_framework import exceptions

from reservations import cache as availability_cache
from reservations.push import group_name
from reservations.selectors import MapState, event_map_state, map_body
from sales.models import Event
from tenants import identity
from tenants.models import Domain, Tenant
from tenants.permissions import STAFF
from tenants.roles import roles_of

logger = structlog.get_logger(__name__)

RECENT_READ_S = 5.0
SHARED_BODY_S = 0.25
MAX_SHARED_BODIES = 1000
NOT_SIGNED_IN, FORBIDDEN, NOT_FOUND = 4401, 4403, 4404


@dataclass(frozen=True)
class Refusal:
    code: int
    reason: str


@dataclass(frozen=True)
class Viewer:
    tenant: Tenant
    user_id: int


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    return {name.decode("latin1").lower(): value.decode("latin1")
            for name, value in scope.get("headers", [])}


def authenticate(scope: dict[str, Any], event_id: int) -> Viewer | Refusal:
    """The tenant and user behind a socket, as tenants.middleware and the API's
    authentication find them for a request (sync: it reads PostgreSQL)."""
    headers = _headers(scope)
    domain, _port = split_domain_port(headers.get("host", ""))
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return Refusal(NOT_FOUND, "unknown_host")
    connection.set_schema_to_public()
    try:
        tenant = identity.tenant_for_hostname(domain)
    except Domain.DoesNotExist:
        return Refusal(NOT_FOUND, "unknown_host")
    connection.set_tenant(tenant)
    try:
        user = _user(headers, domain)
        if isinstance(user, Refusal):
            return user
        if not roles_of(user) & STAFF:
            return Refusal(FORBIDDEN, "role_not_allowed")
        if not Event.objects.filter(pk=event_id).exists():
            return Refusal(NOT_FOUND, "event_not_found")
        return Viewer(tenant=tenant, user_id=user.pk)
    finally:
        connection.set_schema_to_public()


def _user(headers: dict[str, str], domain: str) -> Any:
    """The user of the token or of the session cookie (in the tenant's schema)."""
    authorization = headers.get("authorization", "")
    if authorization:
        scheme, _, key = authorization.partition(" ")
        if scheme != "Token" or not key.strip():
            return Refusal(NOT_SIGNED_IN, "not_signed_in")
        try:
            user, _token = identity.CachedTokenAuthentication().authenticate_credentials(
                key.strip().encode())
        except exceptions.AuthenticationFailed:
            return Refusal(NOT_SIGNED_IN, "not_signed_in")
        return user if user.is_active else Refusal(NOT_SIGNED_IN, "not_signed_in")
    session_key = parse_cookie(headers.get("cookie", "")).get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return Refusal(NOT_SIGNED_IN, "not_signed_in")
    # A browser sends the venue's cookies to any page's socket: only the venue's own pages
    # (same host name, whatever the port) may use them (no cross-site socket hijacking).
    if (urlsplit(headers.get("origin", "")).hostname or "") != domain:
        return Refusal(FORBIDDEN, "origin_not_allowed")
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = get_user(SimpleNamespace(session=session))
    return user if user.is_authenticated else Refusal(NOT_SIGNED_IN, "not_signed_in")


def _load(tenant: Tenant, event_id: int, known: MapState | None) -> MapState | None:
    """The event's map under its current version (`known` again when it still is)."""
    connection.set_tenant(tenant)
    try:
        now = timezone.now()
        if known is not None and _fresh(known, now) and (
                availability_cache.peek_version(event_id) == known.version):
            return known
        event = Event.objects.filter(pk=event_id).first()
        return event_map_state(event=event, now=now) if event else None
    finally:
        connection.set_schema_to_public()


def _fresh(state: MapState, now: datetime) -> bool:
    return state.version is not None and (state.valid_until is None or now < state.valid_until)


class MapStates:
    """Per process: the last map read of each (schema, event) and the read under way, which
    every socket that needs the map meanwhile waits for instead of reading it again."""

    def __init__(self) -> None:
        self.latest: dict[tuple[str, int], MapState] = {}
        self.reading: dict[tuple[str, int], asyncio.Future] = {}
        self.read_at: dict[tuple[str, int], float] = {}
        self.shared: dict[int, tuple[MapState, float, bytes]] = {}

    async def get(self, tenant: Tenant, event_id: int, *, version: str | None = None,
                  recheck: bool = False) -> MapState | None:
        """The map at `version` (a change's) or newer; any still-valid one when no version
        is asked; `recheck` asks Redis whether the version moved (a lost message)."""
        key = (tenant.schema_name, event_id)
        known = self.latest.get(key)
        if recheck and time.monotonic() - self.read_at.get(key, 0) < RECENT_READ_S:
            recheck = False  # another socket of this event has just asked
        if not recheck and known and self._satisfies(known, version):
            return known
        pending = self.reading.get(key)
        if pending is not None and pending.get_loop() is asyncio.get_running_loop():
            state = await asyncio.shield(pending)
            if state is None or self._satisfies(state, version):
                return state
        # A read that started after the caller's change was published: never stale.
        pending = self.reading.get(key)
        if pending is None or pending.get_loop() is not asyncio.get_running_loop():
            pending = asyncio.ensure_future(
                database_sync_to_async(_load)(tenant, event_id, self.latest.get(key)))
            self.reading[key] = pending
            self.read_at[key] = time.monotonic()
            pending.add_done_callback(lambda done: self._read(key, done))
        return await asyncio.shield(pending)

    def body(self, state: MapState, event_id: int, user_id: int) -> bytes:
        """The map's JSON for this user. A user holding none of its seats gets the body
        every such socket gets, made once per state and SHARED_BODY_S (its server_time is
        at most that old: the page's clock offset, not a countdown's end, rests on it)."""
        if user_id in state.rendered["mine"]:
            return map_body(event_id, timezone.now(), state, user_id)
        now = time.monotonic()
        shared = self.shared.get(id(state))
        if shared is None or shared[0] is not state or now - shared[1] > SHARED_BODY_S:
            shared = (state, now, map_body(event_id, timezone.now(), state, None))
            if len(self.shared) > MAX_SHARED_BODIES:
                self.shared.clear()
            self.shared[id(state)] = shared
        return shared[2]

    def _satisfies(self, state: MapState, version: str | None) -> bool:
        return _fresh(state, timezone.now()) and version in (None, state.version)

    def _read(self, key: tuple[str, int], done: asyncio.Future) -> None:
        if self.reading.get(key) is done:
            del self.reading[key]
        if not done.cancelled() and done.exception() is None:
            if done.result() is None:
                self.latest.pop(key, None)
            else:
                self.latest[key] = done.result()


map_states = MapStates()


class SeatMapConsumer(AsyncWebsocketConsumer):
    viewer: Viewer | None = None
    group: str | None = None
    sent: tuple[str | None, int] | None = None
    timer: asyncio.Task | None = None
    timer_at: datetime | None = None
    recheck: asyncio.Task | None = None

    async def connect(self) -> None:
        await self.accept()
        self.event_id = int(self.scope["url_route"]["kwargs"]["event_id"])
        who = await database_sync_to_async(authenticate)(self.scope, self.event_id)
        if isinstance(who, Refusal):
            logger.info("seat_socket_refused", reason=who.reason, code=who.code,
                        event_id=self.event_id)
            await self.close(code=who.code, reason=who.reason)
            return
        self.viewer = who
        self.group = group_name(who.tenant.schema_name, self.event_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_map()
        self.recheck = asyncio.ensure_future(self._recheck_now_and_then())

    async def disconnect(self, code: int) -> None:
        for task in (self.timer, self.recheck):
            if task is not None:
                task.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        """Nothing to say to the server: the socket only listens."""

    async def seats_changed(self, message: dict[str, Any]) -> None:
        """reservations.push: the event changed (a hold, release, sale, refund, block...)."""
        await self.send_map(version=message.get("version"))

    async def send_map(self, *, version: str | None = None, recheck: bool = False) -> None:
        viewer = self.viewer
        if viewer is None:
            return
        state = await map_states.get(viewer.tenant, self.event_id, version=version,
                                     recheck=recheck)
        if state is None:  # the event was deleted
            await self.close(code=NOT_FOUND, reason="event_not_found")
            return
        sent = (state.version, state.rendered["stamp"])
        if sent != self.sent:
            # Binary frames of the ready JSON bytes: no str round trip per socket.
            await self.send(bytes_data=map_states.body(state, self.event_id, viewer.user_id))
            self.sent = sent
        self._refresh_at(state.valid_until)

    def _refresh_at(self, valid_until: datetime | None) -> None:
        """Send the map again at the instant its first live hold lapses."""
        if self.timer is not None and not self.timer.done() and self.timer_at == valid_until:
            return  # already set for that instant (most changes leave it where it was)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.timer_at = valid_until
        if valid_until is not None:
            delay = max((valid_until - timezone.now()).total_seconds(), 0) + 0.02
            self.timer = asyncio.ensure_future(self._send_later(delay))

    async def _send_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self.timer = None
        await self.send_map()

    async def _recheck_now_and_then(self) -> None:
        """A pushed change can be lost (Redis restarted between publish and delivery): now
        and then, compare the version (one Redis read per event and process)."""
        period = settings.POS_WS_RECHECK_SECONDS
        while True:
            await asyncio.sleep(period * random.uniform(0.8, 1.2))
            try:
                await self.send_map(recheck=True)
            except Exception:
                logger.exception("seat_socket_recheck_failed", event_id=self.event_id)
