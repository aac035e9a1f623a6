"""The reservation jobs without a worker process: the tasks called in-process, the beat
dispatcher honouring each tenant's interval, snapshots, alerts, the bulk extension and the
operator API. (tests/test_celery_worker.py runs a real worker.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_tenants.utils import schema_context, tenant_context

from reservations import monitoring, tasks
from reservations.errors import InvalidBulkExtension
from reservations.models import (
    Alert,
    CleanupRun,
    HoldAttempt,
    ReservationStatsSnapshot,
    ReservedTicket,
    StatusChange,
)
from reservations.schedule import ENTRIES, ensure_beat_schedule
from reservations.services import extend_reservations, release_hold
from reservations.stats import reservation_stats
from sales.models import Transaction
from tenants.models import Tenant, TenantSettings
from tenants.services import update_tenant_settings
from tests.builders import change_tenant_settings, make_event, set_rate, user
from tests.conftest import api_client
from tests.ops_builders import hold, refused, reserve

START = timezone.now().replace(microsecond=0) + timedelta(days=1)


@pytest.fixture
def setup(in_alpha):
    set_rate()
    return make_event(rows="AB", seats_per_row=5)


def statuses(tx: Transaction) -> tuple[str, list[str]]:
    tx.refresh_from_db()
    return tx.status, sorted(tx.reserved_tickets.values_list("status", flat=True))


# --- cleanup --------------------------------------------------------------------------


def test_cleanup_task_records_expired_holds_and_reservations_and_twice_is_the_same(setup):
    with time_machine.travel(START, tick=False):
        short = hold(setup, "A1", "A2")
        kept = reserve(setup, "B1")
        live = hold(setup, "A3", now=START + timedelta(minutes=8))
    with time_machine.travel(START + timedelta(minutes=11), tick=False):
        first = tasks.cleanup_expired_reservations()
        assert first["alpha"]["holds_expired"] == 2
        assert first["alpha"]["transactions_expired"] == 1
        assert statuses(short) == ("expired", ["expired", "expired"])
        assert statuses(kept) == ("reserved", ["active"])
        assert statuses(live) == ("pending", ["active"])
        snapshot = list(ReservedTicket.objects.order_by("id").values_list("id", "status"))
        again = tasks.cleanup_expired_reservations()
        assert again["alpha"]["holds_expired"] == 0
        assert list(ReservedTicket.objects.order_by("id").values_list("id", "status")) == snapshot
        # The seats are free again for anyone.
        assert hold(setup, "A1", by="cashier2").status == "pending"
    with time_machine.travel(START + timedelta(hours=73), tick=False):
        tasks.cleanup_expired_reservations()
        assert statuses(kept) == ("expired", ["expired"])
        reason = StatusChange.objects.filter(
            transaction=kept, to_status="expired", subject="transaction").get().reason
        assert reason == StatusChange.Reason.EXPIRY
    runs = list(CleanupRun.objects.values_list("trigger", "status", "holds_expired"))
    assert ("task", "done", 2) in runs and ("task", "done", 0) in runs


def test_periodic_task_from_public_runs_every_tenant_and_survives_one_failing(
        tenants, db, monkeypatch):
    real = monitoring.run_cleanup

    def failing_in_alpha(**kwargs):
        if connection.schema_name == "alpha":
            raise RuntimeError("disk on fire")
        return real(**kwargs)

    monkeypatch.setattr(monitoring, "run_cleanup", failing_in_alpha)
    connection.set_schema_to_public()
    results = tasks.cleanup_expired_reservations()
    assert results["alpha"] == {"error": "disk on fire"}
    assert results["beta"]["holds_expired"] == 0
    with schema_context("beta"):
        assert CleanupRun.objects.filter(status="done").exists()


def test_dispatcher_honours_each_tenant_interval_and_its_changes(tenants, db, monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(tasks.cleanup_expired_reservations, "apply_async",
                        lambda **kw: sent.append(connection.schema_name))
    alpha_settings = TenantSettings.objects.get(tenant__schema_name="alpha")
    update_tenant_settings(tenant_settings=alpha_settings,
                           changes={"cleanup_interval_minutes": 5})
    change_tenant_settings(Tenant.objects.get(schema_name="beta"), cleanup_interval_minutes=1)

    def tick(minutes: int, seconds: int = 0) -> set[str]:
        sent.clear()
        when = START + timedelta(minutes=minutes, seconds=seconds)
        with time_machine.travel(when, tick=False):
            tasks.dispatch_cleanup()
        return set(sent) & {"alpha", "beta"}

    assert tick(0) == {"alpha", "beta"}
    assert tick(1) == {"beta"}
    assert tick(2, seconds=-1) == {"beta"}  # beat ticks a little early: still due
    assert tick(4) == {"beta"}
    assert tick(5) == {"alpha", "beta"}
    # A venue admin shortens the interval: honoured from the next tick, no restart.
    update_tenant_settings(tenant_settings=alpha_settings,
                           changes={"cleanup_interval_minutes": 2})
    assert tick(6) == {"beta"}
    assert tick(7) == {"alpha", "beta"}
    with schema_context("alpha"):
        assert CleanupRun.objects.filter(trigger="beat", status="queued").count() == 3


def test_beat_schedule_is_in_the_database_and_keeps_admin_edits(db):
    from pos.celery import app

    app.loader.import_default_modules()
    for name, (task, minutes) in ENTRIES.items():
        entry = PeriodicTask.objects.get(name=name)
        assert (entry.task, entry.interval.every, entry.enabled) == (task, minutes, True)
        assert task in app.tasks
    PeriodicTask.objects.filter(name="reservations: alerts").update(enabled=False)
    assert ensure_beat_schedule() == 0
    assert PeriodicTask.objects.get(name="reservations: alerts").enabled is False


# --- hold attempts, statistics, snapshots ---------------------------------------------


def test_hold_attempts_record_each_refused_seat(setup):
    hold(setup, "A1", "A2")
    refused(setup, "A2", "A3")
    rows = sorted(HoldAttempt.objects.values_list("seat__label", "outcome"))
    # Only the seat that was taken counts as refused; A3 was merely not held, and the
    # successful hold is recorded by its items, not here.
    assert rows == [("A2", "conflict")]


def test_stats_count_holds_reservations_ended_and_rates(setup):
    with time_machine.travel(START, tick=False):
        hold(setup, "A1")  # will expire: abandoned
        released = hold(setup, "A2")
        release_hold(user=user("cashier"), transaction_id=released.pk)  # abandoned
        reserve(setup, "B1")  # partial payment, 72 h
        expiring = reserve(setup, "B2")
        Transaction.objects.filter(pk=expiring.pk).update(
            payment_deadline=START + timedelta(minutes=30))
        ReservedTicket.objects.filter(transaction=expiring).update(
            reserved_until=START + timedelta(minutes=30))
        for _ in range(3):
            refused(setup, "B1")
    with time_machine.travel(START + timedelta(minutes=11), tick=False):
        tasks.cleanup_expired_reservations()
        hold(setup, "A4")
        row = reservation_stats(event_id=setup.event.pk)["events"][0]
    assert row["active_holds"] == 1
    assert row["live_reservations"] == 2
    assert row["expiring_within_1h"] == 1
    assert (row["completed"], row["expired"], row["cancelled"]) == (0, 1, 1)
    assert row["conversion_rate"] == 0.0
    # Four holds left PENDING: two became reservations, two were abandoned.
    assert (row["holds_ended"], row["holds_abandoned"], row["abandonment_rate"]) == (4, 2, 0.5)
    assert row["contested_seats"] == [
        {"seat": setup.seats["B1"].pk, "label": "B1", "conflicts": 3}]


def test_snapshot_stores_the_stats_once_per_period(setup, settings):
    settings.RESERVATION_OPERATIONS = {**settings.RESERVATION_OPERATIONS,
                                       "snapshot_period_minutes": 15}
    base = START.replace(minute=0, second=0)
    with time_machine.travel(base + timedelta(minutes=1), tick=False):
        hold(setup, "A1")
        tasks.snapshot_stats()
    with time_machine.travel(base + timedelta(minutes=2), tick=False):
        hold(setup, "A2")
        tasks.snapshot_stats()  # same period: replaces
    with time_machine.travel(base + timedelta(minutes=16), tick=False):
        tasks.snapshot_stats()
    rows = list(ReservationStatsSnapshot.objects.filter(event=setup.event)
                .order_by("taken_at").values_list("taken_at", "active_holds"))
    assert rows == [(base, 2), (base + timedelta(minutes=15), 0)]


# --- alerts ---------------------------------------------------------------------------


# The contested-seat alerts' windows are aligned on the clock (15 min: :00, :15, ...).
WINDOW = START.replace(minute=0, second=0)


def test_contested_seat_alert_is_raised_once_acknowledged_and_resolved(setup, alpha):
    with time_machine.travel(WINDOW + timedelta(minutes=2), tick=False):
        hold(setup, "A1")
        for _ in range(3):
            refused(setup, "A1")
        assert tasks.refresh_alerts()["alpha"]["opened"] == 1
        assert tasks.refresh_alerts()["alpha"] == {"opened": 0, "still_open": 1, "resolved": 0}
        alert = Alert.objects.get(kind="contested_seat")
        local = timezone.localtime(WINDOW)
        assert alert.message == (
            f"Seat A1 ({setup.event.name}) was refused to cashiers 3 times between "
            f"{local:%H:%M} and {local + timedelta(minutes=15):%H:%M}.")
    with time_machine.travel(WINDOW + timedelta(minutes=3), tick=False):
        operator = api_client(alpha, "operator")
        response = operator.post(f"/api/reservations/alerts/{alert.pk}/acknowledge/")
        assert response.status_code == 200
        assert (response.json()["status"], response.json()["acknowledged_by"]) == (
            "acknowledged", "operator")
        assert operator.post(f"/api/reservations/alerts/{alert.pk}/acknowledge/").json()[
            "status"] == "acknowledged"
        with schema_context("alpha"):
            tasks.refresh_alerts()
            assert Alert.objects.get(pk=alert.pk).status == "acknowledged"
    with time_machine.travel(WINDOW + timedelta(minutes=20), tick=False), \
            schema_context("alpha"):
        assert tasks.refresh_alerts()["alpha"]["resolved"] == 1
        assert Alert.objects.get(pk=alert.pk).status == "resolved"
    again = api_client(alpha, "operator").post(
        f"/api/reservations/alerts/{alert.pk}/acknowledge/")
    assert again.status_code == 409 and "already resolved" in again.json()["detail"]


def _refuse_seats_in_bulk(setup, labels: list[str], times: int, at) -> None:
    """`times` refused hold attempts on each seat at `at` (as the hold function records
    them), without a hold request each."""
    HoldAttempt.objects.bulk_create([
        HoldAttempt(event=setup.event, seat=setup.seats[label], user=user("cashier2"),
                    outcome=HoldAttempt.Outcome.CONFLICT, created_at=at)
        for label in labels for _ in range(times)])


def test_a_rush_on_77_seats_is_one_alert_per_event_and_window_naming_the_count(setup):
    rush = make_event(rows="ABCDEFGH", seats_per_row=10)
    labels = sorted(rush.seats)[:77]
    with time_machine.travel(WINDOW + timedelta(minutes=1), tick=False):
        hold(rush, "A1")
        for _ in range(5):
            refused(rush, "A1")  # the most contested: 5 refusals through the service
        _refuse_seats_in_bulk(rush, labels[1:], 3, timezone.now())
        _refuse_seats_in_bulk(rush, ["H7"], 2, timezone.now())  # below 3: not counted
        _refuse_seats_in_bulk(setup, ["A1"], 3, timezone.now())  # another event: its own
        assert tasks.refresh_alerts()["alpha"]["opened"] == 2
        alert = Alert.objects.get(kind="contested_seat", event=rush.event)
    local = timezone.localtime(WINDOW)
    assert alert.message == (
        f"77 seats of {rush.event.name} were refused to cashiers 3 or more times each "
        f"between {local:%H:%M} and {local + timedelta(minutes=15):%H:%M} (233 refusals); "
        "most: A1×5, A10×3, A2×3, A3×3, A4×3.")
    data = alert.data
    assert (data["seats_contested"], data["refusals"], data["window_minutes"]) == (77, 233, 15)
    assert data["window_start"] == WINDOW.isoformat()
    assert (data["seat"], data["label"], data["conflicts"]) == (rush.seats["A1"].pk, "A1", 5)
    assert len(data["seats"]) == 10 and data["seats"][0]["label"] == "A1"

    # Later in the same window: still that one alert, with the new figures.
    with time_machine.travel(WINDOW + timedelta(minutes=9), tick=False):
        _refuse_seats_in_bulk(rush, ["H8"], 4, timezone.now())
        assert tasks.refresh_alerts()["alpha"]["opened"] == 0
        assert Alert.objects.get(pk=alert.pk).data["seats_contested"] == 78
        # Refusals in the last minutes of the window, after the last run...
        _refuse_seats_in_bulk(rush, ["H9"], 3, WINDOW + timedelta(minutes=14, seconds=50))
    # ...are counted when the next window's first run closes the alert.
    with time_machine.travel(WINDOW + timedelta(minutes=16), tick=False):
        _refuse_seats_in_bulk(rush, ["C5"], 3, timezone.now())
        counts = tasks.refresh_alerts()["alpha"]
        assert (counts["opened"], counts["resolved"]) == (1, 2)
        closed = Alert.objects.get(pk=alert.pk)
        assert (closed.status, closed.data["seats_contested"]) == ("resolved", 79)
        new = Alert.objects.get(kind="contested_seat", status="open")
        assert new.event_id == rush.event.pk and new.message.startswith("Seat C5 (")
        assert new.data["window_start"] == (WINDOW + timedelta(minutes=15)).isoformat()


def test_contested_seat_thresholds_are_settings(setup, settings):
    settings.RESERVATION_OPERATIONS = {**settings.RESERVATION_OPERATIONS,
                                       "alert_contested_min_conflicts": 2,
                                       "alert_contested_min_seats": 3,
                                       "alert_contested_seats_shown": 2,
                                       "alert_contested_window_minutes": 30}
    with time_machine.travel(WINDOW + timedelta(minutes=20), tick=False):
        _refuse_seats_in_bulk(setup, ["A1", "A2"], 2, timezone.now())
        tasks.refresh_alerts()
        assert not Alert.objects.filter(kind="contested_seat").exists()  # 2 seats of 3
        _refuse_seats_in_bulk(setup, ["A3"], 2, timezone.now())
        tasks.refresh_alerts()
        alert = Alert.objects.get(kind="contested_seat")
    assert alert.data["seats_contested"] == 3 and len(alert.data["seats"]) == 2
    assert alert.data["window_minutes"] == 30
    assert "refused to cashiers 2 or more times each" in alert.message


def test_payment_deadline_alert_within_the_hour_until_the_reservation_ends(setup):
    with time_machine.travel(START, tick=False):
        tx = reserve(setup, "A1")
        tasks.refresh_alerts()
        assert not Alert.objects.filter(kind="payment_deadline").exists()
    with time_machine.travel(START + timedelta(hours=71, minutes=15), tick=False):
        tasks.refresh_alerts()
        alert = Alert.objects.get(kind="payment_deadline")
        assert alert.message == (f"Reservation {tx.pk} ({setup.event.name}) expires in 45 min "
                                 "unless it is paid off.")
    with time_machine.travel(START + timedelta(hours=72, minutes=1), tick=False):
        tasks.refresh_alerts()
        assert Alert.objects.get(pk=alert.pk).status == "resolved"


def test_high_abandonment_alert_needs_enough_holds_and_a_high_rate(setup):
    with time_machine.travel(START, tick=False):
        make = make_event(rows="C", seats_per_row=12)
        for index in range(1, 11):
            tx = hold(make, f"C{index}")
            if index <= 7:
                release_hold(user=user("cashier"), transaction_id=tx.pk)
        tasks.refresh_alerts()
        assert not Alert.objects.filter(kind="high_abandonment").exists()  # 7 of 7 ended
    with time_machine.travel(START + timedelta(minutes=11), tick=False):
        tasks.cleanup_expired_reservations()  # the other three holds expired
        tasks.refresh_alerts()
        alert = Alert.objects.get(kind="high_abandonment")
        assert alert.event_id == make.event.pk
        assert alert.data["holds_ended"] == 10 and alert.data["holds_abandoned"] == 10


def test_alerts_api_lists_for_operators_and_refuses_cashiers(setup, alpha):
    with time_machine.travel(START, tick=False):
        reserve(setup, "A1")
    with time_machine.travel(START + timedelta(hours=71, minutes=30), tick=False):
        tasks.refresh_alerts()
    body = api_client(alpha, "operator").get("/api/reservations/alerts/?status=open").json()
    assert [a["kind"] for a in body["results"]] == ["payment_deadline"]
    assert api_client(alpha, "admin").get("/api/reservations/alerts/").status_code == 200
    assert api_client(alpha, "cashier").get("/api/reservations/alerts/").status_code == 403
    bad = api_client(alpha, "operator").get("/api/reservations/alerts/?status=nope")
    assert bad.status_code == 400


# --- bulk extension -------------------------------------------------------------------


def test_bulk_extension_moves_deadline_and_seats_and_records_who(setup):
    with time_machine.travel(START, tick=False):
        tx = reserve(setup, "A1", "A2")
        pending = hold(setup, "B1")
        result = extend_reservations(hours=24, actor=user("operator"), job_id="j1")
    assert (result["reservations"], result["tickets"]) == (1, 2)
    tx.refresh_from_db()
    assert tx.payment_deadline == START + timedelta(hours=72 + 24)
    assert set(tx.reserved_tickets.values_list("reserved_until", flat=True)) == {
        START + timedelta(hours=96)}
    assert pending.reserved_tickets.get().reserved_until == START + timedelta(minutes=10)
    audit = StatusChange.objects.get(transaction=tx, reason="bulk_extension")
    assert audit.actor == user("operator") and audit.created_at == START
    assert "+24 h by operator" in audit.note
    # The same job again (a redelivered task) is reported, not applied twice.
    with time_machine.travel(START, tick=False):
        replay = extend_reservations(hours=24, actor=user("operator"), job_id="j1")
    assert replay["replayed"] is True
    tx.refresh_from_db()
    assert tx.payment_deadline == START + timedelta(hours=96)


def test_bulk_extension_filters_and_dry_run(setup):
    other = make_event(rows="C", seats_per_row=2)
    with time_machine.travel(START, tick=False):
        near = reserve(setup, "A1")
        far = reserve(setup, "A2", now=START + timedelta(hours=10))
        elsewhere = reserve(other, "C1")
    with time_machine.travel(START + timedelta(hours=70), tick=False):
        preview = extend_reservations(hours=5, event_id=setup.event.pk, expiring_within=3,
                                      dry_run=True)
        assert (preview["reservations"], preview["tickets"]) == (1, 1)
        assert not StatusChange.objects.filter(reason="bulk_extension").exists()
        extend_reservations(hours=5, event_id=setup.event.pk, expiring_within=3)
    deadlines = {t.pk: t.payment_deadline for t in Transaction.objects.filter(
        pk__in=[near.pk, far.pk, elsewhere.pk])}
    assert deadlines[near.pk] == START + timedelta(hours=77)
    assert deadlines[far.pk] == START + timedelta(hours=82)
    assert deadlines[elsewhere.pk] == START + timedelta(hours=72)


@pytest.mark.parametrize("hours, message", [
    (0, "positive whole number"), (-3, "positive whole number"),
    (10_000, "at most 720 hours"),
])
def test_bulk_extension_refuses_absurd_hours(setup, hours, message):
    with pytest.raises(InvalidBulkExtension, match=message):
        extend_reservations(hours=hours)


def test_extend_api_for_operators_only_and_400_on_bad_input(setup, alpha):
    with tenant_context(alpha.tenant):
        reserve(setup, "A1")
    operator = api_client(alpha, "operator")
    preview = operator.post("/api/reservations/extend/", {"hours": 24, "dry_run": True},
                            format="json")
    assert preview.status_code == 200
    assert preview.json()["reservations"] == 1 and preview.json()["dry_run"] is True
    # Without dry_run it is a background job: tests/test_extend_job.py.
    assert operator.post("/api/reservations/extend/", {"hours": 0},
                         format="json").status_code == 400
    missing = operator.post("/api/reservations/extend/", {"hours": 2, "event": 999999},
                            format="json")
    assert missing.status_code == 400 and "does not exist" in missing.json()["detail"]
    assert api_client(alpha, "cashier").post("/api/reservations/extend/", {"hours": 1},
                                             format="json").status_code == 403
