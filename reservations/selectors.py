"""Reads on holds: the availability of an event, a cashier's holds."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, Min, OuterRef, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from pos.replica import stale_reads_ok
from reservations import cache as availability_cache
from reservations.best_available import SeatSpot
from reservations.models import ReservedTicket
from sales.models import Event, Seat, SeatBlock, Transaction, Zone
from tenants.permissions import acts_on_every_hold

AVAILABLE, RESERVED, RESERVED_BY_ME, SOLD = "available", "reserved", "reserved_by_me", "sold"
# A seat a venue admin took off sale (sales.blocks); held or sold wins over it.
BLOCKED = "blocked"
# A seat kept for a partly paid sale (transaction RESERVED) until its payment deadline:
# days, not the minutes of a hold, and nothing a cashier releases with a click.
RESERVED_PARTIAL = "reserved_partial"


def ga_claimed_by_zone(zone_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """Units of each general-admission zone that are held (live) or sold."""
    return dict(
        ReservedTicket.objects.claiming(now)
        .filter(zone_id__in=list(zone_ids), seat__isnull=True)
        .values("zone_id")
        .annotate(units=Sum("quantity"))
        .values_list("zone_id", "units")
    )


def _compute_snapshot(event: Event, now: datetime) -> dict[str, Any]:
    """Seat states and GA counts, independent of who asks: one query each for the
    claims, the blocked seats, the seats, the zones, the GA counts and the next expiry."""
    claims = {
        seat_id: (status, holder, tx_status)
        for seat_id, status, holder, tx_status in ReservedTicket.objects.claiming(now)
        .filter(event=event, seat__isnull=False)
        .values_list("seat_id", "status", "created_by_id", "transaction__status")
    }
    blocked = set(SeatBlock.objects.filter(seat__zone__event=event)
                  .values_list("seat_id", flat=True))
    seats = []
    for seat_id, label, zone_id, row, number in (
        Seat.objects.filter(zone__event=event)
        .order_by("zone_id", "row", "number")
        .values_list("id", "label", "zone_id", "row", "number")
    ):
        status, holder, tx_status = claims.get(seat_id, (None, None, None))
        if status == ReservedTicket.Status.COMPLETED:
            state = SOLD
        elif status and tx_status == Transaction.Status.RESERVED:
            state = RESERVED_PARTIAL
        else:
            state = RESERVED if status else BLOCKED if seat_id in blocked else AVAILABLE
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


# A miss may be computed on the hot standby (pos.replica), but only once it has replayed
# everything the primary had written after the version was read: a snapshot filed under
# a version never predates the commit that made that version.
_snapshot_for_cache = stale_reads_ok(caught_up=True)(_compute_snapshot)


def _render(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot as the JSON tail of the response body (`"seats":[...],"zones":[...]}`),
    with every held seat `reserved`, and for each holder the offsets of their seats'
    state: a request splices `reserved_by_me` in there instead of building 20,000 dicts
    and serialising 1.7 MB for every caller. ASCII-only, so offsets are byte offsets."""
    parts = [b'"seats":[']
    size = len(parts[0])
    mine: dict[int, list[int]] = {}
    for index, (seat_id, label, zone_id, row, number, state, holder) in enumerate(
            snapshot["seats"]):
        # Formatted by hand (a dict per seat through json.dumps is twice as slow); the
        # state comes last, so its offset is fixed from the end of the piece.
        piece = _SEAT % (b"," if index else b"", seat_id, _json(label), zone_id, _json(row),
                         number, state.encode())
        if state == RESERVED and holder is not None:
            mine.setdefault(holder, []).append(size + len(piece) - len(_RESERVED_TAIL))
        parts.append(piece)
        size += len(piece)
    parts.append(b'],"zones":' + json.dumps(snapshot["zones"], separators=(",", ":")).encode()
                 + b"}")
    return {"tail": b"".join(parts), "mine": mine, "valid_until": snapshot["valid_until"]}


_RESERVED_TAIL = b'reserved"}'
_SEAT = b'%s{"id":%d,"label":%s,"zone":%d,"row":%s,"number":%d,"state":"%s"}'


def _json(text: str) -> bytes:
    return json.dumps(text).encode()  # ASCII: non-ASCII characters are escaped


def _body(event_id: int, now: datetime, rendered: dict[str, Any], user_id: int | None) -> bytes:
    """The response body for one caller: their own held seats become `reserved_by_me`."""
    tail = rendered["tail"]
    chunks = [b'{"event":%d,"server_time":%s,' % (event_id, json.dumps(now.isoformat()).encode())]
    start = 0
    for offset in rendered["mine"].get(user_id, ()):
        chunks += [tail[start:offset], RESERVED_BY_ME.encode()]
        start = offset + len(RESERVED)
    chunks.append(tail[start:])
    return b"".join(chunks)


def _still_valid(valid_until: str | None, now: datetime) -> bool:
    return valid_until is None or now < parse_datetime(valid_until)


def _etag(version: str, stamp: int, user: AbstractBaseUser) -> str:
    return f'"{version}.{stamp}.{user.pk}"'


def availability_not_modified(
    *, event_id: int | str, user: AbstractBaseUser, if_none_match: str | None,
    now: datetime | None = None,
) -> str | None:
    """The ETag to answer 304 with when the caller's copy is still current, else None.

    Decided from Redis alone, before any database read: a matching ETag names a snapshot
    that was built for this event under its current version. Never creates a version, so
    an id that is no event leaves no key behind."""
    if not if_none_match:
        return None
    now = now or timezone.now()
    version = availability_cache.peek_version(event_id)
    meta = availability_cache.get_meta(event_id, version) if version else None
    if not meta or not _still_valid(meta["valid_until"], now):
        return None
    etag = _etag(version, meta["stamp"], user)
    return etag if etag in {tag.strip() for tag in if_none_match.split(",")} else None


@dataclass(frozen=True)
class Availability:
    etag: str | None
    body: bytes  # JSON, ready to send


def event_availability(
    *, event: Event, user: AbstractBaseUser, now: datetime | None = None
) -> Availability:
    """The seat map of an event as `user` sees it, with an ETag for cheap polling
    (`availability_not_modified` answers the 304s)."""
    now = now or timezone.now()
    state = event_map_state(event=event, now=now)
    etag = _etag(state.version, state.rendered["stamp"], user) if state.version else None
    return Availability(etag=etag, body=map_body(event.pk, now, state, user.pk))


@dataclass(frozen=True)
class MapState:
    """An event's seat map for everybody (no `reserved_by_me` yet): what a version of the
    availability cache serves, true until `valid_until` (the first live hold's expiry)."""
    version: str | None
    rendered: dict[str, Any]

    @cached_property  # read by every socket of the event on every change
    def valid_until(self) -> datetime | None:
        text = self.rendered["valid_until"]
        return parse_datetime(text) if text else None


def event_map_state(*, event: Event, now: datetime | None = None) -> MapState:
    """The event's map under its current version. Served from the Redis snapshot (kept as
    rendered JSON) when there is one for the current version; computed from PostgreSQL
    otherwise (always so when Redis is down, which only costs time). The pushed map
    (reservations.consumers) reads this once per version per process, not per socket."""
    now = now or timezone.now()
    version = availability_cache.current_version(event.pk)
    meta = availability_cache.get_meta(event.pk, version) if version else None
    if meta and _still_valid(meta["valid_until"], now):
        rendered = availability_cache.get_snapshot(event.pk, version)
    else:
        rendered = None
    if rendered is None or not _still_valid(rendered["valid_until"], now):
        rendered = _render(_snapshot_for_cache(event, now))
        rendered["stamp"] = int(now.timestamp() * 1000)
        if version:
            availability_cache.store_snapshot_and_meta(
                event.pk, version, rendered,
                {"valid_until": rendered["valid_until"], "stamp": rendered["stamp"]},
            )
    return MapState(version=version, rendered=rendered)


def map_body(event_id: int, now: datetime, state: MapState, user_id: int | None) -> bytes:
    """The availability answer's JSON for one user (their held seats `reserved_by_me`)."""
    return _body(event_id, now, state.rendered, user_id)


def zone_seat_spots(*, zone_id: int, now: datetime) -> list[SeatSpot]:
    """Every seat of a zone, free or not (held, sold or blocked), for best available:
    one query."""
    claimed = ReservedTicket.objects.claiming(now).filter(seat_id=OuterRef("pk"))
    blocked = SeatBlock.objects.filter(seat_id=OuterRef("pk"))
    return [
        SeatSpot(id=seat_id, row=row, number=number, free=not taken)
        for seat_id, row, number, taken in Seat.objects.filter(zone_id=zone_id)
        .annotate(taken=Exists(claimed) | Exists(blocked))
        .values_list("id", "row", "number", "taken")
    ]


def holds_visible_to(user: AbstractBaseUser) -> QuerySet[Transaction]:
    """Transactions a user may act on as holds: a cashier's own; all for venue admins
    (tenants.permissions.EVERY_HOLD; the services apply the same rule to a locked row)."""
    queryset = Transaction.objects.all()
    if acts_on_every_hold(user):
        return queryset
    return queryset.filter(cashier=user)


def hold_items(tx: Transaction) -> list[ReservedTicket]:
    """The hold's items by id: those a service has just written and attached to `tx`
    (`written_items`: no second read on the hot path), else read."""
    written = getattr(tx, "written_items", None)
    if written is not None:
        return sorted(written, key=lambda item: item.pk)
    return list(
        tx.reserved_tickets.select_related("seat", "zone").order_by("id")
    )


def seat_map_states(*, event: Event, now: datetime | None = None) -> dict[str, Any]:
    """The seat map as everybody sees it (no `reserved_by_me`), computed from PostgreSQL:
    `seats` as [id, label, zone_id, row, number, state, holder_id] with the availability's
    states, `zones` with each GA zone's `available`. For readers other than the till (the
    dashboard), so their figures are the availability's own."""
    return _compute_snapshot(event, now or timezone.now())
