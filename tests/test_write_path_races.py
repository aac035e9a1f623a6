"""The write path under every mix of requests a venue sends at once: real parallel clients
(threads, each with its own PostgreSQL connection, released together by a barrier) in
the `race` tenant, whose writes commit.

Besides "no 5xx" and "no seat twice", each test asserts that PostgreSQL detected no
deadlock at all while it ran (`pg_stat_database.deadlocks`): the services retry a
deadlock (pos.concurrency), so a client would only notice it as a stall. The control
test at the end shows the counter, and the harness, do see the deadlock of the old lock
mode."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from functools import partial

import pytest
from django.db import connection, connections
from django.db.utils import OperationalError
from django.utils import timezone

from fiscal.taxes import PaymentInput
from pos.errors import DomainError
from reservations import services
from reservations.models import HoldAttempt, ReservedTicket
from sales.checkout import services as sales_services
from sales.models import Transaction
from tests import parallel
from tests.builders import make_event, user
from tests.conftest import TenantFixture, add_cashiers, api_client

WRITERS = 20
PAID_IN_BS = [PaymentInput(method="pago_movil", currency="VES", amount=Decimal("1160.00"),
                                                                               reference="0102-555123")]
DOWN_PAYMENT = [PaymentInput(method="pago_movil", currency="VES", amount=Decimal("200.00"),
                                                                                 reference="0102-555123")]
ROUNDS = 6


@pytest.fixture(scope="module")
def writers(race, django_db_blocker) -> list[str]:
    """Cashiers w0 … w19 of the race tenant, used only here."""
    names = [f"w{i}" for i in range(WRITERS)]
    with django_db_blocker.unblock():
        add_cashiers(race, names)
    return names


@pytest.fixture
def arena(in_race, writers) -> Iterator[TenantFixture]:
    """The race tenant, and afterwards none of the writers' holds left live (the
    per-cashier limit counts them)."""
    yield TenantFixture(tenant=in_race, host=f"{in_race.schema_name}.localhost")
    ReservedTicket.objects.filter(created_by__username__in=writers, status="active").update(
        status="cancelled")


# --- Helpers --------------------------------------------------------------------------


def _client_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                       "current_database() AND backend_type = 'client backend' "
                       "AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


def deadlocks_so_far() -> int:
    """PostgreSQL's count of deadlocks detected in this database. A backend reports its
    count when it exits: call this once the test's connections are closed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database "
                       "WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _settle(backends_before: int) -> None:
    """Wait (bounded) until the threads' backends have exited and reported."""
    import time

    deadline = time.monotonic() + 10
    while _client_backends() > backends_before and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
def no_deadlock(arena) -> Iterator[None]:
    backends, before = _client_backends(), deadlocks_so_far()
    yield
    _settle(backends)
    assert deadlocks_so_far() == before, "PostgreSQL detected a deadlock during the test"


def run_parallel(calls: list[Callable[[], object]], tenant=None) -> list[object]:
    return parallel.run_parallel(calls, tenant=tenant, catch=Exception)


def hold_request(tenant: TenantFixture, username: str, event_id: int, seat_ids: list[int],
                 *, idempotency_key: bool = False) -> Callable[[], object]:
    client = api_client(tenant, username)
    headers = {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex} if idempotency_key else {}
    return lambda: client.post("/api/holds/", {"event": event_id, "seat_ids": seat_ids},
                               format="json", **headers)


def assert_no_seat_twice(event) -> None:
    claims = list(ReservedTicket.objects.claiming().filter(event=event, seat__isnull=False)
                  .values_list("seat_id", flat=True))
    assert len(claims) == len(set(claims)), f"a seat has two live claims: {claims}"


def assert_answers(responses, allowed=(201, 409)) -> None:
    statuses = [r.status_code for r in responses]
    assert all(s < 500 for s in statuses), [r.json() for r in responses if r.status_code >= 500]
    assert set(statuses) <= set(allowed), statuses


# --- Holds from many clients at once ----------------------------------------------------


def test_one_cashier_sixteen_parallel_overlapping_holds_both_orders(arena, no_deadlock):
    """A cashier tapping fast, or signed in at two terminals: 16 overlapping two-seat holds
    at once, in both orders, half with an Idempotency-Key. No 5xx, one winner per seat,
    every refusal recorded (with or without a key)."""
    setup = make_event(rows="A", seats_per_row=4)
    seats = setup.ids("A1", "A2", "A3", "A4")
    pairs = [(seats[i % 4], seats[(i + 1) % 4]) for i in range(16)]
    calls = [hold_request(arena, "w0", setup.event.pk,
                          list(pair if i % 2 else reversed(pair)), idempotency_key=i % 4 < 2)
             for i, pair in enumerate(pairs)]
    responses = run_parallel(calls)
    assert_answers(responses)
    winners = [r.json() for r in responses if r.status_code == 201]
    held = [item["seat"] for hold in winners for item in hold["items"]]
    assert winners and len(held) == len(set(held))
    assert_no_seat_twice(setup.event)
    refused = [seat for r in responses if r.status_code == 409 for seat in r.json()["seats"]]
    assert all(seat["reason"] == "reserved" for seat in refused)
    assert HoldAttempt.objects.filter(event=setup.event).count() == len(refused)


@pytest.mark.parametrize("usernames", [
    ["w0"] * 8 + ["w1"] * 8,             # two users, eight threads each
    [f"w{i}" for i in range(16)],        # sixteen cashiers
], ids=["two-users-by-eight", "sixteen-cashiers"])
def test_many_clients_over_a_small_pool_no_5xx_no_double_booking(arena, no_deadlock,
                                                                  usernames):
    setup = make_event(rows="A", seats_per_row=6)
    seats = setup.ids(*(f"A{n}" for n in range(1, 7)))
    calls = []
    for i, username in enumerate(usernames):
        pair = [seats[i % 6], seats[(i + 3) % 6]]
        calls.append(hold_request(arena, username, setup.event.pk,
                                  pair if i % 2 else pair[::-1]))
    responses = run_parallel(calls)
    assert_answers(responses)
    assert any(r.status_code == 201 for r in responses)
    assert_no_seat_twice(setup.event)
    for response in responses:  # all or nothing: a winner has both its seats
        if response.status_code == 201:
            assert len(response.json()["items"]) == 2


# --- Actions racing each other on one hold ---------------------------------------------


def _hold_at(username: str, setup, *labels: str, at):
    return services.hold_seats(user=user(username), event_id=setup.event.pk,
                               seat_ids=setup.ids(*labels), now=at)


def _domain_codes(results) -> set[str]:
    failures = [r for r in results if isinstance(r, Exception)]
    unexpected = [r for r in failures if not isinstance(r, DomainError)]
    assert not unexpected, unexpected  # would be a 5xx
    return {r.code for r in failures}


def test_checkout_racing_the_expiry_job_at_the_instant_of_expiry(arena, no_deadlock):
    """The payment is taken a microsecond before the hold expires while the expiry job
    runs at that instant: either the sale completes and the job leaves it alone, or the
    job expires it and the checkout answers 410; never half of each."""
    setup = make_event(rows="A", seats_per_row=ROUNDS)
    for n in range(1, ROUNDS + 1):
        start = timezone.now()
        tx = _hold_at("w2", setup, f"A{n}", at=start)
        expires = start + timedelta(minutes=10)
        cashier = user("w2")
        results = run_parallel([
            partial(sales_services.checkout_hold, user=cashier, transaction_id=tx.pk,
                    payments=PAID_IN_BS, now=expires - timedelta(microseconds=1)),
            partial(services.expire_stale_holds, now=expires),
        ], tenant=arena.tenant)
        assert _domain_codes(results) <= {"hold_expired"}
        services.expire_stale_holds(now=expires)  # whatever a skipped row left
        tx.refresh_from_db()
        items = set(tx.reserved_tickets.values_list("status", flat=True))
        if tx.status == Transaction.Status.COMPLETED:
            assert items == {"completed"} and tx.tickets.count() == 1
            assert not isinstance(results[0], Exception)
        else:
            assert tx.status == Transaction.Status.EXPIRED and items == {"expired"}
            assert isinstance(results[0], DomainError) and not tx.tickets.exists()


def test_release_racing_checkout_exactly_one_wins(arena, no_deadlock):
    setup = make_event(rows="A", seats_per_row=ROUNDS)
    cashier = user("w3")
    for n in range(1, ROUNDS + 1):
        tx = services.hold_seats(user=cashier, event_id=setup.event.pk,
                                 seat_ids=setup.ids(f"A{n}"))
        results = run_parallel([
            partial(services.release_hold, user=cashier, transaction_id=tx.pk),
            partial(sales_services.checkout_hold, user=cashier, transaction_id=tx.pk,
                    payments=PAID_IN_BS),
        ], tenant=arena.tenant)
        assert _domain_codes(results) <= {"illegal_transition", "checkout_refused"}
        assert sum(not isinstance(r, Exception) for r in results) == 1
        tx.refresh_from_db()
        items = set(tx.reserved_tickets.values_list("status", flat=True))
        assert (tx.status, items) in [("cancelled", {"cancelled"}),
                                      ("completed", {"completed"})]


def test_extend_racing_the_expiry_job_at_the_instant_of_expiry(arena, no_deadlock):
    setup = make_event(rows="A", seats_per_row=ROUNDS)
    cashier = user("w4")
    for n in range(1, ROUNDS + 1):
        start = timezone.now()
        tx = _hold_at("w4", setup, f"A{n}", at=start)
        expires = start + timedelta(minutes=10)
        results = run_parallel([
            partial(services.extend_hold, user=cashier, transaction_id=tx.pk,
                    now=expires - timedelta(microseconds=1)),
            partial(services.expire_stale_holds, now=expires),
        ], tenant=arena.tenant)
        assert _domain_codes(results) <= {"hold_expired"}
        item = tx.reserved_tickets.get()
        if isinstance(results[0], Exception):
            assert item.status == "expired"
        else:
            assert item.status == "active" and item.reserved_until == expires + timedelta(
                minutes=10)


def test_bulk_extension_racing_holds_checkouts_and_payments(arena, no_deadlock):
    """The operator extends every reservation while cashiers hold, pay and take
    payments on the same event."""
    setup = make_event(rows="AB", seats_per_row=8)
    reserved = []
    for i in range(4):
        tx = services.hold_seats(user=user(f"w{5 + i}"), event_id=setup.event.pk,
                                 seat_ids=setup.ids(f"A{i + 1}"))
        sales_services.checkout_hold(user=user(f"w{5 + i}"), transaction_id=tx.pk,
                                     payments=DOWN_PAYMENT, reserve=True)
        reserved.append((f"w{5 + i}", tx.pk))
    pending = [(f"w{9 + i}", services.hold_seats(user=user(f"w{9 + i}"),
                                                 event_id=setup.event.pk,
                                                 seat_ids=setup.ids(f"A{5 + i}")).pk)
               for i in range(4)]
    calls: list[Callable[[], object]] = [
        lambda: services.extend_reservations(hours=2, event_id=setup.event.pk)]
    calls += [lambda u=u, t=t: sales_services.checkout_hold(user=user(u), transaction_id=t,
                                                            payments=PAID_IN_BS)
              for u, t in pending]
    calls += [lambda u=u, t=t: sales_services.add_payment(user=user(u), transaction_id=t,
                                                          payments=DOWN_PAYMENT, reserve=True)
              for u, t in reserved[:2]]
    calls += [lambda i=i: services.hold_seats(user=user(f"w{13 + i}"),
                                              event_id=setup.event.pk,
                                              seat_ids=setup.ids(f"B{i + 1}", f"B{8 - i}"))
              for i in range(6)]
    results = run_parallel(calls, tenant=arena.tenant)
    assert _domain_codes(results) <= {"seats_unavailable"}
    assert results[0]["reservations"] == 4
    assert_no_seat_twice(setup.event)
    for _, tx_id in reserved:
        assert Transaction.objects.get(pk=tx_id).status == "reserved"


# --- The control: the old lock mode deadlocks, and the harness sees it -----------------


def _lock_user_then_seat(user_id: int, seat_id: int, mode: str, started: threading.Event,
                         inserted: threading.Event, outcome: dict) -> None:
    """A hold of the cashier: the user row, then (once the other side holds the seat's
    key-share lock) the seat."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(f"SELECT id FROM auth_user WHERE id = %s {mode}", [user_id])
            started.set()
            inserted.wait(5)
            cursor.execute(f"SELECT id FROM sales_seat WHERE id = %s {mode}", [seat_id])
            cursor.execute("ROLLBACK")
        outcome["hold"] = "done"
    except OperationalError as exc:
        outcome["hold"] = getattr(exc.__cause__, "sqlstate", None)
    finally:
        connections.close_all()


def _record_refusal(user_id: int, event_id: int, seat_id: int, started: threading.Event,
                    inserted: threading.Event, outcome: dict) -> None:
    """Another request of the same cashier recording a refused seat: it holds the seat's
    key-share lock and, committing its row, needs one on the user row."""
    try:
        with connection.cursor() as cursor:
            started.wait(5)
            cursor.execute("BEGIN")
            cursor.execute("SELECT id FROM sales_seat WHERE id = %s FOR KEY SHARE", [seat_id])
            inserted.set()
            cursor.execute(
                "INSERT INTO reservations_holdattempt (event_id, seat_id, outcome, user_id, "
                "created_at) VALUES (%s, %s, 'conflict', %s, now())",
                [event_id, seat_id, user_id])
            # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: the key-share lock on
            # the user row is taken by the check at commit.
            cursor.execute("COMMIT")
        outcome["refusal"] = "done"
    except OperationalError as exc:
        outcome["refusal"] = getattr(exc.__cause__, "sqlstate", None)
    finally:
        connections.close_all()


def _race_user_lock_against_refusal(tenant, mode: str) -> dict:
    from django_tenants.utils import tenant_context

    setup = make_event(rows="A", seats_per_row=1)
    cashier, seat = user("w19"), setup.ids("A1")[0]
    started, inserted, outcome = threading.Event(), threading.Event(), {}

    def in_tenant(target, *args):
        def run():
            with tenant_context(tenant):
                target(*args)
        return run

    threads = [
        threading.Thread(target=in_tenant(_lock_user_then_seat, cashier.pk, seat, mode,
                                          started, inserted, outcome)),
        threading.Thread(target=in_tenant(_record_refusal, cashier.pk, setup.event.pk, seat,
                                          started, inserted, outcome)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcome


def test_control_the_old_lock_mode_deadlocks_and_the_new_one_does_not(arena):
    """FOR UPDATE on the user row (the old `lock_user`) against another request of the
    same cashier inserting its refusal: PostgreSQL detects a deadlock (40P01), and the
    deadlock counter the tests above watch goes up. The same steps with FOR NO KEY
    UPDATE, the mode every lock now takes, both finish."""
    backends, before = _client_backends(), deadlocks_so_far()
    old = _race_user_lock_against_refusal(arena.tenant, "FOR UPDATE")
    assert "40P01" in old.values(), old
    _settle(backends)
    assert deadlocks_so_far() > before

    new = _race_user_lock_against_refusal(arena.tenant, "FOR NO KEY UPDATE")
    assert new == {"hold": "done", "refusal": "done"}
