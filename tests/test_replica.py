"""The hot standby for stale reads (pos.replica, docs/replica.md), against a real streaming
replica of the test database's cluster, made once for the module (scripts/replica.sh:
pg_basebackup -R) and removed after it.

What a user notices: a dashboard, an export or a seat map may come from the replica; a
decision never does; a replica that lags or is down is skipped (the answer still comes,
from the primary, and a log line says why) and is used again once healthy."""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from pos import replica as replica_module
from pos.replica import REPLICA, stale_iterator, stale_reads_ok
from sales.models import Event, Transaction
from tests.conftest import TenantFixture, api_client, get_or_create_tenant
from tests.processes import free_port

REPO = Path(__file__).resolve().parent.parent
LATER = timedelta(seconds=60)  # past the lag bound and the health check's period


def _script(action: str, port: int) -> None:
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    env = {**os.environ, "POS_DB_PORT": str(primary["PORT"]), "POS_DB_REPLICA_PORT": str(port),
           "POS_REPLICA_DIR": f"/var/tmp/pos-test-replica-{primary['PORT']}-{port}"}
    subprocess.run(["bash", str(REPO / "scripts/replica.sh"), action], env=env, check=True,
                   capture_output=True, timeout=120)


def _replica_sql(port: int, sql: str) -> object:
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    with psycopg.connect(host="127.0.0.1", port=port, user=primary["USER"],
                         password=primary["PASSWORD"], dbname=primary["NAME"],
                         autocommit=True, connect_timeout=5) as conn:
        return conn.execute(sql).fetchone()[0]


def _wait_caught_up(port: int) -> None:
    """Until the replica has replayed what the primary has now (an outside process:
    polled, with a deadline)."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + 20
    while not _replica_sql(port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def replica(race, django_db_blocker) -> Iterator[int]:
    """A streaming replica of the test cluster, as the `replica` database alias."""
    port = free_port()
    with django_db_blocker.unblock():
        get_or_create_tenant("replb")  # a second committed tenant, for the two-tenant read
        _script("start", port)
        alias = {**connections[DEFAULT_DB_ALIAS].settings_dict, "HOST": "127.0.0.1",
                 "PORT": str(port),
                 "OPTIONS": {"connect_timeout": 2,
                             "options": "-c default_transaction_read_only=on"}}
        # (connections.settings is settings.DATABASES itself, defaults filled in.)
        connections.settings[REPLICA] = alias
        assert settings.DATABASES[REPLICA] is alias
        replica_module.forget_health()
        try:
            _wait_caught_up(port)
            yield port
        finally:
            try:
                connections[REPLICA].close()
                del connections[REPLICA]
            finally:
                connections.settings.pop(REPLICA, None)
                settings.DATABASES.pop(REPLICA, None)
                replica_module.forget_health()
                _script("remove", port)  # whatever happened above: no standby left behind


@pytest.fixture
def on_replica(replica, django_db_blocker) -> Iterator[int]:
    """Each test: outside any test transaction (the replica only sees commits), with a
    healthy replica and a fresh health verdict."""
    with django_db_blocker.unblock():
        _replica_sql(replica, "SELECT pg_wal_replay_resume()")
        _wait_caught_up(replica)
        replica_module.forget_health()
        yield replica
        replica_module.forget_health()


@pytest.fixture
def replica_log() -> Iterator[list[dict]]:
    """What pos.replica logs (its structlog events, as dicts)."""
    records: list[dict] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.msg if isinstance(record.msg, dict) else {"event": record.msg})

    logger, handler = logging.getLogger("pos.replica"), Keep(level=logging.INFO)
    before = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(before)


def _usernames() -> set[str]:
    return set(get_user_model().objects.values_list("username", flat=True))


def _replica_queries() -> CaptureQueriesContext:
    return CaptureQueriesContext(connections[REPLICA])


def _reads(captured: CaptureQueriesContext) -> list[str]:
    """The reads the replica served, without pos.replica's own health and replay probes."""
    return [q["sql"] for q in captured.captured_queries
            if "pg_is_in_recovery" not in q["sql"] and "pg_last_wal_replay_lsn" not in q["sql"]
            and not q["sql"].startswith("SET search_path")]


def _paths(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SET search_path")]


# --- Routing ------------------------------------------------------------------------------


def test_two_tenants_read_their_own_schema_through_the_replica(on_replica) -> None:
    with _replica_queries() as on_standby:
        with schema_context("race"), stale_reads_ok():
            race_users = _usernames()
        with schema_context("replb"), stale_reads_ok():
            replb_users = _usernames()
        with schema_context("race"), stale_reads_ok():
            race_again = _usernames()
    assert len(_reads(on_standby)) == 3
    # The replica connection follows the tenant of the default one, read after read.
    assert _paths(on_standby) == ['SET search_path = "race","public"',
                                  'SET search_path = "replb","public"',
                                  'SET search_path = "race","public"']
    assert "c0" in race_users and "c0" not in replb_users
    assert replb_users == {"admin"}
    assert race_again == race_users


def test_unmarked_reads_and_everything_in_a_transaction_read_the_primary(on_replica) -> None:
    with _replica_queries() as on_standby, schema_context("race"):
        assert Event.objects.all().db == DEFAULT_DB_ALIAS  # not marked
        with stale_reads_ok():
            assert Event.objects.all().db == REPLICA
            # Decisions: a locking read, a write, and any read inside a transaction.
            assert Transaction.objects.select_for_update().db == DEFAULT_DB_ALIAS
            with transaction.atomic():
                assert Event.objects.all().db == DEFAULT_DB_ALIAS
                list(Transaction.objects.select_for_update().filter(pk=0))
                _usernames()
        # The mark ends with its block, and does not leak out of a lazy reader.
        assert Event.objects.all().db == DEFAULT_DB_ALIAS
        lines = stale_iterator(lambda: iter(sorted(_usernames())))
        assert next(lines) and Event.objects.all().db == DEFAULT_DB_ALIAS
        assert list(lines)
    assert len(_reads(on_standby)) == 1  # only the lazy reader's one read


def test_the_mark_is_only_used_by_reporting_reads() -> None:
    """No write service, lock module, checkout, check-in or numbering code asks for stale
    reads: they decide, so they read the primary."""
    allowed = {"pos/replica.py", "pos/settings.py", "pos/exports.py",
               "reservations/selectors.py", "reservations/stats.py", "sales/dashboard/selectors.py",
               "fiscal/views.py",
               "sales/exports/command.py", "fiscal/management/commands/sales_book.py"}
    users = {
        str(path.relative_to(REPO))
        for app in ("pos", "tenants", "sales", "reservations", "fiscal")
        for path in (REPO / app).rglob("*.py")
        if "stale_reads_ok" in path.read_text() or "stale_iterator" in path.read_text()
    }
    assert users <= allowed, users - allowed
    for path in users - {"pos/replica.py", "pos/settings.py"}:
        assert "select_for_update" not in (REPO / path).read_text(), path


def test_dashboard_and_stats_come_from_the_replica(on_replica, django_db_blocker) -> None:
    from reservations.stats import reservation_stats

    race = get_or_create_tenant("race")
    with schema_context("race"):
        from tests.builders import make_event

        setup = make_event(rows="A", seats_per_row=3)
    _wait_caught_up(on_replica)
    admin = api_client(TenantFixture(tenant=race, host="race.localhost"), "admin")
    with _replica_queries() as on_standby:
        answer = admin.get(f"/api/dashboard/events/{setup.event.pk}/")
        assert answer.status_code == 200, answer.json()
        assert answer.json()["event"]["name"] == setup.event.name
        dashboard_reads = len(_reads(on_standby))
        with schema_context("race"):
            stats = reservation_stats(now=timezone.now(), event_id=setup.event.pk)
    assert dashboard_reads >= 5
    assert len(_reads(on_standby)) > dashboard_reads
    assert [e["event"] for e in stats["events"]] == [setup.event.pk]


def test_a_cache_miss_never_predates_its_version(on_replica) -> None:
    """The availability snapshot is filed under the version read before it: computed on a
    replica that has not replayed the last commit, it would be served as current. With
    replay paused after a write, the miss is computed on the primary."""
    from reservations import selectors

    with schema_context("race"):
        from tests.builders import make_event

        setup = make_event(rows="A", seats_per_row=2)
        _wait_caught_up(on_replica)
        with _replica_queries() as on_standby:
            selectors._snapshot_for_cache(setup.event, timezone.now())
        assert len(_reads(on_standby)) >= 4  # caught up: the replica serves it

        _replica_sql(on_replica, "SELECT pg_wal_replay_pause()")
        Event.objects.filter(pk=setup.event.pk).update(name="Renamed")
        with _replica_queries() as on_standby:
            snapshot = selectors._snapshot_for_cache(setup.event, timezone.now())
        assert on_standby.captured_queries and not _reads(on_standby)  # only asked how far
        assert [seat[1] for seat in snapshot["seats"]] == ["A1", "A2"]


# --- Health -------------------------------------------------------------------------------


def test_a_lagging_replica_is_skipped_then_used_again(on_replica, replica_log) -> None:
    username = f"probe{time.time_ns()}"
    with schema_context("race"):
        with _replica_queries() as on_standby, stale_reads_ok():
            _usernames()
        assert len(_reads(on_standby)) == 1

        _replica_sql(on_replica, "SELECT pg_wal_replay_pause()")
        with transaction.atomic(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            # Flushed at commit, as in production (the test cluster commits asynchronously).
            cursor.execute("SET LOCAL synchronous_commit TO on")
            get_user_model().objects.create(username=username)
        with (time_machine.travel(timezone.now() + LATER, tick=False),
              _replica_queries() as on_standby, stale_reads_ok()):
            assert username in _usernames()  # fresh: read on the primary
            health = replica_module.replica_health()
        assert len(_reads(on_standby)) == 0
        assert not health.usable and "lagging" in health.reason and "paused" in health.reason
        assert [r["event"] for r in replica_log] == ["replica.used", "replica.skipped"]
        assert replica_log[-1]["reads_go_to"] == "primary"

        _replica_sql(on_replica, "SELECT pg_wal_replay_resume()")
        get_user_model().objects.filter(username=username).delete()  # a fresh commit
        _wait_caught_up(on_replica)
        # Back at the present, the last look (dated in the future) is looked at again.
        with _replica_queries() as on_standby, stale_reads_ok():
            assert username not in _usernames()
        assert len(_reads(on_standby)) == 1
        assert [r["event"] for r in replica_log] == ["replica.used", "replica.skipped",
                                                     "replica.used"]


def test_a_stopped_replica_is_skipped_without_an_error_then_used_again(
        on_replica, replica_log) -> None:
    race = get_or_create_tenant("race")
    admin = api_client(TenantFixture(tenant=race, host="race.localhost"), "admin")
    day = timezone.localdate().isoformat()
    with _replica_queries() as on_standby:
        assert admin.get(f"/api/dashboard/days/{day}/").status_code == 200
    assert len(_reads(on_standby)) >= 1
    assert replica_module.replica_health().usable

    _script("stop", on_replica)
    try:
        # Still believed healthy (checked moments ago): the read fails there and is
        # answered from the primary.
        answer = admin.get(f"/api/dashboard/days/{day}/")
        assert answer.status_code == 200, answer.content[:300]
        assert not replica_module.replica_health().usable
        # Checked again later: connection refused, still the primary, no error.
        with time_machine.travel(timezone.now() + LATER, tick=False):
            assert admin.get(f"/api/dashboard/days/{day}/").status_code == 200
            health = replica_module.replica_health()
            assert not health.usable and health.reason.startswith("down")
        assert [r["event"] for r in replica_log] == ["replica.used", "replica.skipped"]
        assert replica_log[-1]["reason"].startswith("down")
    finally:
        _script("start", on_replica)
    with schema_context("race"):
        get_user_model().objects.create(username="back").delete()  # a fresh commit
    _wait_caught_up(on_replica)
    # Back at the present, the last look (dated in the future) is looked at again.
    with _replica_queries() as on_standby, schema_context("race"), stale_reads_ok():
        assert "c0" in _usernames()
    assert len(_reads(on_standby)) == 1
    assert replica_log[-1]["event"] == "replica.used"

