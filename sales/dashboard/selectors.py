"""Reads of the dashboard (venue admins and operators): one event's occupancy, sales per
hour, revenue and holds; one fiscal day's X figures.

Each figure is taken from the reader that already computes it elsewhere, so the dashboard
and the till's reports cannot disagree: seat states from the availability
(reservations.selectors.seat_map_states), revenue summed by fiscal's `document_totals` (the
X/Z reports' own sum of payments, net of change), the day from fiscal's `x_report`. A
fixed number of queries whatever the size of the event (no N+1)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from fiscal.models import DocumentKind, FiscalDocument
from fiscal.selectors import document_totals, x_report
from pos.replica import stale_reads_ok
from reservations.models import ReservedTicket, StatusChange
from reservations.selectors import seat_map_states
from reservations.stats import rate
from sales.dashboard.errors import EventNotFound
from sales.models import Event, Refund, Transaction, Zone
from tenants.services import current_time_zone

# A seat's (or GA unit's) state on the dashboard, in the order the legend shows them.
SOLD, RESERVED, HELD, FREE, BLOCKED = "sold", "reserved", "held", "free", "blocked"
STATES = (SOLD, RESERVED, HELD, FREE, BLOCKED)
# The availability's states (what the till's map shows) → the dashboard's: a partly paid
# reservation is `reserved`, a cashier's live hold `held`.
FROM_AVAILABILITY = {"sold": SOLD, "reserved_partial": RESERVED, "reserved": HELD,
                     "available": FREE, "blocked": BLOCKED}
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Sold then refunded by a credit note: sold at that hour all the same.
WERE_SOLD = (ReservedTicket.Status.COMPLETED, ReservedTicket.Status.REFUNDED)


def dashboard_event(event_id: int) -> Event:
    event = Event.objects.filter(pk=event_id).select_related("venue").first()
    if event is None:
        raise EventNotFound(event=event_id)
    return event


EVENT_PARTS = ("occupancy", "sales_per_hour", "revenue", "holds")


@stale_reads_ok()  # the hot standby may serve it (pos.replica)
def event_dashboard(*, event_id: int, now: datetime | None = None,
                    parts: Collection[str] = EVENT_PARTS) -> dict[str, Any]:
    """What the dashboard shows of one event, as of `now`: every part (13 queries, whatever
    the number of seats, sales and documents), or only those named in `parts` (a chart
    draws one)."""
    now = now or timezone.now()
    event = dashboard_event(event_id)
    tz = current_time_zone()
    readers = {
        "occupancy": lambda: occupancy(event=event, now=now),
        "sales_per_hour": lambda: sales_per_hour(event=event, tz=tz),
        "revenue": lambda: event_revenue(event=event),
        "holds": lambda: hold_outcomes(event=event, now=now),
    }
    return {
        "event": {"id": event.pk, "name": event.name, "venue": event.venue.name,
                  "starts_at": event.starts_at.astimezone(tz).isoformat(),
                  "currency": event.currency, "status": event.status},
        "time_zone": tz.key,
        "generated_at": now.astimezone(tz).isoformat(),
        **{part: readers[part]() for part in EVENT_PARTS if part in parts},
    }


def _counts() -> dict[str, int]:
    return dict.fromkeys(STATES, 0)


def _ga_units(zone_ids: list[int], now: datetime) -> dict[int, dict[str, int]]:
    """Units of each general-admission zone sold, reserved (partly paid) and held now: the
    same claims `ga_claimed_by_zone` counts for the availability, split by state."""
    units: dict[int, dict[str, int]] = defaultdict(_counts)
    for zone_id, status, tx_status, n in (
        ReservedTicket.objects.claiming(now)
        .filter(zone_id__in=zone_ids, seat__isnull=True)
        .values("zone_id", "status", "transaction__status")
        .annotate(n=Sum("quantity"))
        .values_list("zone_id", "status", "transaction__status", "n")
    ):
        if status == ReservedTicket.Status.COMPLETED:
            state = SOLD
        elif tx_status == Transaction.Status.RESERVED:
            state = RESERVED
        else:
            state = HELD
        units[zone_id][state] += n
    return units


def occupancy(*, event: Event, now: datetime) -> dict[str, Any]:
    """Per zone, how many seats (or GA units) are sold / reserved / held / free / blocked;
    a numbered zone also lists its seats with their state (the floor plan)."""
    snapshot = seat_map_states(event=event, now=now)
    seats: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for seat_id, label, zone_id, row, number, state, _holder in snapshot["seats"]:
        seats[zone_id].append({"id": seat_id, "label": label, "row": row, "number": number,
                               "state": FROM_AVAILABILITY[state]})
    ga_ids = [z["id"] for z in snapshot["zones"] if z["kind"] == Zone.Kind.GENERAL]
    units = _ga_units(ga_ids, now) if ga_ids else {}
    totals = _counts()
    zones = []
    for zone in snapshot["zones"]:
        counts = _counts()
        if zone["kind"] == Zone.Kind.GENERAL:
            counts.update(units.get(zone["id"], {}))
            counts[FREE] = zone["available"]  # the availability's own figure
            capacity = zone["capacity"]
        else:
            for seat in seats[zone["id"]]:
                counts[seat["state"]] += 1
            capacity = len(seats[zone["id"]])
        for state in STATES:
            totals[state] += counts[state]
        zones.append({"id": zone["id"], "name": zone["name"], "kind": zone["kind"],
                      "capacity": capacity, "counts": counts,
                      **({"seats": seats[zone["id"]]} if zone["kind"] != Zone.Kind.GENERAL
                         else {})})
    return {"states": list(STATES), "totals": totals, "zones": zones}


def sales_per_hour(*, event: Event, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Sales completed (paid in full) per hour of the venue's clock: how many sales and
    tickets. A partly paid reservation counts in the hour it was paid off."""
    rows = (
        Transaction.objects.filter(event=event, completed_at__isnull=False)
        .annotate(hour=TruncHour("completed_at", tzinfo=tz))
        .values("hour")
        .annotate(sales=Count("id", distinct=True),
                  tickets=Sum("reserved_tickets__quantity",
                              filter=Q(reserved_tickets__status__in=WERE_SOLD)))
        .order_by("hour")
    )
    return [{"hour": row["hour"].astimezone(tz).isoformat(), "sales": row["sales"],
             "tickets": row["tickets"] or 0} for row in rows]


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def event_revenue(*, event: Event) -> dict[str, Any]:
    """The event's money: what was received, by method and currency, summed by fiscal's
    `document_totals` over the event's documents (the X report's rows: cash net of the change
    given back in Bs); what was handed back (refunds of cancelled reservations, by method
    and currency; credit notes of refunded sales, in Bs); and the net per currency and in
    Bs."""
    documents = list(FiscalDocument.objects.filter(transaction__event=event)
                     .select_related("issued_by", "series").order_by("id"))
    totals = document_totals(documents)
    refunds: dict[tuple[str, str], dict[str, Any]] = {}
    for method, currency, amount, rate_ in (
        Refund.objects.filter(transaction__event=event)
        .values_list("method", "currency", "amount", "payment__exchange_rate")
        .order_by("id")
    ):
        row = refunds.setdefault((method, currency), {"method": method, "currency": currency,
                                                      "count": 0, "amount": ZERO,
                                                      "amount_ves": ZERO})
        row["count"] += 1
        row["amount"] += amount
        row["amount_ves"] += (amount * rate_).quantize(CENT)
    credit = totals["by_kind"].get(DocumentKind.CREDIT_NOTE, {})
    credited_ves = Decimal(credit.get("amount_due_ves", "0"))
    by_currency: dict[str, dict[str, Decimal]] = {}
    for row in totals["payments"]:
        entry = by_currency.setdefault(row["currency"], {"received": ZERO, "refunded": ZERO})
        entry["received"] += Decimal(row["amount"])
    for row in refunds.values():
        entry = by_currency.setdefault(row["currency"], {"received": ZERO, "refunded": ZERO})
        entry["refunded"] += row["amount"]
    received_ves = sum((Decimal(r["amount_ves"]) for r in totals["payments"]), ZERO)
    refunded_ves = sum((r["amount_ves"] for r in refunds.values()), ZERO)
    return {
        "payments": totals["payments"],
        "refunds": [{**row, "amount": _money(row["amount"]),
                     "amount_ves": _money(row["amount_ves"])}
                    for _, row in sorted(refunds.items())],
        "credit_notes": {"count": credit.get("count", 0), "amount_ves": _money(credited_ves)},
        "by_currency": {currency: {"received": _money(v["received"]),
                                   "refunded": _money(v["refunded"]),
                                   "net": _money(v["received"] - v["refunded"])}
                        for currency, v in sorted(by_currency.items())},
        "received_ves": _money(received_ves),
        "refunded_ves": _money(refunded_ves + credited_ves),
        "net_ves": _money(received_ves - refunded_ves - credited_ves),
        "net_sales": totals["net_sales"],
    }


def hold_outcomes(*, event: Event, now: datetime) -> dict[str, Any]:
    """What became of the event's holds (one per transaction: every sale starts as a
    cashier's hold). `converted`: checked out (paid in full, or partly as a reservation);
    `expired`: ran out of time (also those past their time the cleanup job has not
    recorded yet: expiry is exact); `released`: let go by the cashier, a log-out or an
    admin; `open`: still held now. Abandoned = expired + released; the rates divide by
    the holds that ended (converted + abandoned), as reservation_stats does."""
    ended = StatusChange.objects.filter(
        subject=StatusChange.Subject.TRANSACTION, from_status=Transaction.Status.PENDING,
        transaction__event=event,
    ).aggregate(
        converted=Count("transaction_id", distinct=True, filter=Q(
            to_status__in=[Transaction.Status.RESERVED, Transaction.Status.COMPLETED])),
        expired=Count("transaction_id", distinct=True,
                      filter=Q(to_status=Transaction.Status.EXPIRED)),
        released=Count("transaction_id", distinct=True,
                       filter=Q(to_status=Transaction.Status.CANCELLED)),
    )
    live = ReservedTicket.objects.live(now).filter(transaction_id=OuterRef("pk"))
    pending = (Transaction.objects.filter(event=event, status=Transaction.Status.PENDING)
               .annotate(live=Exists(live))
               .aggregate(open=Count("id", filter=Q(live=True)),
                          stale=Count("id", filter=Q(live=False))))
    expired = ended["expired"] + pending["stale"]
    abandoned = expired + ended["released"]
    finished = ended["converted"] + abandoned
    return {
        "started": finished + pending["open"],
        "open": pending["open"],
        "converted": ended["converted"],
        "expired": expired,
        "released": ended["released"],
        "abandoned": abandoned,
        "conversion_rate": rate(ended["converted"], finished),
        "abandonment_rate": rate(abandoned, finished),
    }


@stale_reads_ok()
def day_dashboard(*, day: date) -> dict[str, Any]:
    """The fiscal day's X figures: fiscal's X report itself (the same body as
    GET /api/fiscal/x-report/?day=), never recomputed here."""
    return x_report(day=day)


def dashboard_events() -> list[Event]:
    """The events the dashboard offers, those on sale first, then by date."""
    events = list(Event.objects.only("id", "name", "starts_at", "status").order_by("starts_at",
                                                                                   "id"))
    return sorted(events, key=lambda e: e.status != Event.Status.ON_SALE)
