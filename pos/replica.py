"""Reads that may be slightly stale, served by a hot standby (docs/replica.md).

Nothing goes to the `replica` database alias unless the code says so: a read runs there
only inside `stale_reads_ok()` (a context manager and a decorator), only outside any
atomic block of the primary (a decision reads, locks and writes in one transaction, so it
never qualifies), never as a write or a locking read (Django routes both with
`db_for_write`, always the primary here; the locks themselves live in the lock modules),
and only while the replica is healthy: up, in recovery, and no further behind than
POS_DB_REPLICA_MAX_LAG_SECONDS. The health is looked at once per
POS_DB_REPLICA_CHECK_SECONDS per process, so it costs nothing per request.

django-tenants puts the request's tenant on the default connection only: the replica
connection is given the same tenant (search path) before every read routed to it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

import structlog
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import DatabaseError, InterfaceError, OperationalError

REPLICA = "replica"
logger = structlog.get_logger(__name__)

T = TypeVar("T")

# Set by stale_reads_ok: True while the enclosing code accepts stale reads, and whether
# the replica served any of them (then a failure is retried on the primary).
_marked: ContextVar[bool] = ContextVar("stale_reads_ok", default=False)
_served: ContextVar[list[bool] | None] = ContextVar("stale_reads_served", default=None)


# --- Health -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    usable: bool
    reason: str  # why not (or "ok")
    lag_seconds: float | None
    checked_at: float  # time.time()


class _HealthCache:
    """The replica's last health check in this process, and the last verdict logged."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.health: Health | None = None

    def forget(self) -> None:
        with self.lock:
            self.health = None
            _positions.clear()


_cache = _HealthCache()


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def max_lag_seconds() -> float:
    return float(getattr(settings, "POS_DB_REPLICA_MAX_LAG_SECONDS", 5))


def check_seconds() -> float:
    return float(getattr(settings, "POS_DB_REPLICA_CHECK_SECONDS", 3))


def _lsn(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


# Where the primary's WAL was (insert position) at this process's recent looks, and when
# (time.time()): the replica has every commit made before a moment whose position it has
# replayed.
_positions: deque[tuple[int, float]] = deque(maxlen=64)


def measure() -> Health:
    """Look at the replica now: down (cannot connect, or not a standby), lagging, or
    usable. Its lag is an upper bound of how stale its data is, the smallest of:
    - 0 if it has replayed everything the primary has flushed now (an idle primary's
      replica is never "late"), or the few ms it takes to get there (a short wait);
    - the time since an earlier look of this process at the primary whose WAL position
      the replica has replayed since (it has every commit made before that look): the
      primary writing all the time but committing rarely (a long migration) does not
      make a replica that keeps up look late;
    - the time since the last transaction it replayed was committed (the oldest commit it
      lacks is younger).
    A replica that is keeping up is never skipped; one that is behind is skipped when
    that bound passes POS_DB_REPLICA_MAX_LAG_SECONDS, at worst one check period late on a
    process's first looks."""
    now = time.time()
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            # Flushed: what can have been sent. An asynchronous commit's WAL is flushed
            # within a few wal_writer_delay (200 ms): negligible next to the bound.
            cursor.execute("SELECT pg_current_wal_flush_lsn()::text")
            primary = _lsn(cursor.fetchone()[0])
        replica = connections[REPLICA]
        with replica.cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), pg_is_wal_replay_paused(),"
                " coalesce(pg_last_wal_replay_lsn()::text, '0/0'),"
                " extract(epoch FROM pg_last_xact_replay_timestamp())::float8")
            in_recovery, paused, replayed_text, replayed_at = cursor.fetchone()
            replayed = _lsn(replayed_text)
            deadline = time.monotonic() + catch_up_seconds()
            while in_recovery and not paused and replayed < primary \
                    and time.monotonic() < deadline:
                time.sleep(0.005)
                cursor.execute("SELECT coalesce(pg_last_wal_replay_lsn()::text, '0/0')")
                replayed = _lsn(cursor.fetchone()[0])
    except (OperationalError, InterfaceError) as exc:
        _close_replica()
        return Health(False, f"down: {_first_line(exc)}", None, now)
    if not in_recovery:
        return Health(False, "not a standby (pg_is_in_recovery() is false)", None, now)
    bounds = [time.time() - now if replayed >= primary else float("inf")]
    bounds += [now - at for position, at in _positions if position <= replayed and at <= now]
    if replayed_at is not None:
        bounds.append(now - replayed_at)
    lag = max(min(bounds), 0.0)
    _positions.append((primary, now))
    if lag > max_lag_seconds():
        why = f"lagging {lag:.1f} s > {max_lag_seconds():g} s"
        return Health(False, why + (" (replay paused)" if paused else ""), lag, now)
    return Health(True, "ok", lag, now)


def replica_health(*, refresh: bool = False) -> Health | None:
    """The replica's health as last checked in this process, checked again when older
    than POS_DB_REPLICA_CHECK_SECONDS (or `refresh`). None when no replica is configured.
    One thread checks; the others use the previous verdict meanwhile."""
    if not replica_configured():
        return None
    current = _cache.health
    now = time.time()
    if not refresh and current is not None and 0 <= now - current.checked_at < check_seconds():
        return current
    if not _cache.lock.acquire(blocking=current is None or refresh):
        return current
    try:
        fresh = measure()
        _note(current, fresh)
        _cache.health = fresh
        return fresh
    finally:
        _cache.lock.release()


def mark_down(reason: str) -> None:
    """A read on the replica failed: skip it until the next check says otherwise."""
    if not replica_configured():
        return
    _close_replica()
    fresh = Health(False, f"down: {reason[:200]}", None, time.time())
    with _cache.lock:
        _note(_cache.health, fresh)
        _cache.health = fresh


def forget_health() -> None:
    """Check again at the next read (tests; after `replica.sh start`)."""
    _cache.forget()


def _note(before: Health | None, after: Health) -> None:
    """One log line when the verdict changes (not on every check)."""
    if before is not None and before.usable == after.usable:
        return
    if after.usable:
        logger.info("replica.used", lag_seconds=after.lag_seconds)
    else:
        logger.warning("replica.skipped", reason=after.reason,
                       lag_seconds=after.lag_seconds, reads_go_to="primary")


def _close_replica() -> None:
    with contextlib.suppress(DatabaseError):
        connections[REPLICA].close()


# --- Routing ------------------------------------------------------------------------------


def _replica_allowed() -> bool:
    """Whether a read may go to the replica now: the code marked it, it is not inside a
    transaction of the primary, and the replica is healthy."""
    if not _marked.get() or not replica_configured():
        return False
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return False
    health = replica_health()
    return health is not None and health.usable


def _follow_tenant() -> None:
    """Put the replica connection on the default connection's tenant (search path)."""
    primary, replica = connections[DEFAULT_DB_ALIAS], connections[REPLICA]
    tenant = getattr(primary, "tenant", None)
    if tenant is None:
        return
    if (getattr(replica, "tenant", None) is not tenant
            or replica.include_public_schema != primary.include_public_schema):
        replica.set_tenant(tenant, include_public=primary.include_public_schema)


class StaleReadsRouter:
    """Writes (and locking reads, which Django routes as writes) always go to the
    primary; reads go to the replica only when `_replica_allowed()`. The primary is named
    explicitly, never left to Django's default of "the database the instance came from",
    so an object read on the replica is saved (and its relations read) on the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        if _replica_allowed():
            _follow_tenant()
            served = _served.get()
            if served is not None:
                served.append(True)
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True  # the same data
        return None


# --- The mark -----------------------------------------------------------------------------


class stale_reads_ok:  # lower case: it reads as a phrase, `with stale_reads_ok():`
    """Reads inside may be served by the replica (and so be up to the lag bound old).

    `caught_up=True`: only if the replica has replayed everything the primary had written
    when the block began (waiting up to POS_DB_REPLICA_CATCH_UP_SECONDS, else the primary
    serves the block): for a read filed under a version that a commit just bumped (the
    availability cache), which must never describe the data from before that commit.

    As a decorator, a read that fails on the replica (it went down between two checks) is
    run again on the primary, so the caller sees no error: use it on functions that only
    read. As a `with` block nothing can be re-run: a failure there is raised (and the
    replica is skipped until it is healthy again)."""

    def __init__(self, *, caught_up: bool = False) -> None:
        self.caught_up = caught_up
        self.served = False

    def __enter__(self) -> stale_reads_ok:
        self._served_list: list[bool] = []
        self._tokens = (_marked.set(True), _served.set(self._served_list))
        if self.caught_up and _replica_allowed() and not _replica_caught_up():
            _marked.set(False)  # this block reads the primary (reset by __exit__)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        marked_token, served_token = self._tokens
        _served.reset(served_token)
        _marked.reset(marked_token)
        self.served = bool(self._served_list)
        if self.served and isinstance(exc, (OperationalError, InterfaceError)):
            mark_down(_first_line(exc))

    def __call__(self, function: Callable[..., T]) -> Callable[..., T]:
        caught_up = self.caught_up

        @wraps(function)
        def marked(*args: Any, **kwargs: Any) -> T:
            block = stale_reads_ok(caught_up=caught_up)
            try:
                with block:
                    return function(*args, **kwargs)
            except (OperationalError, InterfaceError):
                if not block.served:
                    raise
            return function(*args, **kwargs)  # unmarked: on the primary

        return marked


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def catch_up_seconds() -> float:
    return float(getattr(settings, "POS_DB_REPLICA_CATCH_UP_SECONDS", 0.1))


def _replica_caught_up() -> bool:
    """Whether the replica replays, within a short wait, all the primary has written now."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
            target = cursor.fetchone()[0]
        deadline = time.monotonic() + catch_up_seconds()
        while True:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute("SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false)",
                               [target])
                if cursor.fetchone()[0]:
                    return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
    except (OperationalError, InterfaceError) as exc:
        mark_down(_first_line(exc))
        return False


def stale_iterator(make: Callable[[], Iterator[T]]) -> Iterator[T]:
    """The items of `make()` (a lazy read, e.g. a streamed export's lines), each one read
    under `stale_reads_ok` (a generator cannot hold the mark between items without
    leaking it to its caller). If the replica fails before the first item, the reading
    starts again on the primary; after that, a failure is raised as any would be."""
    iterator: Iterator[T] | None = None
    started = False
    while True:
        block = stale_reads_ok()
        try:
            with block:
                if iterator is None:
                    iterator = make()
                item = next(iterator)
        except StopIteration:
            return
        except (OperationalError, InterfaceError):
            if not block.served or started:
                raise
            yield from make()
            return
        started = True
        yield item
