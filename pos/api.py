"""API plumbing shared by every app: the exception handler and JSON error pages.

Every error a client can cause answers JSON `{"detail": ..., "code": ...}` with a 4xx
status; domain errors keep their own message and status."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpRequest, JsonResponse
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from pos.concurrency import is_lock_conflict
from pos.errors import Busy, DomainError, refusal_from_database


def _domain_response(exc: DomainError) -> Response:
    response = Response(exc.as_dict(), status=exc.status_code)
    retry_after = getattr(exc, "retry_after_seconds", None)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return _domain_response(exc)
    if is_lock_conflict(exc):
        # A lock conflict outside the services' own retry: still "busy", not "broken".
        return _domain_response(Busy())
    refusal = refusal_from_database(exc) if isinstance(exc, DatabaseError) else None
    if refusal is not None:  # a database guard's refusal that no service turned into one
        return Response(refusal.as_dict(), status=refusal.status_code)
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response(
            {"detail": "This is in use (it has sales, holds or seats) and cannot be deleted.",
             "code": "in_use"},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):  # body over DATA_UPLOAD_MAX_MEMORY_SIZE
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        return Response({"detail": f"The request body is larger than {limit} KiB.",
                         "code": "payload_too_large"},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {"detail": response.data}
    return response


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)


def json_server_error(request: HttpRequest) -> JsonResponse:
    # Django calls this inside the `except` of the failed request. A refused, lost or busy
    # database connection (PostgreSQL restarting, a failover) is not a bug: the client is
    # told to retry, and nothing was written (the request's transaction rolled back).
    failure = sys.exc_info()[1]
    if failure is not None and is_lock_conflict(failure):
        busy = Busy()
        response = JsonResponse(busy.as_dict(), status=busy.status_code)
        response["Retry-After"] = str(busy.retry_after_seconds)
        return response
    if isinstance(failure, OperationalError | InterfaceError):
        response = JsonResponse(
            {"detail": "The database is unavailable at the moment; try again shortly.",
             "code": "database_unavailable"},
            status=503,
        )
        response["Retry-After"] = "2"
        return response
    return JsonResponse({"detail": "Internal server error.", "code": "server_error"}, status=500)


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "Bad request.", "code": "bad_request"}, status=400)


def json_permission_denied(
    request: HttpRequest, exception: Exception | None = None
) -> JsonResponse:
    return JsonResponse({"detail": "Permission denied.", "code": "permission_denied"}, status=403)


def pos_terminal(request: HttpRequest) -> str:
    """The POS terminal a request comes from (`X-POS-Terminal`): it picks the fiscal series
    its documents are numbered in; "" means the venue's default series. Cut to the length
    of `FiscalSeries.terminal`."""
    return request.headers.get("X-POS-Terminal", "")[:40]
