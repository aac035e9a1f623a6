"""Every row lock the sale's writes take, and the one order they are taken in.

The order, for every write of every app (a lock later in the list is never waited for
while holding one earlier... the other way round):

  1. the Idempotency-Key row of the request (pos.idempotency: inserted first);
  2. the cashier's user row (a hold: the per-session limit);
  3. transactions, by id (checkout, payments, release, extend, a venue admin's grant,
     bulk extension);
  4. seats, by id (a hold; a block or unblock of seats, sales.lock_objects.
     lock_seats_for_block, FOR NO KEY UPDATE as the hold: the two wait for each other);
     5. zones, by id; 5b. the event (a hold; a catalogue change, whose
     locks are in sales/lock_objects.py: FOR UPDATE there, so that it and the holds
     being written in its zone or event wait for each other: a hold's items take KEY
     SHARE on their zones, then their event, in the database's catalogue interlock);
  6. reserved items, by id (their status or expiry changes);
  7. fiscal: the invoice a note corrects, the series counter, the fiscal profile
     (fiscal/lock_objects.py);
  7b. the ticket a door scan admits or lets out (sales/checkin/lock_objects.py), FOR NO
     KEY UPDATE: a check-in locks nothing else, and no other write locks a ticket;
  8. operations rows that nothing else locks: alerts (reservations.monitoring).

Rows whose key never changes are locked FOR NO KEY UPDATE (`select_for_update(
no_key=True)`): inserting a row that references them (an item, an audit row, a refused
attempt, a payment) takes a KEY SHARE lock, which that mode does not block. Plain FOR
UPDATE on the user row is what deadlocked a cashier's parallel holds against their own
refusal records.

Two writes step out of the order without waiting, and so cannot close a cycle: a hold
expiring a stale claim locks that claim's transaction (3) after the seats (4) with SKIP
LOCKED, and the expiry job takes transactions and items with SKIP LOCKED (a row someone
works on is left for the next run).

The hold, release and extend, and the checkout's two calls (the sale and then its items),
take their locks inside PostgreSQL functions (reservations/sql/), in this same order; the
functions are the rest of this list. Every
lock wait ends at the lock timeout (pos.concurrency.LOCK_TIMEOUT)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet

from reservations.models import Alert, ReservedTicket
from sales.models import Transaction


def lock_transaction(transaction_id: int) -> Transaction | None:
    """(3) One transaction (checkout, payments, quote, a grant)."""
    return (
        Transaction.objects.filter(pk=transaction_id)
        .select_for_update(no_key=True, of=("self",))
        .first()
    )


def lock_transactions(transaction_ids: Iterable[int]) -> list[Transaction]:
    """(3) Several transactions, in id order (the bulk extension)."""
    return list(
        Transaction.objects.filter(id__in=list(transaction_ids))
        .order_by("id")
        .select_for_update(no_key=True, of=("self",))
    )


def lock_items(item_ids: Iterable[int]) -> list[int]:
    """(6) Items, in id order: the ids really locked (all those that exist)."""
    return list(
        ReservedTicket.objects.filter(id__in=list(item_ids))
        .order_by("id")
        .select_for_update(no_key=True)
        .values_list("id", flat=True)
    )


def claim_stale_items(now: datetime, batch_size: int) -> QuerySet[ReservedTicket]:
    """The expiry job's batch: stale items (ACTIVE, past their time) whose transaction
    (3) and the item itself (6) nobody else holds, locked, ids only. SKIP LOCKED at both
    levels: the job never waits, so it can never deadlock with a checkout or a hold."""
    free_transactions = (
        Transaction.objects.filter(
            status__in=[Transaction.Status.PENDING, Transaction.Status.RESERVED],
            reserved_tickets__status=ReservedTicket.Status.ACTIVE,
            reserved_tickets__reserved_until__lte=now,
        )
        .order_by("id")
        .select_for_update(no_key=True, skip_locked=True, of=("self",))
        .values("id")[:batch_size]
    )
    return (
        ReservedTicket.objects.stale(now)
        .filter(transaction_id__in=free_transactions)
        .order_by("id")
        .select_for_update(no_key=True, skip_locked=True)
        .values("id")
    )


def claim_orphan_transactions(transaction_ids: Iterable[int] | None = None) -> QuerySet:
    """PENDING or RESERVED transactions left with no ACTIVE item (all expired, possibly
    by a hold that skipped the locked transaction), locked SKIP LOCKED: `id, status`."""
    queryset = Transaction.objects.filter(
        status__in=[Transaction.Status.PENDING, Transaction.Status.RESERVED],
    ).exclude(reserved_tickets__status=ReservedTicket.Status.ACTIVE)
    if transaction_ids is not None:
        queryset = queryset.filter(id__in=list(transaction_ids))
    return (
        queryset.order_by("id")
        .select_for_update(no_key=True, skip_locked=True, of=("self",))
        .values("id", "status")
    )


def lock_unresolved_alerts() -> list[Alert]:
    """(8) Every open or acknowledged alert, in id order (the alerts job)."""
    return list(Alert.objects.filter(status__in=[Alert.Status.OPEN, Alert.Status.ACKNOWLEDGED])
                .order_by("id").select_for_update(no_key=True))


def lock_alert(alert_id: int) -> Alert | None:
    """(8) One alert (acknowledging it)."""
    return Alert.objects.filter(pk=alert_id).select_for_update(no_key=True).first()


# (6) for statements that change items by id (reservations.transitions): the sub-select
# that locks them in id order, so two writers over the same items queue instead of
# deadlocking. Its one parameter is the list of ids.
ITEMS_BY_ID_LOCKED = (
    f"SELECT id FROM {ReservedTicket._meta.db_table} WHERE id = ANY(%s) "
    "ORDER BY id FOR NO KEY UPDATE"
)
