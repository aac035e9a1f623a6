"""Reads of seat blocks: which seats a request names, an event's blocks, the audit log."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from reservations.models import ReservedTicket
from sales.blocks.errors import InvalidSeatSelection
from sales.models import Seat, SeatBlock, SeatBlockChange, Zone
from sales.services import expand_rows

MAX_SEATS_PER_ACTION = 5000
MAX_SEAT_NUMBER = 2**31 - 1  # the column's range: a larger number would be a 500
_SEAT_RANGE = re.compile(r"([A-Z]+)(\d+)(?:\s*-\s*([A-Z]+)?(\d+))?")


@dataclass(frozen=True)
class SeatSelection:
    """Which seats an action names: `seat_ids`, or a zone's `rows` ("A-C", "A,B"), or a
    zone's `seats` ("A1-A10", "A1-A10,B3")."""

    seat_ids: Sequence[int] = ()
    zone_id: int | None = None
    rows: str = ""
    seats: str = ""


def parse_seat_ranges(spec: str) -> list[tuple[str, int]]:
    """`"A1-A10,B3"` → (row, number) pairs: A1 … A10 and B3. A range stays in one row
    (`A1-10` is A1-A10); rows are letters here (for other rows, name the seats by id)."""
    wanted: list[tuple[str, int]] = []
    for part in (p.strip().upper() for p in spec.split(",")):
        if not part:
            continue
        match = _SEAT_RANGE.fullmatch(part)
        if not match:
            raise InvalidSeatSelection(f"{part!r} is not a seat or a range like A1-A10.")
        row, first, last_row, last = match.groups()
        if last_row and last_row != row:
            raise InvalidSeatSelection(f"A range stays in one row: {part!r}.")
        first_n, last_n = int(first), int(last or first)
        if last_n > MAX_SEAT_NUMBER:
            raise InvalidSeatSelection(f"No seat is numbered as high as in {part!r}.")
        if first_n > last_n:
            raise InvalidSeatSelection(f"Range {part!r} runs backwards.")
        if last_n - first_n >= MAX_SEATS_PER_ACTION:
            raise InvalidSeatSelection(f"Range {part!r} is too long.")
        wanted += [(row, n) for n in range(first_n, last_n + 1)]
    if not wanted:
        raise InvalidSeatSelection("Name at least one seat.")
    return wanted


def _zone_of_event(event_id: int, zone_id: int) -> Zone:
    zone = Zone.objects.filter(pk=zone_id, event_id=event_id).first()
    if zone is None:
        raise InvalidSeatSelection(f"Zone {zone_id} is not a zone of this event.")
    if zone.is_general_admission:
        raise InvalidSeatSelection(f"Zone {zone.name} is general admission: it has no "
                                   "seats to block.")
    return zone


def selected_seats(*, event_id: int, selection: SeatSelection) -> list[Seat]:
    """The seats of the event a selection names, in zone, row and number order; a 400
    naming what does not exist (nothing is done then)."""
    seats = Seat.objects.filter(zone__event_id=event_id).order_by("zone_id", "row", "number")
    if selection.seat_ids:
        found = list(seats.filter(id__in=list(selection.seat_ids)))
        missing = sorted(set(selection.seat_ids) - {s.pk for s in found})
        if missing:
            raise InvalidSeatSelection(
                "Not seats of this event: " + ", ".join(map(str, missing[:20])) + ".",
                seat_ids=missing)
        return found
    if selection.zone_id is None:
        raise InvalidSeatSelection("Give seat_ids, or a zone with rows or seats.")
    zone = _zone_of_event(event_id, selection.zone_id)
    if selection.rows:
        rows = expand_rows(selection.rows)
        found = list(seats.filter(zone=zone, row__in=rows))
        empty = [row for row in rows if row not in {s.row for s in found}]
        if empty:
            raise InvalidSeatSelection(f"Zone {zone.name} has no row {', '.join(empty)}.")
        return found
    wanted = parse_seat_ranges(selection.seats)
    query = Q()
    for row in {row for row, _ in wanted}:
        query |= Q(row=row, number__in=[n for r, n in wanted if r == row])
    found = list(seats.filter(zone=zone).filter(query))
    have = {(s.row, s.number) for s in found}
    missing = [f"{row}{n}" for row, n in wanted if (row, n) not in have]
    if missing:
        raise InvalidSeatSelection(
            f"Zone {zone.name} has no seat {', '.join(missing[:20])}"
            + (f" (and {len(missing) - 20} more)" if len(missing) > 20 else "") + ".")
    return found


def seat_claims(seat_ids: Sequence[int], now: datetime) -> dict[int, str]:
    """Seats held or sold among these: id -> `reserved` or `sold`."""
    return {
        seat_id: "sold" if status == ReservedTicket.Status.COMPLETED else "reserved"
        for seat_id, status in ReservedTicket.objects.claiming(now)
        .filter(seat_id__in=list(seat_ids)).values_list("seat_id", "status")
    }


def event_blocks(*, event_id: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """The event's blocked seats with reason, who and since when, and whether a venue
    admin has since held (`reserved`) or sold one (`sold`; else `blocked`)."""
    now = now or timezone.now()
    claims = ReservedTicket.objects.claiming(now).filter(seat_id=OuterRef("seat_id"))
    rows = (SeatBlock.objects.filter(seat__zone__event_id=event_id)
            .annotate(sold=Exists(claims.filter(status=ReservedTicket.Status.COMPLETED)),
                      held=Exists(claims.filter(status=ReservedTicket.Status.ACTIVE)))
            .select_related("seat__zone", "blocked_by")
            .order_by("seat__zone_id", "seat__row", "seat__number"))
    return [
        {"seat": b.seat_id, "label": b.seat.label, "zone": b.seat.zone_id,
         "zone_name": b.seat.zone.name, "row": b.seat.row, "number": b.seat.number,
         "reason": b.reason, "blocked_by": b.blocked_by.username, "since": b.created_at,
         "state": "sold" if b.sold else "reserved" if b.held else "blocked"}
        for b in rows
    ]


def block_log(*, event_id: int) -> QuerySet[SeatBlockChange]:
    """Every block and unblock of the event, newest first."""
    return SeatBlockChange.objects.filter(event_id=event_id).select_related("user")
