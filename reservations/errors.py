"""Domain errors of reservations. The wording users see lives here, in one place."""

from __future__ import annotations

from dataclasses import dataclass

from pos.errors import Busy, Conflict, DomainError, Gone, NotFound

__all__ = ["Busy"]  # re-exported: the hold's callers catch it from here

HOLD_EXPIRED_MESSAGE = "Booking session has expired. Please select seats again."


@dataclass(frozen=True)
class UnavailableSeat:
    id: int
    label: str
    reason: str  # "reserved", "sold" or "blocked" (a venue admin took it off sale)


@dataclass(frozen=True)
class ZoneShortfall:
    id: int
    name: str
    requested: int
    available: int


class SeatsUnavailable(Conflict):
    """Every seat and zone that could not be held, named with the reason."""

    code = "seats_unavailable"

    def __init__(self, *, seats: list[UnavailableSeat], zones: list[ZoneShortfall]) -> None:
        parts = []
        if seats:
            listed = ", ".join(f"{seat.label} ({seat.reason})" for seat in seats)
            parts.append(f"The following seats are not available: {listed}")
        for zone in zones:
            parts.append(
                f"Zone {zone.name} has only {zone.available} place(s) left "
                f"({zone.requested} requested)"
            )
        super().__init__(
            "; ".join(parts) + ".",
            seats=[{"id": s.id, "label": s.label, "reason": s.reason} for s in seats],
            zones=[
                {"id": z.id, "name": z.name, "requested": z.requested, "available": z.available}
                for z in zones
            ],
        )


class NoAdjacentSeats(Conflict):
    """Best available, together: no N adjacent free seats in the zone."""

    code = "no_adjacent_seats"

    def __init__(self, *, zone_id: int, zone_name: str, requested: int) -> None:
        super().__init__(f"No {requested} adjacent seats are free in zone {zone_name}.",
                         zone={"id": zone_id, "name": zone_name}, requested=requested)


class NotEnoughSeats(Conflict):
    """Best available, not together: fewer than N free seats in the zone."""

    code = "not_enough_seats"

    def __init__(self, *, zone_id: int, zone_name: str, requested: int,
                 available: int) -> None:
        super().__init__(
            f"Only {available} seat(s) are free in zone {zone_name} ({requested} requested).",
            zone={"id": zone_id, "name": zone_name}, requested=requested, available=available)


class BlockedSeatsForbidden(DomainError):
    status_code = 403
    code = "blocked_seats_forbidden"
    default_message = "Only a venue admin may hold blocked seats."


class HoldExpired(Gone):
    code = "hold_expired"
    default_message = HOLD_EXPIRED_MESSAGE


class HoldNotFound(NotFound):
    code = "hold_not_found"
    default_message = "No such hold."


class InvalidHoldRequest(DomainError):
    code = "invalid_hold"


class SessionLimitExceeded(DomainError):
    code = "session_limit"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class ExtensionRefused(Conflict):
    code = "extension_refused"


class EventNotOnSale(Conflict):
    code = "event_not_on_sale"


class InvalidBulkExtension(DomainError):
    code = "invalid_extension"


class AlertNotFound(NotFound):
    code = "alert_not_found"
    default_message = "No such alert."


class AlertResolved(Conflict):
    code = "alert_resolved"


class ExtensionJobNotFound(NotFound):
    code = "job_not_found"
    default_message = "No such extension job."


class GrantRefused(DomainError):
    """A longer hold asked beyond the venue's cap, or one that would not lengthen it."""

    code = "grant_refused"


class GrantOverCap(GrantRefused):
    code = "grant_over_cap"


class GrantTooShort(GrantRefused):
    code = "grant_too_short"


class HoldNotActive(Conflict):
    """The hold is no longer live (expired, released, sold or now a reservation)."""

    code = "hold_not_active"
