"""Availability cache in Redis, keyed by tenant schema and event.

Writers replace the event's version token after every commit that changes a claim;
readers file a snapshot under the version they read *before* querying, so a snapshot
computed from older data is never served under a newer version. A snapshot also stops
being served at the first hold expiry it contains, which keeps expiry exact. With Redis
down every call degrades to "no cache" and the selectors read PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import cache
from django.db import connection

SNAPSHOT_TTL_SECONDS = 300


def _version_key(event_id: int | str) -> str:
    return f"avail:{connection.schema_name}:{event_id}:version"


def _snapshot_key(event_id: int | str, version: str) -> str:
    return f"avail:{connection.schema_name}:{event_id}:{version}"


def current_version(event_id: int) -> str | None:
    """The event's version token, created when missing; None when Redis is unreachable."""
    version = cache.get(_version_key(event_id))
    if version is None:
        fresh = uuid.uuid4().hex
        cache.add(_version_key(event_id), fresh, timeout=None)
        version = cache.get(_version_key(event_id))
    return version


def peek_version(event_id: int | str) -> str | None:
    """The event's version token if it has one (never creates it)."""
    return cache.get(_version_key(event_id))


def get_snapshot(event_id: int, version: str) -> dict[str, Any] | None:
    return cache.get(_snapshot_key(event_id, version))


def get_meta(event_id: int | str, version: str) -> dict[str, Any] | None:
    """The small part of a snapshot (its expiry and stamp): enough to answer a 304."""
    return cache.get(_snapshot_key(event_id, version) + ":meta")


def store_snapshot_and_meta(
    event_id: int, version: str, snapshot: dict[str, Any], meta: dict[str, Any]
) -> None:
    cache.set_many(
        {_snapshot_key(event_id, version): snapshot,
         _snapshot_key(event_id, version) + ":meta": meta},
        timeout=SNAPSHOT_TTL_SECONDS,
    )


def invalidate_events(event_ids: set[int]) -> dict[int, str]:
    """New version tokens for the events; returns them (the pushed change names its)."""
    versions = {event_id: uuid.uuid4().hex for event_id in event_ids}
    if len(versions) == 1:  # the usual case: one command, not a MULTI/EXEC pipeline
        [(event_id, version)] = versions.items()
        cache.set(_version_key(event_id), version, timeout=None)
    elif versions:
        cache.set_many({_version_key(e): v for e, v in versions.items()}, timeout=None)
    return versions
