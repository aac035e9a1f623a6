"""Why the door refuses a ticket. The wording the door staff see lives here."""

from __future__ import annotations

from pos.errors import Conflict, DomainError, Gone, NotFound


class CheckinRefused(DomainError):
    """Base of the refusals a scan is logged with (`code` is the log's reason)."""


class UnknownTicket(CheckinRefused, NotFound):
    code = "unknown_ticket"
    default_message = "This is not a ticket of this venue: do not let the holder in."


class TicketVoid(CheckinRefused, Gone):
    code = "ticket_void"
    default_message = "This ticket was refunded and is no longer valid."


class AlreadyAdmitted(CheckinRefused, Conflict):
    code = "already_admitted"
    default_message = "This ticket has already been used to enter."


class NotInside(CheckinRefused, Conflict):
    code = "not_inside"
    default_message = "This ticket is not inside: there is no entry to record an exit for."


class WrongEvent(CheckinRefused):
    code = "wrong_event"
    default_message = "This ticket is for another event."


class EventNotFound(NotFound):
    code = "event_not_found"
    default_message = "No such event."


class DeviceRequired(DomainError):
    code = "device_required"
    default_message = ("Offline scans need the device that made them: send the X-POS-Terminal "
                       "header.")
