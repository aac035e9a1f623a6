"""The best-available rule (reservations.best_available), as a pure function: examples a
box office recognises, then properties over random seat maps (Hypothesis) checked
against a brute-force list of every possible block."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reservations.best_available import (
    SeatSpot,
    parse_row_order,
    pick_best_seats,
    row_ranks,
    single_gaps_left,
)


def seat_map(*rows: str, first: int = 1) -> list[SeatSpot]:
    """Rows drawn left to right, front row first: `.` free, `x` taken; the row is named A,
    B, C ... in order; seat ids are row index * 100 + number."""
    spots = []
    for index, drawing in enumerate(rows):
        name = chr(ord("A") + index)
        for offset, mark in enumerate(drawing):
            number = first + offset
            spots.append(SeatSpot(id=index * 100 + number, row=name, number=number,
                                  free=mark == "."))
    return spots


def labels(spots: list[SeatSpot], ids: list[int] | None) -> list[str] | None:
    if ids is None:
        return None
    by_id = {s.id: s for s in spots}
    return [f"{by_id[i].row}{by_id[i].number}" for i in ids]


def test_the_front_row_centre_block_is_chosen():
    spots = seat_map("..........", "..........")
    assert labels(spots, pick_best_seats(spots, 4)) == ["A4", "A5", "A6", "A7"]


def test_a_full_front_row_sends_the_group_to_the_next_row():
    spots = seat_map("xxxxxxxxxx", "..........")
    assert labels(spots, pick_best_seats(spots, 2)) == ["B5", "B6"]


def test_a_pair_is_never_split_when_a_better_block_exists():
    # Row A has only singles free; row B has pairs: together means row B.
    spots = seat_map(".x.x.x.x.x", "xx..xx..xx")
    assert labels(spots, pick_best_seats(spots, 2)) == ["B3", "B4"]


def test_a_block_that_would_strand_one_seat_is_avoided():
    # Row A: three free between taken seats: any pair leaves a single seat between taken
    # ones. Row B has room: the pair goes there, though row A is better.
    spots = seat_map("xx...xxxxx", "..........")
    assert labels(spots, pick_best_seats(spots, 2)) == ["B5", "B6"]


def test_a_stranded_seat_is_accepted_when_it_cannot_be_avoided():
    spots = seat_map("xx...xxxxx")
    picked = pick_best_seats(spots, 2)
    assert len(picked) == 2 and single_gaps_left(spots, picked) == 1


def test_a_single_seat_against_the_row_end_is_not_a_gap():
    spots = seat_map("...xxxxxxx")
    assert labels(spots, pick_best_seats(spots, 2)) in (["A1", "A2"], ["A2", "A3"])
    assert single_gaps_left(spots, pick_best_seats(spots, 2)) == 0


def test_within_the_row_the_gap_rule_picks_the_block_that_leaves_no_single():
    # Free A3-A8 between taken seats; 4 seats: A3-A6 leaves A7-A8 (two), A4-A7 leaves A3
    # and A8 single, A5-A8 leaves A3-A4. The centred one strands two singles.
    spots = seat_map("xx......xx")
    picked = labels(spots, pick_best_seats(spots, 4))
    assert picked in (["A3", "A4", "A5", "A6"], ["A5", "A6", "A7", "A8"])


def test_an_aisle_in_the_numbering_breaks_adjacency():
    spots = [SeatSpot(1, "A", 1, True), SeatSpot(2, "A", 2, True),
             SeatSpot(3, "A", 101, True), SeatSpot(4, "A", 102, True)]
    assert pick_best_seats(spots, 3) is None
    assert sorted(pick_best_seats(spots, 3, together=False)) in ([1, 2, 3], [1, 2, 4],
                                                                 [1, 3, 4], [2, 3, 4])


def test_the_zone_row_order_overrides_front_to_back():
    spots = seat_map("..........", "..........", "..........")
    assert labels(spots, pick_best_seats(spots, 2, row_order=["C", "B"])) == ["C5", "C6"]


def test_no_adjacent_block_is_none_when_together_and_a_split_otherwise():
    spots = seat_map(".x.x.", "x.x.x")
    assert pick_best_seats(spots, 2) is None
    assert labels(spots, pick_best_seats(spots, 2, together=False)) == ["A1", "A3"]
    assert pick_best_seats(spots, 6, together=False) is None


def test_not_together_takes_the_best_seats_first():
    spots = seat_map("xx.x.xx.xx", "..........")
    picked = labels(spots, pick_best_seats(spots, 3, together=False))
    assert picked is not None and all(label.startswith("A") for label in picked)


def test_rows_rank_naturally_and_row_order_parses_ranges():
    assert list(row_ranks(["B", "AA", "A", "Z"])) == ["A", "B", "Z", "AA"]
    assert list(row_ranks(["10", "2", "1"])) == ["1", "2", "10"]
    assert parse_row_order("C-A, F") == ["C", "B", "A", "F"]
    assert parse_row_order("3-5") == ["3", "4", "5"]
    assert parse_row_order("") == []


# --- Properties ---------------------------------------------------------------------


@st.composite
def zones(draw):
    rows = draw(st.integers(min_value=1, max_value=5))
    spots = []
    for r in range(rows):
        width = draw(st.integers(min_value=1, max_value=14))
        free = draw(st.lists(st.booleans(), min_size=width, max_size=width))
        spots += [SeatSpot(id=r * 100 + n + 1, row=chr(ord("A") + r), number=n + 1,
                           free=f) for n, f in enumerate(free)]
    order = draw(st.permutations([chr(ord("A") + r) for r in range(rows)]))
    ranked = draw(st.integers(min_value=0, max_value=rows))
    return spots, list(order[:ranked])


def every_block(spots: list[SeatSpot], n: int) -> list[list[SeatSpot]]:
    """Brute force: every n adjacent free seats."""
    by_place = {(s.row, s.number): s for s in spots}
    blocks = []
    for s in spots:
        block = [by_place.get((s.row, s.number + k)) for k in range(n)]
        if all(b is not None and b.free for b in block):
            blocks.append(block)
    return blocks


@settings(max_examples=300, deadline=None)
@given(zones(), st.integers(min_value=1, max_value=6))
def test_together_gives_n_adjacent_free_seats_or_none_only_when_none_exist(zone, n):
    spots, order = zone
    picked = pick_best_seats(spots, n, row_order=order)
    blocks = every_block(spots, n)
    if picked is None:
        assert blocks == []
        return
    by_id = {s.id: s for s in spots}
    chosen = [by_id[i] for i in picked]
    assert len(set(picked)) == n and all(s.free for s in chosen)
    assert len({s.row for s in chosen}) == 1
    numbers = sorted(s.number for s in chosen)
    assert numbers == list(range(numbers[0], numbers[0] + n))


@settings(max_examples=300, deadline=None)
@given(zones(), st.integers(min_value=1, max_value=6))
def test_together_never_leaves_an_avoidable_gap_and_prefers_better_rows(zone, n):
    spots, order = zone
    picked = pick_best_seats(spots, n, row_order=order)
    if picked is None:
        return
    ranks = row_ranks((s.row for s in spots), order)
    # Gaps a block creates (filling an existing single seat is no gain to weigh).
    gaps = {tuple(b.id for b in block): max(single_gaps_left(spots, [b.id for b in block]), 0)
            for block in every_block(spots, n)}
    fewest = min(gaps.values())
    assert max(single_gaps_left(spots, picked), 0) == fewest
    best_rank = min(ranks[next(s for s in spots if s.id == ids[0]).row]
                    for ids, g in gaps.items() if g == fewest)
    assert ranks[next(s for s in spots if s.id == picked[0]).row] == best_rank


@settings(max_examples=300, deadline=None)
@given(zones(), st.integers(min_value=1, max_value=8))
def test_not_together_gives_n_free_seats_whenever_n_are_free(zone, n):
    spots, order = zone
    picked = pick_best_seats(spots, n, together=False, row_order=order)
    free = [s for s in spots if s.free]
    if len(free) < n:
        assert picked is None
        return
    assert picked is not None and len(set(picked)) == n
    by_id = {s.id: s for s in spots}
    assert all(by_id[i].free for i in picked)
    # Best seats first: no free seat in a better row than the worst picked row is left
    # out unless the pick kept the group together.
    ranks = row_ranks((s.row for s in spots), order)
    worst = max(ranks[by_id[i].row] for i in picked)
    chosen_rows = {by_id[i].row for i in picked}
    if len(chosen_rows) > 1:
        assert all(s.id in picked for s in free if ranks[s.row] < worst)
