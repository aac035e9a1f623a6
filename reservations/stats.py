"""Reads for operators: the reservation statistics of the current schema.

`reservation_stats` is what the `reservation_stats` command prints, what
`GET /api/reservations/stats/` answers and what the stats job stores as snapshots. A
fixed number of grouped queries whatever the number of events (no N+1)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from pos.replica import stale_reads_ok
from reservations.models import Alert, HoldAttempt, ReservedTicket, StatusChange
from sales.models import Event, Transaction

EXPIRING_SOON = timedelta(hours=1)
CONTESTED_SHOWN = 5
ENDED = (Transaction.Status.COMPLETED, Transaction.Status.EXPIRED, Transaction.Status.CANCELLED)
COUNTERS = ("active_holds", "live_reservations", "expiring_within_1h", "completed", "expired",
            "cancelled", "holds_ended", "holds_abandoned")


def rate(part: int, whole: int) -> float | None:
    """A ratio rounded to 4 places, or None when there is nothing to divide."""
    if not whole:
        return None
    return float((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def _count_transactions_by_event(queryset) -> dict[int, int]:
    return dict(
        queryset.values("event_id").annotate(n=Count("transaction_id", distinct=True))
        .values_list("event_id", "n")
    )


def _ended_by_event(since: datetime, now: datetime) -> dict[int, dict[str, int]]:
    """Transactions that reached an end state in the window, by event and state."""
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for event_id, status, n in (
        StatusChange.objects.filter(subject=StatusChange.Subject.TRANSACTION,
                                    to_status__in=ENDED, created_at__gt=since,
                                    created_at__lte=now)
        .values("transaction__event_id", "to_status")
        .annotate(n=Count("transaction_id", distinct=True))
        .values_list("transaction__event_id", "to_status", "n")
    ):
        found[event_id][status] = n
    return found


def holds_left_by_event(*, since: datetime, now: datetime) -> dict[int, tuple[int, int]]:
    """Per event: holds (PENDING transactions) that ended in the window, and how many of
    them were abandoned (expired or released instead of paid, fully or partly)."""
    rows = (
        StatusChange.objects.filter(subject=StatusChange.Subject.TRANSACTION,
                                    from_status=Transaction.Status.PENDING,
                                    created_at__gt=since, created_at__lte=now)
        .values("transaction__event_id")
        .annotate(
            ended=Count("transaction_id", distinct=True),
            abandoned=Count("transaction_id", distinct=True, filter=Q(
                to_status__in=[Transaction.Status.EXPIRED, Transaction.Status.CANCELLED])),
        )
        .values_list("transaction__event_id", "ended", "abandoned")
    )
    return {event_id: (ended, abandoned) for event_id, ended, abandoned in rows}


def contested_seats(
    *, since: datetime, now: datetime, event_ids: list[int] | None = None,
    min_conflicts: int = 1,
) -> dict[int, list[dict[str, Any]]]:
    """Per event, the seats most often refused to a cashier because someone held them."""
    attempts = HoldAttempt.objects.filter(
        outcome=HoldAttempt.Outcome.CONFLICT, seat__isnull=False,
        created_at__gt=since, created_at__lte=now,
    )
    if event_ids is not None:
        attempts = attempts.filter(event_id__in=event_ids)
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event_id, seat_id, label, n in (
        attempts.values("event_id", "seat_id", "seat__label")
        .annotate(n=Count("id"))
        .filter(n__gte=min_conflicts)
        .order_by("event_id", "-n", "seat__label")
        .values_list("event_id", "seat_id", "seat__label", "n")
    ):
        found[event_id].append({"seat": seat_id, "label": label, "conflicts": n})
    return found


def _figures(counts: dict[str, int]) -> dict[str, Any]:
    ended = counts["completed"] + counts["expired"] + counts["cancelled"]
    return {
        "active_holds": counts["active_holds"],
        "live_reservations": counts["live_reservations"],
        "expiring_within_1h": counts["expiring_within_1h"],
        "completed": counts["completed"],
        "expired": counts["expired"],
        "cancelled": counts["cancelled"],
        "conversion_rate": rate(counts["completed"], ended),
        "holds_ended": counts["holds_ended"],
        "holds_abandoned": counts["holds_abandoned"],
        "abandonment_rate": rate(counts["holds_abandoned"], counts["holds_ended"]),
    }


@stale_reads_ok()  # figures for people: the hot standby may serve them
def reservation_stats(
    *, now: datetime | None = None, window_hours: int = 24, event_id: int | None = None,
) -> dict[str, Any]:
    """The statistics of the current schema, per event and in total.

    Per event: live holds (PENDING transactions) and live partial-payment reservations
    (RESERVED) now, how many reservations expire within 1 h; transactions completed,
    expired and cancelled in the last `window_hours`; conversion = completed ÷ all that
    ended; abandonment = holds that ended expired or released ÷ holds that ended; the most
    contested seats (refused hold attempts) in the window. Events listed: the one asked
    for, or every event on sale plus any other with activity in the window."""
    now = now or timezone.now()
    since = now - timedelta(hours=window_hours)
    live = ReservedTicket.objects.live(now)
    if event_id is not None:
        live = live.filter(event_id=event_id)
    pending = _count_transactions_by_event(
        live.filter(transaction__status=Transaction.Status.PENDING))
    reserved_live = live.filter(transaction__status=Transaction.Status.RESERVED)
    reserved = _count_transactions_by_event(reserved_live)
    expiring = _count_transactions_by_event(
        reserved_live.filter(reserved_until__lte=now + EXPIRING_SOON))
    ended = _ended_by_event(since, now)
    holds_left = holds_left_by_event(since=since, now=now)
    contested = contested_seats(since=since, now=now,
                                event_ids=[event_id] if event_id is not None else None)

    events = Event.objects.all()
    if event_id is not None:
        events = events.filter(pk=event_id)
    else:
        active = set(pending) | set(reserved) | set(ended) | set(holds_left) | set(contested)
        events = events.filter(Q(status=Event.Status.ON_SALE) | Q(pk__in=active))
    rows = []
    totals = dict.fromkeys(COUNTERS, 0)
    for event in events.order_by("starts_at", "id"):
        counts = {
            "active_holds": pending.get(event.pk, 0),
            "live_reservations": reserved.get(event.pk, 0),
            "expiring_within_1h": expiring.get(event.pk, 0),
            "completed": ended.get(event.pk, {}).get(Transaction.Status.COMPLETED, 0),
            "expired": ended.get(event.pk, {}).get(Transaction.Status.EXPIRED, 0),
            "cancelled": ended.get(event.pk, {}).get(Transaction.Status.CANCELLED, 0),
            "holds_ended": holds_left.get(event.pk, (0, 0))[0],
            "holds_abandoned": holds_left.get(event.pk, (0, 0))[1],
        }
        for name in COUNTERS:
            totals[name] += counts[name]
        rows.append({
            "event": event.pk,
            "name": event.name,
            "starts_at": event.starts_at.isoformat(),
            **_figures(counts),
            "contested_seats": contested.get(event.pk, [])[:CONTESTED_SHOWN],
        })
    return {
        "schema": connection.schema_name,
        "events": rows,
        "totals": _figures(totals),
    }


def stats_report(
    *, tenant_blocks: list[dict[str, Any]], now: datetime, window_hours: int,
) -> dict[str, Any]:
    """The envelope the command prints with `--format json` and the API answers."""
    return {"generated_at": now.isoformat(), "window_hours": window_hours,
            "tenants": tenant_blocks}


def alert_list(*, status: str | None = None):
    """Alerts, newest first; `status` narrows (open, acknowledged, resolved)."""
    alerts = Alert.objects.select_related("event", "acknowledged_by")
    return alerts.filter(status=status) if status else alerts
