"""Writes on the catalogue: events, zones, seat maps ("sold means sold"). Checkout and
payments are the till's: sales.checkout."""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import structlog
from django.db import IntegrityError, transaction
from django.db.models import Model, Q

from pos.errors import NotFound, refusal_from_database
from reservations.services import (
    invalidate_availability,
)
from sales.errors import (
    CapacityBelowClaimed,
    CatalogueLocked,
    EventCurrencyLocked,
    EventInUse,
    InvalidSeatChange,
    InvalidSeatMap,
    SeatClaimed,
    ZoneHasSeats,
    ZoneInUse,
    ZoneKindLocked,
    ZoneMoveLocked,
    ZoneTaxCategoryLocked,
)
from sales.lock_objects import lock_event, lock_seat, lock_zone, lock_zones
from sales.models import Event, Seat, Zone
from sales.selectors import claimed_units, seat_claim

logger = structlog.get_logger(__name__)

MAX_ROWS = 100
MAX_SEATS_PER_ROW = 500


# --- The catalogue: "sold means sold" ---------------------------------------------------
#
# Once anything is held or sold, the catalogue may not change under it: the kind of a zone
# of the event, a zone's tax category or event, the event's currency, a capacity below what
# is claimed, the place (zone, row, number, label) of a claimed seat. Prices may change:
# held and sold items keep the unit price they were taken at. Each refusal is a 409 naming
# what blocks it (sales.errors). The database refuses the same changes when they bypass
# these services, and interlocks them with holds being written at the same moment
# (sales/migrations/0003_catalogue_guards). Every change invalidates the event's
# availability, now and after commit.

GUARDED_SEAT_FIELDS = ("zone", "row", "number", "label")


def _changed(instance: Model, changes: Mapping[str, Any]) -> set[str]:
    """The fields `changes` really changes (a related object compares by its id)."""
    changed = set()
    for name, value in changes.items():
        current = getattr(instance, instance._meta.get_field(name).attname)
        if (value.pk if isinstance(value, Model) else value) != current:
            changed.add(name)
    return changed


@contextmanager
def _database_guard() -> Iterator[None]:
    """A database guard's refusal (a write racing a hold, say) as the same 409."""
    try:
        yield
    except IntegrityError as exc:
        refusal = refusal_from_database(exc)
        if refusal is None:
            raise
        raise refusal from exc


def event_change_refusal(event: Event, changes: Mapping[str, Any]) -> CatalogueLocked | None:
    """Why `changes` may not be made to `event`, or None. Reads only: the service calls it
    under the event's lock, the admin's form to explain a refusal before saving."""
    if "currency" in _changed(event, changes):
        claimed = claimed_units(event_id=event.pk)
        if claimed:
            return EventCurrencyLocked(event=event.name, claimed=claimed)
    return None


def zone_change_refusal(zone: Zone, changes: Mapping[str, Any]) -> CatalogueLocked | None:
    """Why `changes` may not be made to `zone`, or None (reads only, as above)."""
    changed = _changed(zone, changes)
    guarded = changed & {"kind", "event", "tax_category", "capacity"}
    if not guarded:
        return None
    own = claimed_units(zone_id=zone.pk)
    if "kind" in changed:
        if own:
            return ZoneKindLocked.for_zone(zone=zone.name, kind=zone.kind, claimed=own)
        in_event = claimed_units(event_id=zone.event_id)
        if in_event:
            return ZoneKindLocked.for_event(zone=zone.name, event=zone.event.name,
                                            claimed=in_event)
        seats = Seat.objects.filter(zone=zone).count()
        if changes["kind"] == Zone.Kind.GENERAL and seats:
            return ZoneHasSeats(zone=zone.name, seats=seats)
    if "event" in changed and own:
        return ZoneMoveLocked(zone=zone.name, kind=zone.kind, claimed=own)
    if "tax_category" in changed and own:
        return ZoneTaxCategoryLocked(zone=zone.name, kind=zone.kind, claimed=own)
    asked = changes.get("capacity")
    kind = changes.get("kind", zone.kind)
    if "capacity" in changed and kind == Zone.Kind.GENERAL and asked < own:
        return CapacityBelowClaimed(zone=zone.name, kind=zone.kind, claimed=own, asked=asked)
    return None


def seat_change_refusal(
    seat: Seat, changes: Mapping[str, Any], *, deleting: bool = False
) -> CatalogueLocked | None:
    """Why the seat may not be moved (`changes` to its zone, row, number or label) or
    deleted, or None (reads only, as above)."""
    if not deleting and not _changed(seat, changes) & set(GUARDED_SEAT_FIELDS):
        return None
    state = seat_claim(seat)
    if state is None:
        return None
    return SeatClaimed(seat=seat.label, zone=seat.zone.name, state=state,
                       action="deleted" if deleting else "moved")


@transaction.atomic
def create_event(*, data: Mapping[str, Any]) -> Event:
    """A new event (nothing of it can be held before it exists: no rule to apply)."""
    return Event.objects.create(**data)


def update_event(*, event_id: int, changes: Mapping[str, Any]) -> Event:
    """Change an event. Its currency is fixed once anything of it is held or sold."""
    with transaction.atomic():
        event = lock_event(event_id)
        if event is None:
            raise NotFound("No such event.")
        refusal = event_change_refusal(event, changes)
        if refusal is not None:
            raise refusal
        for name, value in changes.items():
            setattr(event, name, value)
        with _database_guard():
            event.save()
        invalidate_availability({event.pk})
    logger.info("catalogue.event_updated", event_id=event.pk, fields=sorted(changes))
    return event


def delete_event(*, event_id: int) -> None:
    """Delete an event nothing of which is held or sold (its past sales, if any, still
    protect it: 409 in_use)."""
    with transaction.atomic():
        event = lock_event(event_id)
        if event is None:
            raise NotFound("No such event.")
        claimed = claimed_units(event_id=event.pk)
        if claimed:
            raise EventInUse(event=event.name, claimed=claimed)
        event.delete()
        # A poller's ETag must not keep answering 304 (decided from Redis) once it is gone.
        invalidate_availability({event_id})
    logger.info("catalogue.event_deleted", event_id=event_id)


def create_zone(*, event: Event, data: Mapping[str, Any]) -> Zone:
    """A new zone (a numbered one starts with no seats: capacity 0)."""
    data = dict(data)
    if data.get("kind", Zone.Kind.NUMBERED) == Zone.Kind.NUMBERED:
        data["capacity"] = 0
    with transaction.atomic():
        zone = Zone.objects.create(event=event, **data)
        invalidate_availability({event.pk})
    return zone


def update_zone(*, zone_id: int, changes: Mapping[str, Any]) -> Zone:
    """Change a zone. Its kind (and that of every zone of its event), its tax category and
    its event are fixed once it (its event, for the kind) has a claim; its capacity never
    drops below what is claimed. A numbered zone's capacity is its seat count."""
    with transaction.atomic():
        zone = lock_zone(zone_id)
        if zone is None:
            raise NotFound("No such zone.")
        changed = _changed(zone, changes)
        events = {zone.event_id}
        if changed & {"kind", "event"}:
            # The kind rule counts the whole event's claims: wait for holds being written
            # anywhere in it (they take the event row in KEY SHARE mode).
            lock_event(zone.event_id)
        refusal = zone_change_refusal(zone, changes)
        if refusal is not None:
            raise refusal
        for name, value in changes.items():
            setattr(zone, name, value)
        if zone.kind == Zone.Kind.NUMBERED:
            zone.capacity = Seat.objects.filter(zone=zone).count()
        with _database_guard():
            zone.save()
        invalidate_availability(events | {zone.event_id})
    logger.info("catalogue.zone_updated", zone_id=zone.pk, fields=sorted(changed))
    return zone


def delete_zone(*, zone_id: int) -> None:
    """Delete a zone nothing of which is held or sold."""
    with transaction.atomic():
        zone = lock_zone(zone_id)
        if zone is None:
            raise NotFound("No such zone.")
        claimed = claimed_units(zone_id=zone.pk)
        if claimed:
            raise ZoneInUse(zone=zone.name, kind=zone.kind, claimed=claimed)
        zone.delete()
        invalidate_availability({zone.event_id})
    logger.info("catalogue.zone_deleted", zone_id=zone_id)


def _count_seats(zones: Sequence[Zone]) -> None:
    """A numbered zone's capacity is its seat count (the zones are locked)."""
    for zone in zones:
        zone.capacity = Seat.objects.filter(zone=zone).count()
        with _database_guard():
            zone.save(update_fields=["capacity"])


def create_seat(*, zone: Zone, row: str, number: int, label: str = "") -> Seat:
    """One more seat in a numbered zone (labelled row + number unless a label is given)."""
    with transaction.atomic():
        locked = lock_zone(zone.pk)
        if locked is None or locked.is_general_admission:
            raise InvalidSeatChange(f"Zone {zone.name} is general admission: it has no seats.")
        label = label or f"{row}{number}"
        if Seat.objects.filter(Q(row=row, number=number) | Q(label=label), zone=locked).exists():
            raise InvalidSeatChange(f"Zone {locked.name} already has seat {label}.")
        seat = Seat.objects.create(zone=locked, row=row, number=number, label=label)
        _count_seats([locked])
        invalidate_availability({locked.event_id})
    return seat


def update_seat(*, seat_id: int, changes: Mapping[str, Any]) -> Seat:
    """Rename or move a seat (zone, row, number, label) that nobody holds or has bought.
    It stays in a numbered zone of its event; a new row or number relabels it (row +
    number) unless a label is given."""
    with transaction.atomic():
        seat = lock_seat(seat_id)
        if seat is None:
            raise NotFound("No such seat.")
        target_id = changes["zone"].pk if "zone" in changes else seat.zone_id
        zones = {zone.pk: zone for zone in lock_zones({seat.zone_id, target_id})}
        refusal = seat_change_refusal(seat, changes)
        if refusal is not None:
            raise refusal
        target = zones.get(target_id)
        moves_out = target is not None and target.pk != seat.zone_id and (
            target.event_id != seat.zone.event_id or target.is_general_admission)
        if target is None or moves_out:
            raise InvalidSeatChange(
                f"Seat {seat.label} can only move to a numbered zone of its own event.")
        changed = _changed(seat, changes)
        for name, value in changes.items():
            setattr(seat, name, value)
        seat.zone = target
        if changed & {"row", "number"} and "label" not in changes:
            seat.label = f"{seat.row}{seat.number}"
        clash = Seat.objects.filter(Q(row=seat.row, number=seat.number) | Q(label=seat.label),
                                    zone_id=seat.zone_id).exclude(pk=seat.pk).first()
        if clash is not None:
            raise InvalidSeatChange(
                f"Zone {target.name} already has seat {clash.label} (row {clash.row}, "
                f"number {clash.number}).")
        with _database_guard():
            seat.save()
        _count_seats(list(zones.values()))
        invalidate_availability({seat.zone.event_id})
    logger.info("catalogue.seat_updated", seat_id=seat.pk, fields=sorted(changed))
    return seat


def delete_seat(*, seat_id: int) -> None:
    """Delete a seat that nobody holds or has bought (one with past, ended holds is still
    protected by them: 409 in_use)."""
    with transaction.atomic():
        seat = lock_seat(seat_id)
        if seat is None:
            raise NotFound("No such seat.")
        zones = lock_zones([seat.zone_id])
        refusal = seat_change_refusal(seat, {}, deleting=True)
        if refusal is not None:
            raise refusal
        seat.delete()
        _count_seats(zones)
        invalidate_availability({seat.zone.event_id})
    logger.info("catalogue.seat_deleted", seat_id=seat_id)


def expand_rows(spec: str) -> list[str]:
    """`"A-T"` → A…T, `"A,B,C"` → A, B, C, `"AA-AC"` is not supported (use a list)."""
    spec = spec.strip().upper()
    if "-" in spec and "," not in spec:
        first, last = (part.strip() for part in spec.split("-", 1))
        letters = string.ascii_uppercase
        if len(first) != 1 or len(last) != 1 or first not in letters or last not in letters:
            raise InvalidSeatMap(f"Row range {spec!r} must be two letters, like A-T.")
        if letters.index(first) > letters.index(last):
            raise InvalidSeatMap(f"Row range {spec!r} runs backwards.")
        return list(letters[letters.index(first): letters.index(last) + 1])
    return [row.strip() for row in spec.split(",") if row.strip()]


@transaction.atomic
def create_seats_in_rows(
    *, zone: Zone, rows: Sequence[str], seats_per_row: int, first_number: int = 1
) -> list[Seat]:
    """Add rows × seats to a numbered zone in one go (e.g. rows A–T × seats 1–30),
    labelled row + number ("A1"). Refuses seats that already exist."""
    if zone.is_general_admission:
        raise InvalidSeatMap(f"Zone {zone.name} is general admission: it has no seats.")
    if not rows or len(rows) > MAX_ROWS:
        raise InvalidSeatMap(f"Give between 1 and {MAX_ROWS} rows.")
    if not 1 <= seats_per_row <= MAX_SEATS_PER_ROW:
        raise InvalidSeatMap(f"seats_per_row must be between 1 and {MAX_SEATS_PER_ROW}.")
    if len(set(rows)) != len(rows) or any(len(row) > 8 for row in rows):
        raise InvalidSeatMap("Rows must be distinct names of at most 8 characters.")
    numbers = range(first_number, first_number + seats_per_row)
    zone = lock_zone(zone.pk)
    if zone.is_general_admission:  # changed since it was read
        raise InvalidSeatMap(f"Zone {zone.name} is general admission: it has no seats.")
    taken = set(
        Seat.objects.filter(zone=zone, row__in=rows).values_list("row", "number")
    )
    clashes = sorted(f"{row}{n}" for row in rows for n in numbers if (row, n) in taken)
    if clashes:
        raise InvalidSeatMap(f"Seats already exist: {', '.join(clashes[:20])}.")
    seats = Seat.objects.bulk_create(
        Seat(zone=zone, row=row, number=n, label=f"{row}{n}") for row in rows for n in numbers
    )
    _count_seats([zone])
    invalidate_availability({zone.event_id})
    return seats
