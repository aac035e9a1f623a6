"""Tenant routing behind PgBouncer in transaction-pooling mode (pos/db_backend,
docs/pgbouncer.md): a real PgBouncer (Debian's), started for this module, with a pool
of 2 server connections in front of the test database.

Two tenants' cashiers (4 threads each, 8 client connections over those 2 server
connections) interleave API requests (a hold, a read of the event's zones, the
release) and statements on a marker table that exists, under the same name, in both
schemas: in autocommit and inside atomic blocks, reads and writes. With
POS_DB_POOLING=transaction no request or statement ever sees or writes the other
tenant's rows. The control runs the same load with the direct-connection backend (the
session's search path remembered, TENANT_LIMIT_SET_CALLS) through the same PgBouncer
and does see the other tenant: the test is known to detect a leak."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django_tenants.utils import schema_context

from benchmarks.pgbouncer import PgBouncer
from pos.db_backend.base import TRANSACTION_POOLING
from tests.builders import make_event
from tests.conftest import TenantFixture, add_cashiers, api_client, committed_tenant

THREADS_PER_TENANT = 4
ROUNDS = 100  # per thread: 8 × 100 × (3 API requests + 5 marker statements)
CONTROL_ROUNDS = 60
SCHEMAS = ("race", "pooled")  # the concurrency tests' tenant, and one more


@pytest.fixture(scope="module")
def bouncer() -> Iterator[PgBouncer]:
    pgbouncer = PgBouncer(pool_size=2).start()
    yield pgbouncer
    pgbouncer.stop()


@dataclass
class Venue:
    fixture: TenantFixture
    event_id: int
    seat_ids: list[int]
    zone_name: str


@pytest.fixture(scope="module")
def venues(race, django_db_blocker) -> Iterator[dict[str, Venue]]:
    """Two tenants whose writes commit, each with cashiers p0 … p3, an event whose zone is
    named after it and a table `pool_marker` holding one row naming it (dropped
    afterwards; the holds are released)."""
    cashiers = [f"p{i}" for i in range(THREADS_PER_TENANT)]
    made = {}
    with django_db_blocker.unblock():
        for schema in SCHEMAS:
            if schema == race.schema_name:
                tenant = race
                add_cashiers(race, cashiers)
            else:
                tenant = committed_tenant(schema, cashiers)
            with schema_context(schema):
                setup = make_event(rows="AB", seats_per_row=THREADS_PER_TENANT)
                setup.zone.name = f"Zona {schema}"
                setup.zone.save(update_fields=["name"])
                with connection.cursor() as cursor:
                    cursor.execute("CREATE TABLE pool_marker (tenant text NOT NULL, "
                                   "thread int NOT NULL DEFAULT 0)")
                    cursor.execute("INSERT INTO pool_marker (tenant) VALUES (%s)", [schema])
            made[schema] = Venue(
                fixture=TenantFixture(tenant=tenant, host=f"{schema}.localhost"),
                event_id=setup.event.pk, seat_ids=setup.ids(*[f"A{i + 1}" for i in
                                                             range(THREADS_PER_TENANT)]),
                zone_name=setup.zone.name)
        connection.set_schema_to_public()
        yield made
        for schema in SCHEMAS:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP TABLE IF EXISTS "{schema}".pool_marker')


@dataclass
class Tally:
    requests: int = 0
    statements: int = 0
    leaks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, requests: int, statements: int, leaks: list[str], errors: list[str]):
        with self.lock:
            self.requests += requests
            self.statements += statements
            self.leaks += leaks
            self.errors += errors


def _through(bouncer: PgBouncer, pooling: str) -> None:
    """This thread's connection goes through the PgBouncer, in the given mode."""
    connection.close()
    connection.settings_dict = {**connection.settings_dict, "PORT": str(bouncer.port),
                                "POOLING": pooling,
                                "DISABLE_SERVER_SIDE_CURSORS": True}


def _marker_rounds(schema: str, thread: int, leaks: list[str]) -> int:
    """Reads and writes of the marker, in autocommit and in a transaction: each read must
    name this tenant. Returns the number of statements run."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tenant FROM pool_marker WHERE thread = 0")
        seen = cursor.fetchone()[0]
        if seen != schema:
            leaks.append(f"{schema} read the marker of {seen} (autocommit)")
        cursor.execute("INSERT INTO pool_marker (tenant, thread) VALUES (%s, %s)",
                       [schema, thread])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO pool_marker (tenant, thread) VALUES (%s, %s)",
                       [schema, thread])
        cursor.execute("SELECT tenant FROM pool_marker WHERE thread = 0")
        seen = cursor.fetchone()[0]
        if seen != schema:
            leaks.append(f"{schema} read the marker of {seen} (in a transaction)")
        cursor.execute("SELECT count(*) FROM pool_marker WHERE tenant <> %s", [schema])
        if cursor.fetchone()[0]:
            leaks.append(f"{schema} sees another tenant's marker rows")
    return 5


def _cashier_thread(bouncer: PgBouncer, pooling: str, venue: Venue, index: int,
                    rounds: int, start: threading.Barrier, tally: Tally,
                    stop: threading.Event) -> None:
    schema = venue.fixture.schema
    client = api_client(venue.fixture, f"p{index}")  # its token, made before the load
    seat = venue.seat_ids[index]
    requests = statements = 0
    leaks: list[str] = []
    errors: list[str] = []
    try:
        _through(bouncer, pooling)
        start.wait(timeout=60)
        for _ in range(rounds):
            if stop.is_set():
                break
            try:
                held = client.post("/api/holds/", {"event": venue.event_id,
                                                   "seat_ids": [seat]}, format="json")
                zones = client.get(f"/api/events/{venue.event_id}/zones/")
                requests += 2
                names = [zone["name"] for zone in zones.json()] if zones.status_code == 200 \
                    else []
                if zones.status_code != 200 or names != [venue.zone_name]:
                    leaks.append(f"{schema} read zones {zones.status_code} {names}")
                if held.status_code != 201:
                    errors.append(f"{schema} hold {held.status_code} {held.content[:200]!r}")
                else:
                    released = client.post(f"/api/holds/{held.json()['id']}/release/",
                                           {"seat_ids": [seat]}, format="json")
                    requests += 1
                    if released.status_code != 200:
                        errors.append(f"{schema} release {released.status_code}")
                statements += _marker_rounds(schema, index + 1, leaks)
            except Exception as exc:  # a leak may surface as any error
                errors.append(f"{schema} {type(exc).__name__}: {exc}")
            if pooling != TRANSACTION_POOLING and leaks:
                stop.set()  # the control has shown what it had to
    finally:
        tally.add(requests, statements, leaks, errors)
        connections.close_all()


def _interleave(bouncer: PgBouncer, venues: dict[str, Venue], pooling: str,
                rounds: int) -> Tally:
    tally = Tally()
    stop = threading.Event()
    start = threading.Barrier(THREADS_PER_TENANT * len(venues))
    threads = [threading.Thread(target=_cashier_thread, args=(
        bouncer, pooling, venue, index, rounds, start, tally, stop))
        for venue in venues.values() for index in range(THREADS_PER_TENANT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return tally


def _foreign_rows(schema: str) -> int:
    """Marker rows in `schema` written by the other tenant (counted directly, not through
    the PgBouncer)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{schema}".pool_marker WHERE tenant <> %s',
                       [schema])
        return cursor.fetchone()[0]


def _clear_markers(django_db_blocker) -> None:
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for schema in SCHEMAS:
            cursor.execute(f'DELETE FROM "{schema}".pool_marker WHERE thread <> 0')
            cursor.execute(f"DELETE FROM \"{schema}\".pool_marker WHERE tenant <> '{schema}'")


def test_two_tenants_through_two_server_connections_never_see_each_other(
        bouncer, venues, django_db_blocker):
    _clear_markers(django_db_blocker)
    tally = _interleave(bouncer, venues, TRANSACTION_POOLING, ROUNDS)

    assert tally.errors == []
    assert tally.leaks == []
    expected = THREADS_PER_TENANT * len(SCHEMAS) * ROUNDS
    assert tally.requests == 3 * expected
    assert tally.statements == 5 * expected
    with django_db_blocker.unblock():
        assert [_foreign_rows(schema) for schema in SCHEMAS] == [0, 0]
        with connection.cursor() as cursor:  # every marker write landed at home
            for schema in SCHEMAS:
                cursor.execute(f'SELECT count(*) FROM "{schema}".pool_marker '
                               "WHERE thread <> 0")
                assert cursor.fetchone()[0] == 2 * THREADS_PER_TENANT * ROUNDS


def test_control_the_session_search_path_leaks_through_the_pooler(
        bouncer, venues, django_db_blocker):
    """Today's backend (search path set once per session) through the same PgBouncer."""
    _clear_markers(django_db_blocker)
    tally = _interleave(bouncer, venues, "", CONTROL_ROUNDS)

    with django_db_blocker.unblock():
        foreign = sum(_foreign_rows(schema) for schema in SCHEMAS)
    assert tally.leaks or foreign, "the unsafe mode should have crossed tenants"
    _clear_markers(django_db_blocker)


def test_every_transaction_has_the_lock_timeout_and_utc_behind_the_pooler(
        bouncer, venues, django_db_blocker):
    """The settings a session would carry are there in every transaction: the lock timeout
    (PgBouncer drops the startup option; the server's default is none), UTC (Django's,
    which PgBouncer tracks per client) even after another client of the same server
    connections chose another zone, and the tenant's path."""
    other = psycopg.connect(host="127.0.0.1", port=bouncer.port, dbname=settings.DATABASES[
        "default"]["NAME"], user="pos", password="pos-dev-password", autocommit=True)
    seen = []

    def probe() -> None:
        try:
            _through(bouncer, TRANSACTION_POOLING)
            with schema_context(SCHEMAS[1]):
                for _ in range(20):
                    other.execute("SET TimeZone = 'America/Caracas'")
                    other.execute("SET lock_timeout = 0")
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT current_setting('lock_timeout'), "
                                       "current_setting('TimeZone'), current_schema()")
                        seen.append(cursor.fetchone())
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.execute("SELECT 1")
                        cursor.execute("SELECT current_setting('lock_timeout'), "
                                       "current_setting('TimeZone'), current_schema()")
                        seen.append(cursor.fetchone())
        finally:
            connections.close_all()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(timeout=60)
    other.close()
    assert len(seen) == 40
    assert set(seen) == {(settings.POS_LOCK_TIMEOUT, "UTC", SCHEMAS[1])}


def test_a_hold_on_a_locked_seat_answers_busy_after_the_lock_timeout_behind_the_pooler(
        bouncer, venues, django_db_blocker):
    """A seat locked by another session (straight to PostgreSQL): the hold through the
    pooler waits the lock timeout, not forever, and answers 503 `busy`."""
    from sales.models import Seat

    venue = venues[SCHEMAS[1]]
    seat = venue.seat_ids[0]
    db = settings.DATABASES["default"]
    locker = psycopg.connect(host="127.0.0.1", port=db["PORT"], dbname=db["NAME"],
                             user=db["USER"], password=db["PASSWORD"])
    answer = {}

    def hold() -> None:
        try:
            client = api_client(venue.fixture, "p0")
            _through(bouncer, TRANSACTION_POOLING)
            started = time.monotonic()
            response = client.post("/api/holds/", {"event": venue.event_id,
                                                   "seat_ids": [seat]}, format="json")
            answer.update(status=response.status_code, body=response.json(),
                          waited=time.monotonic() - started)
        finally:
            connections.close_all()

    try:
        locker.execute(f'SELECT 1 FROM "{SCHEMAS[1]}".{Seat._meta.db_table} WHERE id = %s '
                       "FOR UPDATE", [seat])
        thread = threading.Thread(target=hold)
        thread.start()
        thread.join(timeout=60)
    finally:
        locker.rollback()
        locker.close()
    assert answer["status"] == 503, answer
    assert answer["body"]["code"] == "busy"
    assert 2.5 < answer["waited"] < 15  # POS_LOCK_TIMEOUT is 3 s
