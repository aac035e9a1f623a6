"""Every row lock the catalogue services take, in one place so the order is visible.

Order, always: seats by id, then zones by id, then the event: the order a hold takes them
(reservations.lock_objects locks the seats, and the database's catalogue interlock takes
the zones and the event of the new claims in KEY SHARE mode). The locks here are FOR
UPDATE, which conflicts with KEY SHARE: a catalogue change waits for the holds being
written in its zone or event, and they for it (sales/migrations/0003_catalogue_guards)."""

from __future__ import annotations

from collections.abc import Iterable

from sales.models import Event, Seat, Zone


def lock_event(event_id: int) -> Event | None:
    return Event.objects.filter(pk=event_id).select_for_update(of=("self",)).first()


def lock_zones(zone_ids: Iterable[int]) -> list[Zone]:
    return list(Zone.objects.filter(id__in=list(zone_ids)).select_related("event")
                .order_by("id").select_for_update(of=("self",)))


def lock_zone(zone_id: int) -> Zone | None:
    return next(iter(lock_zones([zone_id])), None)


def lock_seat(seat_id: int) -> Seat | None:
    return (Seat.objects.filter(pk=seat_id).select_related("zone__event")
            .select_for_update(of=("self",)).first())


def lock_seats_for_block(seat_ids: Iterable[int]) -> list[int]:
    """Seats to block or unblock, by id, FOR NO KEY UPDATE: the very lock a hold takes on
    them (pos_hold, step 3), so a block and a hold of one seat wait for each other and
    the second sees what the first wrote (sales.blocks.services)."""
    return list(Seat.objects.filter(id__in=list(seat_ids)).order_by("id")
                .select_for_update(no_key=True, of=("self",)).values_list("id", flat=True))
