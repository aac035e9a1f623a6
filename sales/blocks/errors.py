"""Why a block or an unblock is refused. The wording the venue admin sees lives here."""

from __future__ import annotations

from pos.errors import Conflict, DomainError


class InvalidSeatSelection(DomainError):
    code = "invalid_seat_selection"


class SeatsNotBlockable(Conflict):
    """Seats held or sold cannot be blocked: nothing is blocked, every such seat named."""

    code = "seats_not_blockable"

    def __init__(self, *, seats: list[dict]) -> None:
        listed = ", ".join(f"{s['label']} ({s['reason']})" for s in seats)
        super().__init__(
            f"These seats are held or sold and cannot be blocked: {listed}. Nothing was "
            "blocked; release the hold (or refund the sale) first, or leave them out.",
            seats=seats)
