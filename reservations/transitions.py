"""The state machines of holds (ReservedTicket) and sales (Transaction), enforced here and
nowhere else. Every change writes an audit row saying who, when, from, to and why."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone

from reservations.errors import IllegalTransition
from reservations.models import ReservedTicket, StatusChange
from sales.models import Transaction

Reason = StatusChange.Reason


def _check(machine: dict[str, set[str]], what: str, current: str, target: str) -> None:
    if target not in machine.get(current, set()):
        raise IllegalTransition(f"{what} is {current}; it cannot become {target}.")


def _actor_id(actor: AbstractBaseUser | None) -> int | None:
    return actor.pk if actor is not None and actor.is_authenticated else None


def transition_transaction(
    tx: Transaction,
    *,
    to: str,
    reason: str = Reason.USER,
    actor: AbstractBaseUser | None = None,
    note: str = "",
    now: datetime | None = None,
) -> None:
    """Move a (locked) transaction to `to`, or raise IllegalTransition (409)."""
    _check(Transaction.TRANSITIONS, f"Transaction {tx.pk}", tx.status, to)
    now = now or timezone.now()
    StatusChange.objects.create(
        subject=StatusChange.Subject.TRANSACTION, subject_id=tx.pk, transaction=tx,
        from_status=tx.status, to_status=to, reason=reason, actor_id=_actor_id(actor),
        note=note, created_at=now,
    )
    tx.status = to
    if to == Transaction.Status.COMPLETED:
        tx.completed_at = now
    tx.save(update_fields=["status", "completed_at", "payment_deadline", "updated_at"])


def transition_reserved_tickets(
    tickets: Iterable[ReservedTicket],
    *,
    to: str,
    reason: str = Reason.USER,
    actor: AbstractBaseUser | None = None,
    note: str = "",
    now: datetime | None = None,
) -> list[ReservedTicket]:
    """Move locked or freshly read holds to `to`.

    The UPDATE is conditional on the status each row was read with, so a row another
    transaction changed meanwhile is left alone and not returned: callers compare the
    count with what they asked for."""
    tickets = list(tickets)
    for ticket in tickets:
        _check(ReservedTicket.TRANSITIONS, f"Hold item {ticket.pk}", ticket.status, to)
    if not tickets:
        return []
    now = now or timezone.now()
    changed_ids: set[int] = set()
    for from_status in {t.status for t in tickets}:
        ids = [t.pk for t in tickets if t.status == from_status]
        changed_ids.update(_update_status_returning(ids, from_status, to, now))
    changed = [t for t in tickets if t.pk in changed_ids]
    StatusChange.objects.bulk_create(
        StatusChange(
            subject=StatusChange.Subject.RESERVED_TICKET, subject_id=t.pk,
            transaction_id=t.transaction_id, from_status=t.status, to_status=to, reason=reason,
            actor_id=_actor_id(actor), note=note, created_at=now,
        )
        for t in changed
    )
    for t in changed:
        t.status = to
    return changed


def _update_status_returning(
    ids: list[int], from_status: str, to_status: str, now: datetime
) -> list[int]:
    """UPDATE ... WHERE status = from_status RETURNING id: the rows really changed."""
    table = ReservedTicket._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, updated_at = %s "
            "WHERE id = ANY(%s) AND status = %s RETURNING id",
            [to_status, now, ids, from_status],
        )
        return [row[0] for row in cursor.fetchall()]


def record_created(
    *, tx: Transaction, tickets: list[ReservedTicket], actor: AbstractBaseUser,
    now: datetime,
) -> None:
    """Audit rows for a new hold: the transaction and each item enter their first state."""
    rows = [
        StatusChange(subject=StatusChange.Subject.TRANSACTION, subject_id=tx.pk, transaction=tx,
                     from_status="", to_status=tx.status, reason=Reason.USER,
                     actor_id=_actor_id(actor), created_at=now)
    ]
    rows += [
        StatusChange(subject=StatusChange.Subject.RESERVED_TICKET, subject_id=t.pk,
                     transaction=tx, from_status="", to_status=t.status, reason=Reason.USER,
                     actor_id=_actor_id(actor), created_at=now)
        for t in tickets
    ]
    StatusChange.objects.bulk_create(rows)


def transition_transactions(
    transactions: Iterable[Transaction],
    *,
    to: str,
    reason: str = Reason.USER,
    actor: AbstractBaseUser | None = None,
    note: str = "",
    now: datetime | None = None,
) -> list[Transaction]:
    """`transition_transaction` for many locked transactions at once, in two statements
    (the expiry job ends thousands). Only for changes of status alone: a completion also
    sets `completed_at` and goes through `transition_transaction`."""
    if to == Transaction.Status.COMPLETED:
        raise ValueError("Complete transactions one by one with transition_transaction.")
    transactions = list(transactions)
    for tx in transactions:
        _check(Transaction.TRANSITIONS, f"Transaction {tx.pk}", tx.status, to)
    if not transactions:
        return []
    now = now or timezone.now()
    changed_ids: set[int] = set()
    table = Transaction._meta.db_table
    with connection.cursor() as cursor:
        for from_status in {tx.status for tx in transactions}:
            cursor.execute(
                f"UPDATE {table} SET status = %s, updated_at = %s "
                "WHERE id = ANY(%s) AND status = %s RETURNING id",
                [to, now, [tx.pk for tx in transactions if tx.status == from_status],
                 from_status],
            )
            changed_ids.update(row[0] for row in cursor.fetchall())
    changed = [tx for tx in transactions if tx.pk in changed_ids]
    StatusChange.objects.bulk_create(
        StatusChange(subject=StatusChange.Subject.TRANSACTION, subject_id=tx.pk, transaction=tx,
                     from_status=tx.status, to_status=to, reason=reason,
                     actor_id=_actor_id(actor), note=note, created_at=now)
        for tx in changed
    )
    for tx in changed:
        tx.status = to
        tx.updated_at = now
    return changed
