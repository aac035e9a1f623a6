"""Sold means sold under concurrency: a catalogue change and a hold written at the same
moment, on two real connections. A hold reads the zone's kind and the event's currency
before it inserts its items, and a catalogue change cannot see a hold that has not
committed: without the database interlock (sales/migrations/0003_catalogue_guards) either
one slips past the other. No sleeps: each side is held open at a known point with events.

These tests commit (two connections cannot share a test transaction), so they run in the
tenant `race` and each builds its own event."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import DatabaseError, OperationalError, connection, connections, transaction
from django_tenants.utils import tenant_context

from reservations import services as holds
from reservations.models import ReservedTicket
from sales.models import Event, Zone
from tenants.models import Tenant
from tests.builders import make_event, user
from tests.conftest import add_cashiers

CASHIERS = ("guard1", "guard2")


@pytest.fixture(scope="module", autouse=True)
def guards(race, django_db_blocker) -> None:
    with django_db_blocker.unblock():
        add_cashiers(race, CASHIERS)


class OpenTransaction:
    """`work` run in a thread of its own, inside a transaction left open until `commit()`;
    `result` is what it returned, or the exception it raised."""

    def __init__(self, tenant: Tenant, work: Callable[[], Any]) -> None:
        self.result: Any = None
        self._done_work = threading.Event()
        self._release = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(tenant, work))

    def _run(self, tenant: Tenant, work: Callable[[], Any]) -> None:
        try:
            with tenant_context(tenant), transaction.atomic():
                try:
                    self.result = work()
                finally:
                    self._done_work.set()
                self._release.wait(timeout=30)
        except Exception as exc:  # reported to the test through `result`
            self.result = exc
        finally:
            self._done_work.set()
            connections.close_all()

    def start(self) -> OpenTransaction:
        self._thread.start()
        assert self._done_work.wait(timeout=30)
        return self

    def commit(self) -> Any:
        self._release.set()
        self._thread.join(timeout=30)
        return self.result


PAUSE_KEY = 4242
PAUSE_AT = "    -- 5. What is taken"


class HoldInThread:
    """A hold in a thread of its own, paused once it has read the event, locked the seats
    and checked them (the catalogue it then relies on), until `go()`. The pause is a copy
    of the real `pos_hold` with one line added at that point: it waits for an advisory
    lock the test holds (no sleeps); the real function is put back afterwards."""

    def __init__(self, tenant: Tenant, monkeypatch, **hold: Any) -> None:
        self.result: Any = None
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_functiondef('pos_hold'::regproc)")
            self._original = cursor.fetchone()[0]
            assert PAUSE_AT in self._original
            cursor.execute(self._original.replace(PAUSE_AT, (
                f"    PERFORM pg_advisory_lock_shared({PAUSE_KEY});\n"
                f"    PERFORM pg_advisory_unlock_shared({PAUSE_KEY});\n" + PAUSE_AT)))
            cursor.execute("SELECT pg_advisory_lock(%s)", [PAUSE_KEY])

        def run() -> None:
            try:
                with tenant_context(tenant):
                    self.result = holds.hold_seats(**hold)
            except Exception as exc:
                self.result = exc
            finally:
                connections.close_all()

        self._thread = threading.Thread(target=run)
        self._thread.start()
        self._wait_until_paused()

    def _wait_until_paused(self) -> None:
        with connection.cursor() as cursor:
            for _ in range(3000):
                cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                               "AND objid = %s AND NOT granted", [PAUSE_KEY])
                if cursor.fetchone()[0]:
                    return
                self._thread.join(timeout=0.01)  # bounded wait for the other connection
                if not self._thread.is_alive():
                    return
        raise AssertionError("the hold never reached its pause")

    def go(self) -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [PAUSE_KEY])
        self._thread.join(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute(self._original)
        return self.result


@contextmanager
def trigger_disabled(table: str, trigger: str) -> Iterator[None]:
    """A control: the guard taken away for real (committed), put back afterwards."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")


def to_general(zone: Zone) -> Callable[[], int]:
    return lambda: Zone.objects.filter(pk=zone.pk).update(kind="general", capacity=10)


def seat_claims_in(zone: Zone) -> int:
    return ReservedTicket.objects.unfinished().filter(zone=zone, seat__isnull=False).count()


def hold_a1(setup, monkeypatch, tenant) -> HoldInThread:
    return HoldInThread(tenant, monkeypatch, user=user("guard1"), event_id=setup.event.pk,
                        seat_ids=setup.ids("A1"))


# --- A kind change in progress, and a hold --------------------------------------------


def test_a_hold_that_read_the_zone_before_a_kind_change_committed_is_refused(
        in_race, monkeypatch):
    setup = make_event(rows="A", seats_per_row=2)
    change = OpenTransaction(in_race, to_general(setup.zone)).start()
    hold = hold_a1(setup, monkeypatch, in_race)  # reads the zone: still numbered
    assert change.commit() == 1
    refused = hold.go()  # a 409 saying what changed under it
    assert getattr(refused, "code", None) == "catalogue_locked", refused
    assert "now general admission" in refused.message
    assert Zone.objects.get(pk=setup.zone.pk).kind == "general"
    assert seat_claims_in(setup.zone) == 0


def test_control_without_the_interlock_a_seat_is_held_in_a_general_admission_zone(
        in_race, monkeypatch):
    setup = make_event(rows="A", seats_per_row=2)
    with trigger_disabled("reservations_reservedticket",
                          "reserved_ticket_catalogue_interlock"):
        change = OpenTransaction(in_race, to_general(setup.zone)).start()
        hold = hold_a1(setup, monkeypatch, in_race)
        assert change.commit() == 1
        held = hold.go()
    assert not isinstance(held, Exception), held
    assert Zone.objects.get(pk=setup.zone.pk).kind == "general"
    assert seat_claims_in(setup.zone) == 1  # a numbered claim on 10 GA places: oversold


# --- A hold in progress, and a kind change ----------------------------------------------


def change_with_lock_timeout(write: Callable[[], int]) -> int:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '300ms'")
        return write()


def test_a_kind_change_waits_for_a_hold_in_progress_then_sees_it(in_race):
    setup = make_event(rows="A", seats_per_row=2)
    hold = OpenTransaction(in_race, lambda: holds.hold_seats(
        user=user("guard2"), event_id=setup.event.pk, seat_ids=setup.ids("A2"))).start()
    with pytest.raises(OperationalError, match="lock timeout"):
        change_with_lock_timeout(to_general(setup.zone))  # waits on the hold being written
    assert not isinstance(hold.commit(), Exception)
    with pytest.raises(DatabaseError, match="sold or held"):
        change_with_lock_timeout(to_general(setup.zone))
    assert Zone.objects.get(pk=setup.zone.pk).kind == "numbered"


def test_control_without_the_zone_guard_a_kind_change_slips_past_a_hold(in_race):
    setup = make_event(rows="A", seats_per_row=2)
    with trigger_disabled("sales_zone", "sales_zone_guard"):
        hold = OpenTransaction(in_race, lambda: holds.hold_seats(
            user=user("guard2"), event_id=setup.event.pk, seat_ids=setup.ids("A1"))).start()
        assert change_with_lock_timeout(to_general(setup.zone)) == 1
        assert not isinstance(hold.commit(), Exception)
    assert Zone.objects.get(pk=setup.zone.pk).kind == "general"
    assert seat_claims_in(setup.zone) == 1


# --- The event's currency ----------------------------------------------------------------


def test_a_hold_priced_before_a_currency_change_committed_is_refused(in_race, monkeypatch):
    setup = make_event(rows="A", seats_per_row=2, currency="USD")
    change = OpenTransaction(in_race, lambda: Event.objects.filter(pk=setup.event.pk)
                             .update(currency="VES")).start()
    hold = hold_a1(setup, monkeypatch, in_race)  # read the event: USD
    assert change.commit() == 1
    refused = hold.go()
    assert getattr(refused, "code", None) == "catalogue_locked", refused
    assert "currency is now VES" in refused.message
    assert not ReservedTicket.objects.unfinished().filter(event=setup.event).exists()


def test_a_currency_change_waits_for_a_hold_in_progress_then_sees_it(in_race):
    setup = make_event(rows="A", seats_per_row=2, currency="USD")
    hold = OpenTransaction(in_race, lambda: holds.hold_seats(
        user=user("guard2"), event_id=setup.event.pk, seat_ids=setup.ids("A2"))).start()

    def to_bolivares() -> int:
        return Event.objects.filter(pk=setup.event.pk).update(currency="VES")

    with pytest.raises(OperationalError, match="lock timeout"):
        change_with_lock_timeout(to_bolivares)
    assert not isinstance(hold.commit(), Exception)
    with pytest.raises(DatabaseError, match="its currency cannot change"):
        change_with_lock_timeout(to_bolivares)
