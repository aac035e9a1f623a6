"""Block and unblock seats. Each action is one transaction that locks the named seats
with the lock a hold takes (sales.lock_objects.lock_seats_for_block, the seats' place in
the one lock order), so a block and a hold of the same seat never both win: whichever
locks first commits, the other then sees it (the hold's `blocked` refusal, or the
block's `seats_not_blockable`). Every action that changes something leaves one
SeatBlockChange (append-only audit) and refreshes the event's seat map."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from pos.concurrency import retry_on_conflict
from reservations.services import invalidate_availability
from sales.blocks.errors import InvalidSeatSelection, SeatsNotBlockable
from sales.blocks.selectors import (
    MAX_SEATS_PER_ACTION,
    SeatSelection,
    seat_claims,
    selected_seats,
)
from sales.lock_objects import lock_seats_for_block
from sales.models import Seat, SeatBlock, SeatBlockChange

logger = structlog.get_logger(__name__)

Action = SeatBlockChange.Action


@dataclass(frozen=True)
class BlockResult:
    """What an action did: the seats it changed and those already as asked."""

    event_id: int
    action: str
    reason: str
    changed: list[Seat]
    unchanged: list[Seat]
    log: SeatBlockChange | None = field(default=None)


def _checked(seats: list[Seat]) -> None:
    """Test hook: runs after a block's check, before its writes (tests widen the race
    window here; nothing in production)."""


def _selection(event_id: int, selection: SeatSelection) -> list[Seat]:
    seats = selected_seats(event_id=event_id, selection=selection)
    if len(seats) > MAX_SEATS_PER_ACTION:
        raise InvalidSeatSelection(f"At most {MAX_SEATS_PER_ACTION} seats per action.")
    return seats


def _record(*, event_id: int, action: str, reason: str, seats: list[Seat],
            user: AbstractBaseUser, now: datetime) -> SeatBlockChange | None:
    if not seats:
        return None
    return SeatBlockChange.objects.create(
        event_id=event_id, action=action, reason=reason, seat_ids=[s.pk for s in seats],
        labels=[s.label for s in seats], user=user, created_at=now)


@retry_on_conflict
def block_seats(*, user: AbstractBaseUser, event_id: int, selection: SeatSelection,
                reason: str, now: datetime | None = None) -> BlockResult:
    """Take the selected seats of the event off sale, with `reason`. All or nothing: a
    seat held or sold refuses the whole action (SeatsNotBlockable names each one and
    why); seats already blocked keep their block and reason (`unchanged`)."""
    reason = reason.strip()
    if not reason:
        raise InvalidSeatSelection("Say why the seats are blocked (`reason`).")
    now = now or timezone.now()
    seats = _selection(event_id, selection)
    with transaction.atomic():
        lock_seats_for_block(s.pk for s in seats)
        taken = seat_claims([s.pk for s in seats], now)
        if taken:
            raise SeatsNotBlockable(seats=[
                {"id": s.pk, "label": s.label, "reason": taken[s.pk]}
                for s in seats if s.pk in taken])
        _checked(seats)
        blocked = set(SeatBlock.objects.filter(seat_id__in=[s.pk for s in seats])
                      .values_list("seat_id", flat=True))
        new = [s for s in seats if s.pk not in blocked]
        SeatBlock.objects.bulk_create(
            SeatBlock(seat=s, reason=reason, blocked_by=user, created_at=now) for s in new)
        log = _record(event_id=event_id, action=Action.BLOCK, reason=reason, seats=new,
                      user=user, now=now)
        if new:
            invalidate_availability({event_id})
    logger.info("seats.blocked", event_id=event_id, seats=len(new),
                unchanged=len(seats) - len(new), user=user.pk)
    return BlockResult(event_id=event_id, action=Action.BLOCK, reason=reason, changed=new,
                       unchanged=[s for s in seats if s.pk in blocked], log=log)


@retry_on_conflict
def unblock_seats(*, user: AbstractBaseUser, event_id: int, selection: SeatSelection,
                  reason: str = "", now: datetime | None = None) -> BlockResult:
    """Put the selected seats of the event back on sale (those not blocked are left as
    they are, `unchanged`). A seat a venue admin holds or sold stays held or sold."""
    reason = reason.strip()
    now = now or timezone.now()
    seats = _selection(event_id, selection)
    with transaction.atomic():
        lock_seats_for_block(s.pk for s in seats)
        blocked = set(SeatBlock.objects.filter(seat_id__in=[s.pk for s in seats])
                      .values_list("seat_id", flat=True))
        SeatBlock.objects.filter(seat_id__in=blocked).delete()
        freed = [s for s in seats if s.pk in blocked]
        log = _record(event_id=event_id, action=Action.UNBLOCK, reason=reason, seats=freed,
                      user=user, now=now)
        if freed:
            invalidate_availability({event_id})
    logger.info("seats.unblocked", event_id=event_id, seats=len(freed), user=user.pk)
    return BlockResult(event_id=event_id, action=Action.UNBLOCK, reason=reason,
                       changed=freed, unchanged=[s for s in seats if s.pk not in blocked],
                       log=log)
