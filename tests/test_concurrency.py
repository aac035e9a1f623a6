"""No double booking under real concurrency: parallel threads, each with its own
PostgreSQL connection, released together by a barrier.

These tests commit (they cannot share one test transaction), so they run in a tenant of
their own, `race`, and each builds its own event."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from pos.errors import DomainError
from reservations import services
from reservations.models import ReservedTicket
from tenants.models import Tenant
from tests import parallel
from tests.builders import make_event, user


def run_parallel(tenant: Tenant, calls: list[Callable[[], object]]) -> list[object]:
    """The result, or the DomainError, of each call run at the same instant."""
    return parallel.run_parallel(calls, tenant=tenant, catch=DomainError)


def live_claims_per_seat(event) -> dict[int, int]:
    counts: dict[int, int] = {}
    for seat_id in ReservedTicket.objects.claiming().filter(event=event, seat__isnull=False) \
            .values_list("seat_id", flat=True):
        counts[seat_id] = counts.get(seat_id, 0) + 1
    return counts


def test_sixteen_cashiers_one_seat_exactly_one_wins(in_race):
    setup = make_event(rows="A", seats_per_row=3)
    seat = setup.ids("A1")
    cashiers = [user(f"c{i}") for i in range(16)]
    results = run_parallel(in_race, [
        (lambda c=c: services.hold_seats(user=c, event_id=setup.event.pk, seat_ids=seat))
        for c in cashiers
    ])
    winners = [r for r in results if not isinstance(r, DomainError)]
    losers = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1
    assert {r.code for r in losers} == {"seats_unavailable"}
    assert all("A1 (reserved)" in r.message for r in losers)
    assert live_claims_per_seat(setup.event) == {seat[0]: 1}


def test_overlapping_holds_in_opposite_orders_never_deadlock_or_double_book(in_race):
    setup = make_event(rows="AB", seats_per_row=6)
    labels = [f"A{n}" for n in range(1, 7)] + [f"B{n}" for n in range(1, 7)]
    calls = []
    for i in range(20):
        window = labels[i % 8: i % 8 + 4]
        ids = setup.ids(*(window if i % 2 else list(reversed(window))))
        calls.append(partial(services.hold_seats, user=user(f"c{i}"),
                             event_id=setup.event.pk, seat_ids=ids))
    results = run_parallel(in_race, calls)
    # No deadlock or lock timeout surfaced: every loser is a clean 409.
    assert {r.code for r in results if isinstance(r, DomainError)} <= {"seats_unavailable"}
    assert all(count == 1 for count in live_claims_per_seat(setup.event).values())
    # All or nothing: each winner holds all four of its seats.
    for tx in (r for r in results if not isinstance(r, DomainError)):
        assert tx.reserved_tickets.filter(status="active").count() == 4


def test_ga_zone_of_ten_and_fifty_parallel_requests_exactly_ten_succeed(in_race):
    setup = make_event(rows="A", seats_per_row=1, ga_capacity=10)
    zone = [services.ZoneQuantity(zone_id=setup.ga_zone.pk, quantity=1)]
    results = run_parallel(in_race, [
        partial(services.hold_seats, user=user(f"c{i}"), event_id=setup.event.pk, zones=zone)
        for i in range(50)
    ])
    assert sum(not isinstance(r, DomainError) for r in results) == 10
    assert sum(ReservedTicket.objects.claiming().filter(zone=setup.ga_zone)
               .values_list("quantity", flat=True)) == 10


SEAT_LOCK = ("PERFORM 1 FROM sales_seat WHERE id = ANY(p_seat_ids) ORDER BY id "
             "FOR NO KEY UPDATE;")
INSERT_STEP = "-- 6. The hold"


def test_control_without_lock_and_index_the_race_double_books(in_race):
    """Proof that the tests above can fail: the real `pos_hold` with its seat lock taken
    out (and a pause between the check and the insert to widen the window), and the
    unique index dropped: several cashiers get the same seat."""
    from django.db import connection as conn

    from reservations.models import ReservedTicket as RT

    setup = make_event(rows="A", seats_per_row=2)
    seat = setup.ids("A1")
    constraint = next(c for c in RT._meta.constraints if c.name == "one_live_claim_per_seat")
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef('pos_hold'::regproc)")
        original = cursor.fetchone()[0]
    assert SEAT_LOCK in original and INSERT_STEP in original
    unlocked = original.replace(SEAT_LOCK, "").replace(
        INSERT_STEP, "PERFORM pg_sleep(0.2);\n    " + INSERT_STEP)
    with conn.cursor() as cursor:
        cursor.execute(unlocked)
    with conn.schema_editor() as editor:
        editor.remove_constraint(RT, constraint)
    try:
        results = run_parallel(in_race, [
            partial(services.hold_seats, user=user(f"c{i}"), event_id=setup.event.pk,
                    seat_ids=seat)
            for i in range(8)
        ])
        winners = sum(not isinstance(r, DomainError) for r in results)
        assert winners > 1, "without lock and index the race should double-book"
    finally:
        RT.objects.filter(event=setup.event).update(status="cancelled")
        with conn.cursor() as cursor:
            cursor.execute(original)
        with conn.schema_editor() as editor:
            editor.add_constraint(RT, constraint)
