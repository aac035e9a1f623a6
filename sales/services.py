"""Writes on the catalogue: seat maps. (Checkout and payments: sales.checkout.)"""

from __future__ import annotations

import string
from collections.abc import Sequence

import structlog
from django.db import transaction

from reservations.errors import InvalidHoldRequest
from reservations.lock_objects import lock_zone
from sales.models import Seat, Zone

logger = structlog.get_logger(__name__)

MAX_ROWS = 100
MAX_SEATS_PER_ROW = 500


# --- Seat maps ------------------------------------------------------------------------


def expand_rows(spec: str) -> list[str]:
    """`"A-T"` → A…T, `"A,B,C"` → A, B, C, `"AA-AC"` is not supported (use a list)."""
    spec = spec.strip().upper()
    if "-" in spec and "," not in spec:
        first, last = (part.strip() for part in spec.split("-", 1))
        letters = string.ascii_uppercase
        if len(first) != 1 or len(last) != 1 or first not in letters or last not in letters:
            raise InvalidHoldRequest(f"Row range {spec!r} must be two letters, like A-T.")
        if letters.index(first) > letters.index(last):
            raise InvalidHoldRequest(f"Row range {spec!r} runs backwards.")
        return list(letters[letters.index(first): letters.index(last) + 1])
    return [row.strip() for row in spec.split(",") if row.strip()]


@transaction.atomic
def create_seats_in_rows(
    *, zone: Zone, rows: Sequence[str], seats_per_row: int, first_number: int = 1
) -> list[Seat]:
    """Add rows × seats to a numbered zone in one go (e.g. rows A–T × seats 1–30),
    labelled row + number ("A1"). Refuses seats that already exist."""
    if zone.is_general_admission:
        raise InvalidHoldRequest(f"Zone {zone.name} is general admission: it has no seats.")
    if not rows or len(rows) > MAX_ROWS:
        raise InvalidHoldRequest(f"Give between 1 and {MAX_ROWS} rows.")
    if not 1 <= seats_per_row <= MAX_SEATS_PER_ROW:
        raise InvalidHoldRequest(f"seats_per_row must be between 1 and {MAX_SEATS_PER_ROW}.")
    if len(set(rows)) != len(rows) or any(len(row) > 8 for row in rows):
        raise InvalidHoldRequest("Rows must be distinct names of at most 8 characters.")
    numbers = range(first_number, first_number + seats_per_row)
    zone = lock_zone(zone.pk)
    taken = set(
        Seat.objects.filter(zone=zone, row__in=rows).values_list("row", "number")
    )
    clashes = sorted(f"{row}{n}" for row in rows for n in numbers if (row, n) in taken)
    if clashes:
        raise InvalidHoldRequest(f"Seats already exist: {', '.join(clashes[:20])}.")
    seats = Seat.objects.bulk_create(
        Seat(zone=zone, row=row, number=n, label=f"{row}{n}") for row in rows for n in numbers
    )
    zone.capacity = Seat.objects.filter(zone=zone).count()
    zone.save(update_fields=["capacity"])
    return seats
