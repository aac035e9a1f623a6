"""Domain errors of the catalogue ("sold means sold"). The wording users see lives here, in
one place; each refusal names what blocks it."""

from __future__ import annotations

from pos.errors import Conflict, DomainError


def _units(count: int, kind: str) -> str:
    noun = "seat" if kind == "numbered" else "place"
    return f"{count} sold or held {noun}{'' if count == 1 else 's'}"


class CatalogueLocked(Conflict):
    """A catalogue change that would alter what is already held or sold (409)."""

    code = "catalogue_locked"


class ZoneKindLocked(CatalogueLocked):
    code = "zone_kind_locked"

    @classmethod
    def for_zone(cls, *, zone: str, kind: str, claimed: int) -> ZoneKindLocked:
        return cls(f"Zone {zone} has {_units(claimed, kind)}; its kind cannot change.",
                   zone=zone, claimed=claimed)

    @classmethod
    def for_event(cls, *, zone: str, event: str, claimed: int) -> ZoneKindLocked:
        return cls(f"Event {event} has {claimed} sold or held ticket"
                   f"{'' if claimed == 1 else 's'}; the kind of zone {zone} cannot change "
                   "once its event has sales or holds.", zone=zone, event=event,
                   claimed=claimed)


class ZoneHasSeats(CatalogueLocked):
    code = "zone_has_seats"

    def __init__(self, *, zone: str, seats: int) -> None:
        super().__init__(f"Zone {zone} has {seats} seat{'' if seats == 1 else 's'}; delete "
                         "them before making it general admission.", zone=zone, seats=seats)


class ZoneTaxCategoryLocked(CatalogueLocked):
    code = "zone_tax_category_locked"

    def __init__(self, *, zone: str, kind: str, claimed: int) -> None:
        super().__init__(f"Zone {zone} has {_units(claimed, kind)}; its tax category cannot "
                         "change (what is held would be taxed differently).", zone=zone,
                         claimed=claimed)


class ZoneMoveLocked(CatalogueLocked):
    code = "zone_move_locked"

    def __init__(self, *, zone: str, kind: str, claimed: int) -> None:
        super().__init__(f"Zone {zone} has {_units(claimed, kind)}; it cannot move to "
                         "another event.", zone=zone, claimed=claimed)


class CapacityBelowClaimed(CatalogueLocked):
    code = "capacity_below_claimed"

    def __init__(self, *, zone: str, kind: str, claimed: int, asked: int) -> None:
        super().__init__(f"Zone {zone} has {_units(claimed, kind)}; its capacity cannot drop "
                         f"below that (asked {asked}).", zone=zone, claimed=claimed,
                         asked=asked)


class ZoneInUse(CatalogueLocked):
    code = "zone_in_use"

    def __init__(self, *, zone: str, kind: str, claimed: int) -> None:
        super().__init__(f"Zone {zone} has {_units(claimed, kind)}; it cannot be deleted.",
                         zone=zone, claimed=claimed)


class EventCurrencyLocked(CatalogueLocked):
    code = "event_currency_locked"

    def __init__(self, *, event: str, claimed: int) -> None:
        super().__init__(f"Event {event} has {claimed} sold or held ticket"
                         f"{'' if claimed == 1 else 's'}; its currency cannot change.",
                         event=event, claimed=claimed)


class EventInUse(CatalogueLocked):
    code = "event_in_use"

    def __init__(self, *, event: str, claimed: int) -> None:
        super().__init__(f"Event {event} has {claimed} sold or held ticket"
                         f"{'' if claimed == 1 else 's'}; it cannot be deleted.",
                         event=event, claimed=claimed)


class SeatClaimed(CatalogueLocked):
    code = "seat_claimed"

    def __init__(self, *, seat: str, zone: str, state: str, action: str) -> None:
        super().__init__(f"Seat {seat} of {zone} is {state}; it cannot be {action}.",
                         seat=seat, zone=zone, state=state)


class InvalidSeatChange(DomainError):
    code = "invalid_seat"


class InvalidSeatMap(DomainError):
    """A seat-map request that cannot be done as asked (rows, numbers, a GA zone)."""

    code = "invalid_seat_map"
