"""Why the dashboard refuses a request. The wording the venue admin sees lives here."""

from __future__ import annotations

from pos.errors import DomainError, NotFound


class EventNotFound(NotFound):
    code = "unknown_event"

    def __init__(self, *, event: object) -> None:
        super().__init__(f"There is no event {event}.", event=str(event))


class InvalidDay(DomainError):
    code = "invalid_day"

    def __init__(self, *, day: str) -> None:
        super().__init__(f"'{day[:40]}' is not a day: write it as YYYY-MM-DD "
                         "(e.g. 2026-12-03).", day=day[:40])
