"""Base of every domain error. Each app keeps its own errors module with subclasses; the
API exception handler (pos.api) turns them into JSON answers with their status code."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused the action. `message` is shown to the user as is."""

    status_code: int = 400
    code: str = "invalid"
    default_message: str = "The request could not be completed."

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        self.extra = extra
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"detail": self.message, "code": self.code, **self.extra}


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Gone(DomainError):
    status_code = 410
    code = "gone"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Busy(DomainError):
    """Lock contention beyond a short wait, or a deadlock that persisted through the
    retries (pos.concurrency): nothing was done and the client should retry."""

    status_code = 503
    code = "busy"
    default_message = "The box office is busy with these seats. Please try again."
    retry_after_seconds = 1


# The database triggers that back business rules refuse a write with an error naming one of
# these constraints (sales/migrations/0003_catalogue_guards,
# fiscal/migrations/0003_issued_sales_stay_issued); the code the API answers with.
DATABASE_GUARDS = {
    "sold_means_sold": "catalogue_locked",
    "issued_stays_issued": "issued_record_locked",
}


def refusal_from_database(exc: BaseException) -> Conflict | None:
    """A database guard's refusal as a 409 with the trigger's message, or None when `exc`
    is something else."""
    diag = getattr(exc.__cause__, "diag", None)
    code = DATABASE_GUARDS.get(getattr(diag, "constraint_name", None) or "")
    if code is None:
        return None
    refusal = Conflict(diag.message_primary)
    refusal.code = code
    return refusal
