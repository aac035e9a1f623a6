"""What every write does when PostgreSQL says "not now": the one retry rule.

Row locks are taken in one documented order (reservations/lock_objects.py), so a deadlock
should not happen; a serialization failure can, and a lock wait is cut at the lock
timeout. The rule:

- deadlock (40P01) and serialization failure (40001): the whole action is run again,
  at most `ATTEMPTS` times in all, after a short random pause (jitter, so two victims do
  not collide again); still failing, the client gets `Busy` (503 `busy`, Retry-After);
- lock timeout (55P03): not retried here (the action already waited `LOCK_TIMEOUT`);
  the client gets `Busy` at once.

An action is retried whole: the decorated function must open its own transaction
(`transaction.atomic()`, a savepoint when the caller already has one, as under an
Idempotency-Key) or be one statement, so that nothing of a failed attempt is left."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import structlog
from django.conf import settings
from django.db import OperationalError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random

from pos.errors import Busy

logger = structlog.get_logger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

DEADLOCK = "40P01"
SERIALIZATION_FAILURE = "40001"
LOCK_NOT_AVAILABLE = "55P03"
RETRIED = frozenset({DEADLOCK, SERIALIZATION_FAILURE})
CONFLICTS = RETRIED | {LOCK_NOT_AVAILABLE}

ATTEMPTS = 4
# How long any statement waits for a row lock before it gives up (every connection, see
# DATABASES in pos/settings.py, and the write functions of reservations/sql/).
LOCK_TIMEOUT = settings.POS_LOCK_TIMEOUT


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE behind a Django database error, if any."""
    return getattr(exc.__cause__, "sqlstate", None) or getattr(exc, "sqlstate", None)


def is_lock_conflict(exc: BaseException) -> bool:
    """A deadlock, serialization failure or lock timeout: "busy", not "broken"."""
    return isinstance(exc, OperationalError) and sqlstate(exc) in CONFLICTS


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and sqlstate(exc) in RETRIED


def retry_on_conflict(action: Callable[P, R]) -> Callable[P, R]:
    """Run `action` again on a deadlock or serialization failure (see the module
    docstring); answer `Busy` when it persists or when a lock wait timed out."""

    @functools.wraps(action)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        retrying = Retrying(
            retry=retry_if_exception(_retryable), stop=stop_after_attempt(ATTEMPTS),
            wait=wait_random(0.005, 0.05), reraise=True,
            before_sleep=lambda state: logger.warning(
                "db.conflict_retry", action=action.__name__,
                attempt=state.attempt_number,
                sqlstate=sqlstate(state.outcome.exception())),
        )
        try:
            return retrying(action, *args, **kwargs)
        except OperationalError as exc:
            if sqlstate(exc) in CONFLICTS:
                logger.warning("db.busy", action=action.__name__, sqlstate=sqlstate(exc))
                raise Busy() from exc
            raise

    return wrapper
