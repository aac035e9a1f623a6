"""Pushed seat changes: after a write commits, every open seat map of the event hears it.

The writer (a gunicorn worker, a Celery task) publishes `{"type": "seats.changed",
"event": id, "version": v}` to the group `seats.<schema>.<event>` of the channel layer
(channels-redis' pub/sub layer: one PUBLISH per change however many maps are open). The
ASGI server's consumers (reservations.consumers) answer it with the map's new state.

Publishing never slows or breaks the write: the message is handed to one background
thread per process, which keeps its own event loop and Redis connection; a failure there
is logged and dropped (the pages' fallback poll and the consumers' re-check cover it)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Mapping
from typing import Any

import structlog
from channels.layers import get_channel_layer
from django.db import connection

logger = structlog.get_logger(__name__)

CHANGED = "seats.changed"  # the message type: consumers handle it in `seats_changed`


def group_name(schema: str, event_id: int) -> str:
    """One group per tenant schema and event: a tenant's sockets never join another's."""
    return f"seats.{schema}.{event_id}"


def publish_changes(versions: Mapping[int, str | None]) -> None:
    """Tell the open maps of these events (of the current schema) that they changed.
    Returns at once; call it after the commit."""
    if not versions:
        return
    schema = connection.schema_name
    messages = [(group_name(schema, event_id),
                 {"type": CHANGED, "event": event_id, "version": version})
                for event_id, version in versions.items()]
    try:
        _publisher().submit(messages)
    except Exception:  # never the write's problem
        logger.exception("seat_push_failed", events=list(versions))


class _Publisher:
    """A daemon thread running an event loop that sends what `submit` hands it."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.layer = get_channel_layer()
        self.thread = threading.Thread(target=self.loop.run_forever, name="seat-push",
                                       daemon=True)
        self.thread.start()
        self.pending: set[Any] = set()

    def submit(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        if self.layer is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._send(messages), self.loop)
        self.pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Any) -> None:
        self.pending.discard(future)
        error = future.exception()
        if error is not None:
            logger.warning("seat_push_failed", error=repr(error))

    async def _send(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        for group, message in messages:
            await self.layer.group_send(group, message)


_lock = threading.Lock()
_instance: _Publisher | None = None


def _publisher() -> _Publisher:
    """This process's publisher, started on first use (after a fork: a new one, since a
    thread does not survive fork)."""
    global _instance
    instance = _instance
    if instance is None or instance.pid != os.getpid():
        with _lock:
            if _instance is None or _instance.pid != os.getpid():
                _instance = _Publisher()
            instance = _instance
    return instance


def flush_for_tests(timeout: float = 5.0) -> None:
    """Wait until what was submitted so far has been sent (tests and benchmarks)."""
    instance = _instance
    if instance is not None and instance.pid == os.getpid():
        for future in list(instance.pending):
            future.result(timeout)
