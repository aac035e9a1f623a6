"""The one row lock a check-in takes: the scanned ticket, FOR NO KEY UPDATE.

Its place in the lock order (reservations/lock_objects.py, step 7b): after fiscal,
before the operations rows. A check-in locks nothing else, and nothing that locks an
earlier step waits for a ticket, so it closes no cycle. NO KEY: the scan recorded for the
ticket references it (a KEY SHARE lock), which this mode does not block."""

from __future__ import annotations

from sales.models import Ticket


def lock_ticket(code: str) -> Ticket | None:
    """(7b) The ticket with this code, locked, with its zone and seat; None if none."""
    return (Ticket.objects.filter(code=code).select_related("zone", "seat")
            .select_for_update(no_key=True, of=("self",)).first())
