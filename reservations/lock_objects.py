"""Every row lock the reservation services take, in one place so the order is visible.

Order, always: the cashier's user row, then transactions, then seats by id, then zones
by id. Two cashiers asking for overlapping seats in opposite orders therefore queue
instead of deadlocking."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import connection

from sales.models import Seat, Transaction, Zone

# A hold waits at most this long for a lock before answering "busy, try again".
LOCK_TIMEOUT = "3s"


def set_lock_timeout() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")


def lock_user(user_id: int) -> None:
    """Serialises one cashier's own holds, so the per-session limit cannot be raced."""
    list(get_user_model().objects.filter(pk=user_id).select_for_update(of=("self",)).values("pk"))


def lock_transaction(transaction_id: int) -> Transaction | None:
    return (
        Transaction.objects.filter(pk=transaction_id)
        .select_for_update(of=("self",))
        .first()
    )


def lock_seats(seat_ids: Iterable[int]) -> list[Seat]:
    return list(
        Seat.objects.filter(id__in=list(seat_ids))
        .select_related("zone")
        .order_by("id")
        .select_for_update(of=("self",))
    )


def lock_zones(zone_ids: Iterable[int]) -> list[Zone]:
    return list(Zone.objects.filter(id__in=list(zone_ids)).order_by("id").select_for_update())


def lock_transactions(transaction_ids: Iterable[int]) -> list[Transaction]:
    """Several transactions, in id order (bulk jobs such as the bulk extension)."""
    return list(
        Transaction.objects.filter(id__in=list(transaction_ids))
        .order_by("id")
        .select_for_update(of=("self",))
    )
