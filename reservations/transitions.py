"""The state machines of holds (ReservedTicket) and sales (Transaction), enforced here and
nowhere else. Every change writes an audit row saying who, when, from, to and why."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from reservations.errors import IllegalTransition
from reservations.lock_objects import ITEMS_BY_ID_LOCKED
from reservations.models import ReservedTicket, StatusChange
from sales.models import Transaction

Reason = StatusChange.Reason


def _check(machine: dict[str, set[str]], what: str, current: str, target: str) -> None:
    if target not in machine.get(current, set()):
        raise IllegalTransition(f"{what} is {current}; it cannot become {target}.")


def _actor_id(actor: AbstractBaseUser | None) -> int | None:
    return actor.pk if actor is not None and actor.is_authenticated else None


def require_transition(tx: Transaction, to: str) -> None:
    """IllegalTransition (409) unless the (locked) transaction may move to `to` (for a
    move written by a database function, reservations/sql/)."""
    _check(Transaction.TRANSITIONS, f"Transaction {tx.pk}", tx.status, to)


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
            f"WHERE id IN ({ITEMS_BY_ID_LOCKED}) AND status = %s RETURNING id",
            [to_status, now, ids, from_status],
        )
        return [row[0] for row in cursor.fetchall()]


def record_items_created(
    tickets: list[ReservedTicket], *, actor: AbstractBaseUser | None, note: str,
    now: datetime,
) -> None:
    """Audit rows for items created outside a hold (a refund's remainder)."""
    StatusChange.objects.bulk_create(
        StatusChange(subject=StatusChange.Subject.RESERVED_TICKET, subject_id=t.pk,
                     transaction_id=t.transaction_id, from_status="", to_status=t.status,
                     reason=Reason.REFUND, actor_id=_actor_id(actor), note=note[:300],
                     created_at=now)
        for t in tickets
    )


# --- Set-based transitions: the expiry job ends tens of thousands of rows -------------


def _audit_columns() -> str:
    return ", ".join(
        StatusChange._meta.get_field(name).column
        for name in ("subject", "subject_id", "transaction", "from_status", "to_status",
                     "reason", "actor", "note", "created_at")
    )


def transition_reserved_tickets_where(
    ids: QuerySet, *, from_status: str, to: str, reason: str = Reason.USER,
    actor: AbstractBaseUser | None = None, note: str = "", now: datetime | None = None,
) -> list[tuple[int, int, int]]:
    """`transition_reserved_tickets` for the holds whose ids `ids` (a one-column queryset,
    which may lock and limit) selects and which are still `from_status`: the UPDATE and
    the audit rows in one statement, no rows loaded. Returns (id, transaction_id,
    event_id) of the rows really changed."""
    _check(ReservedTicket.TRANSITIONS, "Hold items", from_status, to)
    now = now or timezone.now()
    try:
        sub_sql, sub_params = ids.query.sql_with_params()
    except EmptyResultSet:  # e.g. `seat_id__in=[]`: nothing to change
        return []
    table = ReservedTicket._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH changed AS (UPDATE {table} SET status = %s, updated_at = %s "
            f"WHERE id IN ({sub_sql}) AND status = %s "
            "RETURNING id, transaction_id, event_id), "
            f"audit AS (INSERT INTO {StatusChange._meta.db_table} ({_audit_columns()}) "
            "SELECT %s, id, transaction_id, %s, %s, %s, %s, %s, %s FROM changed) "
            "SELECT id, transaction_id, event_id FROM changed",
            [to, now, *sub_params, from_status,
             StatusChange.Subject.RESERVED_TICKET, from_status, to, reason, _actor_id(actor),
             note, now],
        )
        return cursor.fetchall()


def transition_transactions_where(
    rows: QuerySet, *, from_statuses: Collection[str], to: str, reason: str = Reason.USER,
    actor: AbstractBaseUser | None = None, note: str = "", now: datetime | None = None,
) -> list[tuple[int, str]]:
    """Move the transactions `rows` (a queryset of `id, status`, which should lock them)
    selects and which are in one of `from_statuses` to `to` (not COMPLETED, which also sets
    `completed_at`): the UPDATE and the audit rows in one statement, no rows loaded.
    Returns (id, from_status) of the rows really changed."""
    if to == Transaction.Status.COMPLETED:
        raise ValueError("Complete transactions one by one with transition_transaction.")
    for from_status in from_statuses:
        _check(Transaction.TRANSITIONS, "Transactions", from_status, to)
    now = now or timezone.now()
    try:
        sub_sql, sub_params = rows.query.sql_with_params()
    except EmptyResultSet:
        return []
    table = Transaction._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH picked AS ({sub_sql}), "
            f"changed AS (UPDATE {table} AS tx SET status = %s, updated_at = %s "
            "FROM picked WHERE tx.id = picked.id AND tx.status = picked.status "
            "AND tx.status = ANY(%s) RETURNING tx.id, picked.status AS from_status), "
            f"audit AS (INSERT INTO {StatusChange._meta.db_table} ({_audit_columns()}) "
            "SELECT %s, id, id, from_status, %s, %s, %s, %s, %s FROM changed) "
            "SELECT id, from_status FROM changed ORDER BY id",
            [*sub_params, to, now, list(from_statuses), StatusChange.Subject.TRANSACTION, to,
             reason, _actor_id(actor), note, now],
        )
        return cursor.fetchall()
