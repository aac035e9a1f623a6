"""Best available: which N seats of a numbered zone to offer, as a pure function.

The rule, in one place (docs/reservations.md, "Best available"):

- Rows are ranked front to back: the zone's `row_order` first ("C,B,A", "D-F"), in the
  order it lists them, then every other row in natural order (A before B before AA, row
  2 before row 10).
- Adjacent means the same row and consecutive numbers: a jump in the numbering (an aisle)
  breaks adjacency.
- A single empty seat between taken ones is never left when it can be avoided: a block
  whose leftover on either side is exactly one free seat with a taken (or blocked) seat
  beyond it is chosen only when every possible block leaves one. A single seat against
  the row's end or an aisle is not a gap between taken seats.
- `together=True`: N adjacent seats; among the blocks that leave no avoidable gap, the
  best row, then the block closest to the row's centre, then the lowest numbers. None
  when no N adjacent seats are free.
- `together=False`: the N best free seats one by one (best row first, then closest to
  its centre), split across rows; but N adjacent seats (chosen as above) when some row
  no worse than the split's last row has them. None when fewer than N seats are free.

The service (reservations.services.hold_best_available) reads the zone's seats once and
holds the pick through the ordinary hold (pos_hold)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SeatSpot:
    """A seat of the zone as the picker sees it: where it is and whether it is free (not
    held, not sold, not blocked)."""

    id: int
    row: str
    number: int
    free: bool


@dataclass(frozen=True, slots=True)
class _Block:
    row_rank: int
    gaps: int  # single free seats between taken ones this block would leave (0 to 2)
    centre_distance: float
    first: int
    seats: tuple[SeatSpot, ...]

    def key(self) -> tuple:
        return (self.gaps, self.row_rank, self.centre_distance, self.first)


def natural_row_key(row: str) -> tuple:
    """Front to back: numbers by value, letters by length then alphabet (Z before AA)."""
    if row.isdigit():
        return (0, int(row), "")
    return (1, len(row), row.upper())


def row_ranks(rows: Iterable[str], row_order: Sequence[str] = ()) -> dict[str, int]:
    """Each row's rank, 0 best: the listed rows in their order, then the rest naturally."""
    listed = {row.upper(): i for i, row in enumerate(dict.fromkeys(row_order))}
    ordered = sorted(set(rows), key=lambda r: (listed.get(r.upper(), len(listed)),
                                               natural_row_key(r)))
    return {row: rank for rank, row in enumerate(ordered)}


def parse_row_order(text: str) -> list[str]:
    """A zone's `row_order` ("C,B,A", "D-F", "2-5", or a mix "B, A, D-F") as rows."""
    rows: list[str] = []
    for part in (p.strip().upper() for p in text.split(",")):
        if not part:
            continue
        match = re.fullmatch(r"([A-Z])\s*-\s*([A-Z])|(\d+)\s*-\s*(\d+)", part)
        if match and match.group(1):
            first, last = ord(match.group(1)), ord(match.group(2))
            step = 1 if last >= first else -1
            rows += [chr(c) for c in range(first, last + step, step)]
        elif match:
            first, last = int(match.group(3)), int(match.group(4))
            step = 1 if last >= first else -1
            rows += [str(n) for n in range(first, last + step, step)]
        else:
            rows.append(part)
    return rows


def _rows(seats: Iterable[SeatSpot]) -> dict[str, list[SeatSpot]]:
    rows: dict[str, list[SeatSpot]] = {}
    for seat in seats:
        rows.setdefault(seat.row, []).append(seat)
    for row in rows.values():
        row.sort(key=lambda s: s.number)
    return rows


def _runs(row: list[SeatSpot]) -> list[tuple[list[SeatSpot], bool, bool]]:
    """The row's runs of free, consecutively numbered seats, each with whether a taken
    seat stands right before it and right after it (else: the row's end or an aisle)."""
    by_number = {seat.number: seat for seat in row}
    runs, current = [], []
    for seat in row:
        if seat.free and current and seat.number == current[-1].number + 1:
            current.append(seat)
            continue
        if current:
            runs.append(current)
        current = [seat] if seat.free else []
    if current:
        runs.append(current)

    def taken(number: int) -> bool:
        seat = by_number.get(number)
        return seat is not None and not seat.free

    return [(run, taken(run[0].number - 1), taken(run[-1].number + 1)) for run in runs]


def _blocks(seats: Sequence[SeatSpot], quantity: int, ranks: dict[str, int]) -> list[_Block]:
    """Every block of `quantity` adjacent free seats, scored."""
    blocks = []
    for row_name, row in _rows(seats).items():
        centre = (row[0].number + row[-1].number) / 2
        for run, taken_before, taken_after in _runs(row):
            for start in range(len(run) - quantity + 1):
                chosen = run[start:start + quantity]
                left, right = start, len(run) - start - quantity
                gaps = int(left == 1 and taken_before) + int(right == 1 and taken_after)
                middle = (chosen[0].number + chosen[-1].number) / 2
                blocks.append(_Block(row_rank=ranks[row_name], gaps=gaps,
                                     centre_distance=abs(middle - centre),
                                     first=chosen[0].number, seats=tuple(chosen)))
    return blocks


def single_gaps_left(seats: Sequence[SeatSpot], chosen_ids: Iterable[int]) -> int:
    """How many single free seats stand between taken seats once `chosen_ids` are taken
    too, minus those already there: the gaps a pick creates (for tests and logs)."""
    chosen = set(chosen_ids)

    def count(taken_ids: set[int]) -> int:
        total = 0
        for row in _rows(seats).values():
            by_number = {s.number: (s.free and s.id not in taken_ids) for s in row}
            total += sum(1 for n, free in by_number.items()
                         if free and by_number.get(n - 1) is False
                         and by_number.get(n + 1) is False)
        return total

    return count(chosen) - count(set())


def pick_best_seats(
    seats: Sequence[SeatSpot], quantity: int, *, together: bool = True,
    row_order: Sequence[str] = (),
) -> list[int] | None:
    """The ids of the `quantity` best free seats by the rule above (module docstring),
    in row and seat order; None when the zone cannot offer them."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    ranks = row_ranks((s.row for s in seats), row_order)
    blocks = _blocks(seats, quantity, ranks)
    if together:
        return [seat.id for seat in min(blocks, key=_Block.key).seats] if blocks else None
    free = [s for s in seats if s.free]
    if len(free) < quantity:
        return None
    centres = {name: (row[0].number + row[-1].number) / 2
               for name, row in _rows(seats).items()}
    free.sort(key=lambda s: (ranks[s.row], abs(s.number - centres[s.row]), s.number))
    picked = free[:quantity]
    # Kept together when that costs no worse row than the split would reach.
    worst = max(ranks[s.row] for s in picked)
    near = [b for b in blocks if b.row_rank <= worst]
    if near:
        return [seat.id for seat in min(near, key=_Block.key).seats]
    picked.sort(key=lambda s: (ranks[s.row], s.number))
    return [seat.id for seat in picked]
