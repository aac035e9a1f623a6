"""Domain errors of the e-mail app, with the wording users see."""

from __future__ import annotations

from pos.errors import DomainError


class UnknownAlertKind(DomainError):
    code = "unknown_alert_kind"

    def __init__(self, kinds: list[str]) -> None:
        from reservations.models import Alert

        super().__init__(f"Unknown alert kind(s): {', '.join(kinds)}; the kinds are "
                         f"{', '.join(Alert.Kind.values)}.", kinds=kinds)
