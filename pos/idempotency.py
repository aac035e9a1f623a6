"""`Idempotency-Key` for the endpoints that take money or seats: a retried request is
answered with the first answer and does nothing new.

How it holds under concurrency: the key row is inserted first (unique per user) in the
same database transaction as the action and its stored answer. A second request with the
same key blocks on that insert until the first commits, then finds the row and replays the
stored answer; if the first rolled back, the second runs the action itself. A request that
waits longer than IN_PROGRESS_WAIT gets 409 `idempotency_key_in_progress` (retry later).

- Scope: the table lives in each tenant's schema and is unique per (user, key).
- Same key, different method, path or body: 409 `idempotency_key_reused`, nothing done.
- Answers below 500 are stored (a refused checkout stays refused for that key); a 5xx or
  a crash stores nothing, so the client may retry with the same key.
- Keys are kept KEY_TTL (24 h); an older key is forgotten and may be used again.
- The header is optional: without it the request runs as usual.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from pos.errors import Conflict, DomainError
from sales.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEY_TTL = timedelta(hours=24)
IN_PROGRESS_WAIT = "10s"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]{1,255}$"},
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique key per intended action (e.g. a UUID). A retry with the same key and "
        "body returns the first answer and does nothing new; with another body: 409. "
        "Kept 24 hours, per user."
    ),
)


class InvalidIdempotencyKey(DomainError):
    code = "invalid_idempotency_key"
    default_message = f"{HEADER} must be 1 to 255 visible ASCII characters."


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = (
        f"This {HEADER} was already used for a different request. Use a new key for a new "
        "action."
    )


class IdempotencyKeyInProgress(Conflict):
    code = "idempotency_key_in_progress"
    default_message = (
        f"A request with this {HEADER} is still being processed. Retry in a moment."
    )


def request_fingerprint(request: Request) -> str:
    """sha256 over method, path and the body as canonical JSON (key order ignored)."""
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(*, user_id: int, key: str, fingerprint: str, request: Request,
           now: datetime) -> IdempotencyKey | None:
    """Insert the key row, waiting for a concurrent holder of the same key. Returns None
    when this request owns the key, or the existing (committed) row."""
    table = IdempotencyKey._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{IN_PROGRESS_WAIT}'")
        # Forget this user's expired keys (the table stays small without a sweeper).
        cursor.execute(f"DELETE FROM {table} WHERE user_id = %s AND created_at < %s",
                       [user_id, now - KEY_TTL])
        cursor.execute(
            f"INSERT INTO {table} (user_id, key, fingerprint, method, path, response_body, "
            "created_at) VALUES (%s, %s, %s, %s, %s, '', %s) "
            "ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
            [user_id, key, fingerprint, request.method, request.path[:500], now],
        )
        inserted = cursor.fetchone()
        # Back to the lock timeout of every write (not TO DEFAULT: behind PgBouncer the
        # session's default is the server's, no timeout; docs/pgbouncer.md).
        cursor.execute(f"SET LOCAL lock_timeout = '{settings.POS_LOCK_TIMEOUT}'")
    if inserted:
        return None
    return IdempotencyKey.objects.get(user_id=user_id, key=key)


def _replay(row: IdempotencyKey) -> Response:
    response = Response(json.loads(row.response_body) if row.response_body else None,
                        status=row.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def run_once(*, view, request: Request, key: str, action: Callable[[], Response]) -> Response:
    """Run `action` at most once per (user, key); see the module docstring."""
    fingerprint = request_fingerprint(request)
    now = timezone.now()
    with transaction.atomic():
        try:
            existing = _claim(user_id=request.user.pk, key=key, fingerprint=fingerprint,
                              request=request, now=now)
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) == "55P03":  # lock_not_available
                raise IdempotencyKeyInProgress() from exc
            raise
        if existing is not None:
            if existing.fingerprint != fingerprint:
                raise IdempotencyKeyReused()
            return _replay(existing)
        try:
            with transaction.atomic():
                try:
                    response = action()
                except DomainError as exc:
                    # A refused action: the service rolled back its own writes and kept
                    # what it keeps on purpose (a refused hold's HoldAttempt rows), so
                    # the savepoint is released, as without a key.
                    response = view.handle_exception(exc)
        except Exception as exc:
            # Other API errors become their answer (stored like any other) with the
            # action's writes undone; anything else propagates and rolls the key back.
            response = view.handle_exception(exc)
        if response.status_code >= 500:
            transaction.set_rollback(True)  # nothing kept: the client may retry the key
            return response
        IdempotencyKey.objects.filter(user_id=request.user.pk, key=key).update(
            response_status=response.status_code,
            response_body=JSONRenderer().render(response.data).decode(),
        )
    return response


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Decorate a DRF view method: honour the `Idempotency-Key` header when present."""

    @functools.wraps(handler)
    def wrapper(view, request: Request, *args, **kwargs) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not KEY_PATTERN.match(key):
            raise InvalidIdempotencyKey()
        return run_once(view=view, request=request, key=key,
                        action=lambda: handler(view, request, *args, **kwargs))

    return wrapper
