"""Domain events: what happened to a sale, a reservation or a ticket, told to whoever
listens (e-mail, webhooks) once the change is committed.

The services that make a change call `emit(name, **data)` inside their transaction; the
listeners are receivers of the `domain_event` signal, connected in their app's `ready()`:

    domain_event.connect(queue_deliveries)

    def queue_deliveries(sender, *, name, schema_name, data, occurred_at, **kwargs): ...

Why after commit: a listener must never tell the outside world about a sale that was
rolled back (a retry after a deadlock re-runs the whole action, and a rolled-back
savepoint discards what it emitted). Why so little data: `data` holds ids, not rows, so
a listener reads the committed state itself, usually in a Celery task it queues (the
receiver itself must stay cheap: it runs in the request that made the change). A
receiver that raises is logged and does not disturb the others nor the request.

The events and their `data` (JSON-safe):

    sale.completed        transaction_id
    reservation.created   transaction_id
    reservation.expired   transaction_id   (a partial-payment reservation lapsed)
    reservation.cancelled transaction_id   (a venue admin cancelled it)
    ticket.refunded       transaction_id, credit_note_id, ticket_ids
    checkin.admitted      ticket_id, scan_id, event_id, offline
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

logger = structlog.get_logger(__name__)

SALE_COMPLETED = "sale.completed"
RESERVATION_CREATED = "reservation.created"
RESERVATION_EXPIRED = "reservation.expired"
RESERVATION_CANCELLED = "reservation.cancelled"
TICKET_REFUNDED = "ticket.refunded"
CHECKIN_ADMITTED = "checkin.admitted"

EVENT_NAMES = (SALE_COMPLETED, RESERVATION_CREATED, RESERVATION_EXPIRED,
               RESERVATION_CANCELLED, TICKET_REFUNDED, CHECKIN_ADMITTED)

# Sent with sender=<the event's name> and the keyword arguments name, schema_name (the
# tenant's schema, for a task's `_schema_name` header), data and occurred_at.
domain_event = Signal()


def emit(name: str, **data: Any) -> None:
    """Tell the listeners that `name` happened in the current tenant, once the current
    transaction commits (at once outside one)."""
    if name not in EVENT_NAMES:
        raise ValueError(f"Unknown domain event {name!r}.")
    schema_name = connection.schema_name
    occurred_at = timezone.now()
    transaction.on_commit(
        lambda: _send(name, schema_name=schema_name, data=data, occurred_at=occurred_at))


def _send(name: str, *, schema_name: str, data: dict[str, Any],
          occurred_at: datetime) -> None:
    for receiver, result in domain_event.send_robust(
            sender=name, name=name, schema_name=schema_name, data=data,
            occurred_at=occurred_at):
        if isinstance(result, Exception):
            logger.error("domain_event.listener_failed", domain_event=name, schema=schema_name,
                         listener=getattr(receiver, "__qualname__", repr(receiver)),
                         error=repr(result))
