"""Reads on holds: the availability of an event, a cashier's holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Min, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from reservations import cache as availability_cache
from reservations.models import ReservedTicket
from reservations.services import ga_claimed_by_zone
from sales.models import Event, Seat, Transaction, Zone
from tenants.permissions import acts_on_every_hold

AVAILABLE, RESERVED, RESERVED_BY_ME, SOLD = "available", "reserved", "reserved_by_me", "sold"


def _compute_snapshot(event: Event, now: datetime) -> dict[str, Any]:
    """Seat states and GA counts, independent of who asks: three queries in all."""
    claims = {
        seat_id: (status, holder)
        for seat_id, status, holder in ReservedTicket.objects.claiming(now)
        .filter(event=event, seat__isnull=False)
        .values_list("seat_id", "status", "created_by_id")
    }
    seats = []
    for seat_id, label, zone_id, row, number in (
        Seat.objects.filter(zone__event=event)
        .order_by("zone_id", "row", "number")
        .values_list("id", "label", "zone_id", "row", "number")
    ):
        status, holder = claims.get(seat_id, (None, None))
        state = SOLD if status == ReservedTicket.Status.COMPLETED else (
            RESERVED if status else AVAILABLE)
        seats.append([seat_id, label, zone_id, row, number, state, holder])
    zones = list(Zone.objects.filter(event=event).order_by("id"))
    claimed = ga_claimed_by_zone([z.pk for z in zones if z.is_general_admission], now)
    next_expiry = (
        ReservedTicket.objects.live(now).filter(event=event)
        .aggregate(first=Min("reserved_until"))["first"]
    )
    return {
        "seats": seats,
        "zones": [
            {
                "id": z.pk, "name": z.name, "kind": z.kind, "capacity": z.capacity,
                "price": str(z.price),
                "available": (max(z.capacity - claimed.get(z.pk, 0), 0)
                              if z.is_general_admission else None),
            }
            for z in zones
        ],
        # The snapshot is only true until the first live hold in it expires.
        "valid_until": next_expiry.isoformat() if next_expiry else None,
    }


def _still_valid(valid_until: str | None, now: datetime) -> bool:
    return valid_until is None or now < parse_datetime(valid_until)


@dataclass(frozen=True)
class Availability:
    etag: str | None
    not_modified: bool
    body: dict[str, Any] | None


def event_availability(
    *, event: Event, user: AbstractBaseUser, if_none_match: str | None = None,
    now: datetime | None = None,
) -> Availability:
    """The seat map of an event as `user` sees it, with an ETag for cheap polling.

    Served from the Redis snapshot when there is one for the current version; computed
    from PostgreSQL otherwise (always so when Redis is down, which only costs time)."""
    now = now or timezone.now()
    version = availability_cache.current_version(event.pk)
    meta = availability_cache.get_meta(event.pk, version) if version else None
    if meta and _still_valid(meta["valid_until"], now):
        etag = f'"{version}.{meta["stamp"]}.{user.pk}"'
        if if_none_match and etag in {tag.strip() for tag in if_none_match.split(",")}:
            return Availability(etag=etag, not_modified=True, body=None)
        snapshot = availability_cache.get_snapshot(event.pk, version)
    else:
        snapshot = None
    if snapshot is None or not _still_valid(snapshot["valid_until"], now):
        snapshot = _compute_snapshot(event, now)
        if version:
            stamp = int(now.timestamp() * 1000)
            snapshot["stamp"] = stamp
            availability_cache.store_snapshot_and_meta(
                event.pk, version, snapshot,
                {"valid_until": snapshot["valid_until"], "stamp": stamp},
            )
    etag = f'"{version}.{snapshot["stamp"]}.{user.pk}"' if version else None
    body = {
        "event": event.pk,
        "server_time": now.isoformat(),
        "seats": [
            {"id": seat_id, "label": label, "zone": zone_id, "row": row, "number": number,
             "state": RESERVED_BY_ME if state == RESERVED and holder == user.pk else state}
            for seat_id, label, zone_id, row, number, state, holder in snapshot["seats"]
        ],
        "zones": snapshot["zones"],
    }
    return Availability(etag=etag, not_modified=False, body=body)


def holds_visible_to(user: AbstractBaseUser) -> QuerySet[Transaction]:
    """Transactions a user may act on as holds: a cashier's own; all for venue admins
    (tenants.permissions.EVERY_HOLD; the services apply the same rule to a locked row)."""
    queryset = Transaction.objects.select_related("event")
    if acts_on_every_hold(user):
        return queryset
    return queryset.filter(cashier=user)


def hold_items(tx: Transaction) -> list[ReservedTicket]:
    return list(
        tx.reserved_tickets.select_related("seat", "zone").order_by("id")
    )
