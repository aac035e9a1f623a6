"""Writes of the reservation jobs: cleanup runs, statistics snapshots, alerts, history
pruning. The rules about holds stay in reservations.services (expiry is
`expire_stale_holds`); this module calls them and keeps the operational record that the
admin and the API show. Every function works in the schema the connection is set to."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from reservations.errors import AlertNotFound, AlertResolved
from reservations.lock_objects import lock_alert, lock_unresolved_alerts
from reservations.models import (
    Alert,
    CleanupRun,
    HoldAttempt,
    ReservationStatsSnapshot,
    ReservedTicket,
)
from reservations.services import expire_stale_holds
from reservations.stats import contested_seats, holds_left_by_event, reservation_stats
from sales.models import Event, Transaction
from tenants.services import current_tenant_settings

logger = structlog.get_logger(__name__)

# Beat ticks the dispatcher every minute and the tick may land a little early or late:
# a tenant is due this much before its interval has fully elapsed, so a 5-minute interval
# runs every 5 minutes, not every 6.
DISPATCH_SLACK = timedelta(seconds=30)
PRUNE_BATCH = 10_000


def ops(name: str) -> Any:
    return settings.RESERVATION_OPERATIONS[name]


# --- Cleanup ------------------------------------------------------------------------


def claim_due_cleanup(*, now: datetime | None = None) -> CleanupRun | None:
    """A queued CleanupRun if this schema's `cleanup_interval_minutes` has elapsed since
    the last run (of any trigger), else None. Read every time, so a changed interval is
    honoured at the next beat tick."""
    now = now or timezone.now()
    interval = timedelta(minutes=current_tenant_settings().cleanup_interval_minutes)
    last = CleanupRun.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is not None and now - last < interval - DISPATCH_SLACK:
        return None
    return CleanupRun.objects.create(trigger=CleanupRun.Trigger.BEAT, created_at=now)


def run_cleanup(
    *, trigger: str, run_id: int | None = None, now: datetime | None = None,
    batch_size: int = 1000,
) -> dict[str, int]:
    """Record EXPIRED on every hold and partial-payment reservation past its time in this
    schema (`expire_stale_holds`, batched, idempotent), and keep a CleanupRun saying when
    and how many. A redelivered or repeated run finds nothing left to do."""
    now = now or timezone.now()
    run = CleanupRun.objects.filter(pk=run_id).first() if run_id else None
    if run is None:
        run = CleanupRun.objects.create(trigger=trigger, created_at=now)
    CleanupRun.objects.filter(pk=run.pk).update(status=CleanupRun.Status.RUNNING, started_at=now)
    try:
        counts = expire_stale_holds(now=now, batch_size=batch_size)
    except Exception as exc:
        CleanupRun.objects.filter(pk=run.pk).update(
            status=CleanupRun.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000])
        raise
    CleanupRun.objects.filter(pk=run.pk).update(
        status=CleanupRun.Status.DONE, finished_at=timezone.now(),
        holds_expired=counts["holds_expired"],
        transactions_expired=counts["transactions_expired"],
    )
    return {**counts, "run": run.pk}


# --- Statistics snapshots -----------------------------------------------------------


def _period_start(now: datetime, minutes: int) -> datetime:
    seconds = minutes * 60
    return datetime.fromtimestamp(now.timestamp() // seconds * seconds, tz=now.tzinfo)


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def take_stats_snapshot(*, now: datetime | None = None) -> int:
    """Store this period's statistics of every listed event (one row per event and
    period; a second run in the same period replaces the rows). Returns the row count."""
    now = now or timezone.now()
    window = ops("stats_window_hours")
    taken_at = _period_start(now, ops("snapshot_period_minutes"))
    stats = reservation_stats(now=now, window_hours=window)
    with transaction.atomic():
        for row in stats["events"]:
            ReservationStatsSnapshot.objects.update_or_create(
                event_id=row["event"], taken_at=taken_at,
                defaults={
                    "window_hours": window,
                    "active_holds": row["active_holds"],
                    "live_reservations": row["live_reservations"],
                    "expiring_soon": row["expiring_within_1h"],
                    "completed": row["completed"],
                    "expired": row["expired"],
                    "cancelled": row["cancelled"],
                    "conversion_rate": _decimal(row["conversion_rate"]),
                    "abandonment_rate": _decimal(row["abandonment_rate"]),
                    "contested_seats": row["contested_seats"],
                    "created_at": now,
                },
            )
    return len(stats["events"])


# --- Alerts -------------------------------------------------------------------------


def _deadline_alerts(now: datetime) -> dict[str, dict[str, Any]]:
    minutes = ops("alert_deadline_minutes")
    found = {}
    for tx_id, event_id, event_name, until in (
        ReservedTicket.objects.live(now)
        .filter(transaction__status=Transaction.Status.RESERVED,
                reserved_until__lte=now + timedelta(minutes=minutes))
        .values("transaction_id", "event_id", "event__name")
        .annotate(until=Min("reserved_until"))
        .values_list("transaction_id", "event_id", "event__name", "until")
    ):
        left = math.ceil((until - now).total_seconds() / 60)
        found[f"deadline:{tx_id}"] = {
            "kind": Alert.Kind.PAYMENT_DEADLINE, "event_id": event_id,
            "message": f"Reservation {tx_id} ({event_name}) expires in {left} min "
                       "unless it is paid off.",
            "data": {"transaction": tx_id, "expires_at": until.isoformat()},
        }
    return found


def _contested_window(now: datetime) -> tuple[datetime, datetime]:
    """The fixed window `now` falls in: `alert_contested_window_minutes` long, aligned on
    the clock (15 min: :00, :15, :30, :45)."""
    minutes = ops("alert_contested_window_minutes")
    start = _period_start(now, minutes)
    return start, start + timedelta(minutes=minutes)


def _contested_alerts(now: datetime, *, window_start: datetime | None = None
                      ) -> dict[str, dict[str, Any]]:
    """Contested seats, one alert per event and fixed time window (not one per seat: a
    rush on an event's seats once raised 77 alerts in 15 minutes). An event's alert is
    raised when at least `alert_contested_min_seats` of its seats were each refused to a
    cashier at least `alert_contested_min_conflicts` times in the window; it names how
    many seats and refusals, and the `alert_contested_seats_shown` most contested seats.
    `window_start`: that window (up to its end) instead of the one `now` is in."""
    minutes = ops("alert_contested_window_minutes")
    min_conflicts = ops("alert_contested_min_conflicts")
    shown = ops("alert_contested_seats_shown")
    start = window_start or _contested_window(now)[0]
    end = start + timedelta(minutes=minutes)
    contested = {
        event_id: seats
        for event_id, seats in contested_seats(since=start - timedelta(microseconds=1),
                                               now=min(now, end - timedelta(microseconds=1)),
                                               min_conflicts=min_conflicts).items()
        if len(seats) >= ops("alert_contested_min_seats")
    }
    names = dict(Event.objects.filter(pk__in=list(contested)).values_list("id", "name"))
    between = f"between {timezone.localtime(start):%H:%M} and {timezone.localtime(end):%H:%M}"
    found = {}
    for event_id, seats in contested.items():
        event = names.get(event_id, event_id)
        refusals = sum(seat["conflicts"] for seat in seats)
        if len(seats) == 1:
            message = (f"Seat {seats[0]['label']} ({event}) was refused to cashiers "
                       f"{seats[0]['conflicts']} times {between}.")
        else:
            most = ", ".join(f"{seat['label']}×{seat['conflicts']}" for seat in seats[:5])
            message = (f"{len(seats)} seats of {event} were refused to cashiers "
                       f"{min_conflicts} or more times each {between} ({refusals} "
                       f"refusals); most: {most}.")
        found[f"contested:{event_id}:{start.astimezone(UTC):%Y%m%dT%H%MZ}"] = {
            "kind": Alert.Kind.CONTESTED_SEAT, "event_id": event_id, "message": message,
            "data": {
                # The most contested seat, as the alert of one seat said it.
                **seats[0],
                "window_minutes": minutes,
                "window_start": start.isoformat(), "window_end": end.isoformat(),
                "min_conflicts": min_conflicts,
                "seats_contested": len(seats), "refusals": refusals,
                "seats": seats[:shown],
            },
        }
    return found


def _abandonment_alerts(now: datetime) -> dict[str, dict[str, Any]]:
    hours = ops("alert_abandonment_window_hours")
    threshold = ops("alert_abandonment_threshold")
    left = holds_left_by_event(since=now - timedelta(hours=hours), now=now)
    names = dict(Event.objects.filter(pk__in=list(left)).values_list("id", "name"))
    found = {}
    for event_id, (ended, abandoned) in left.items():
        if ended < ops("alert_abandonment_min_holds") or abandoned / ended <= threshold:
            continue
        found[f"abandonment:{event_id}"] = {
            "kind": Alert.Kind.HIGH_ABANDONMENT, "event_id": event_id,
            "message": f"{abandoned} of {ended} holds for {names.get(event_id, event_id)} "
                       f"were abandoned in the last {hours} h "
                       f"({abandoned / ended:.0%}, threshold {threshold:.0%}).",
            "data": {"holds_ended": ended, "holds_abandoned": abandoned,
                     "rate": round(abandoned / ended, 4), "window_hours": hours},
        }
    return found


def refresh_alerts(*, now: datetime | None = None) -> dict[str, int]:
    """Raise an alert for each condition that holds now (partial payments expiring within
    the hour, an event's seats refused several times in this time window, events whose
    abandonment rate is above the threshold); keep one alert per condition (acknowledged
    ones stay acknowledged) and resolve those whose condition has passed (a contested-seat
    alert: once its window is over). Idempotent."""
    now = now or timezone.now()
    wanted = {**_deadline_alerts(now), **_contested_alerts(now), **_abandonment_alerts(now)}
    # The contested-seat window that just ended, whole: its alerts get the refusals made
    # since the last run, then are resolved (the next window raises its own).
    minutes = ops("alert_contested_window_minutes")
    ended = _contested_alerts(
        now, window_start=_contested_window(now)[0] - timedelta(minutes=minutes))
    with transaction.atomic():
        existing = {a.key: a for a in lock_unresolved_alerts()}
        for key, alert in existing.items():
            spec = wanted.get(key) or ended.get(key)
            if spec is not None:
                alert.message = spec["message"][:300]
                alert.data = spec["data"]
                alert.last_seen_at = now
        Alert.objects.bulk_update([a for k, a in existing.items()
                                   if k in wanted or k in ended],
                                  ["message", "data", "last_seen_at"])
        gone = [a.pk for k, a in existing.items() if k not in wanted]
        resolved = Alert.objects.filter(pk__in=gone).update(status=Alert.Status.RESOLVED,
                                                            resolved_at=now)
        # ON CONFLICT DO NOTHING: a concurrent run that raised the same alert wins.
        created = Alert.objects.bulk_create(
            [Alert(key=key, kind=spec["kind"], event_id=spec["event_id"],
                   message=spec["message"][:300], data=spec["data"], created_at=now,
                   last_seen_at=now)
             for key, spec in wanted.items() if key not in existing],
            ignore_conflicts=True,
        )
    counts = {"opened": len(created), "still_open": len(wanted) - len(created),
              "resolved": resolved}
    logger.info("alerts.refreshed", **counts)
    return counts


def acknowledge_alert(
    *, alert_id: int, user: AbstractBaseUser, now: datetime | None = None
) -> Alert:
    """Mark an alert as seen by `user`. Acknowledging twice changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        alert = lock_alert(alert_id)
        if alert is None:
            raise AlertNotFound()
        if alert.status == Alert.Status.RESOLVED:
            raise AlertResolved(f"Alert {alert_id} is already resolved.")
        if alert.status == Alert.Status.OPEN:
            alert.status = Alert.Status.ACKNOWLEDGED
            alert.acknowledged_at = now
            alert.acknowledged_by = user
            alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    logger.info("alert.acknowledged", alert=alert_id, by=user.pk)
    return alert


# --- History -------------------------------------------------------------------------


def prune_history(*, now: datetime | None = None) -> dict[str, int]:
    """Delete hold attempts, cleanup runs and resolved alerts older than the retention
    period, in batches (snapshots are kept: they are the trends)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=ops("history_retention_days"))
    deleted = {}
    for name, queryset in (
        ("hold_attempts", HoldAttempt.objects.filter(created_at__lt=cutoff)),
        ("cleanup_runs", CleanupRun.objects.filter(created_at__lt=cutoff)),
        ("alerts", Alert.objects.filter(status=Alert.Status.RESOLVED, resolved_at__lt=cutoff)),
    ):
        total = 0
        while True:
            ids = list(queryset.order_by().values_list("id", flat=True)[:PRUNE_BATCH])
            if not ids:
                break
            total += queryset.model.objects.filter(id__in=ids).delete()[0]
        deleted[name] = total
    return deleted
