"""One throttle for every log-in: django-axes, configured in pos/settings.py (AXES_*).

The API token log-in (`POST /api/auth/token/`), the POS page's form (`/pos/login/`), a
venue's Django admin and the platform admin all authenticate through Django's
`authenticate()`, where axes' backend refuses a throttled attempt before any password is
checked (the right password included: no oracle) and counts each failure.

Failures are rows (`axes.AccessAttempt`) of the schema the log-in happens in: axes is a
shared app and a tenant app, so each venue counts its own log-ins in its own schema and the
platform admin counts in the public schema; no venue can lock another's staff out. Two
counters, both against AXES_FAILURE_LIMIT: one per client address, one per username (case
and surrounding spaces ignored). A failure while locked out is counted too and restarts
the cool-off (AXES_COOLOFF_TIME), so `Retry-After` is the whole cool-off.

This module gives axes the username and address to count, and the answer to a refused
log-in: 429 JSON with `Retry-After` on the API, the log-in page with a message elsewhere.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _


def normalize_username(username: str) -> str:
    return username.strip().lower()


def attempted_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The username counted (AXES_USERNAME_CALLABLE): from the credentials handed to
    `authenticate()`, else the posted form."""
    if credentials:
        raw = credentials.get("username")
    else:
        data = getattr(request, "data", None) or request.POST
        raw = data.get("username") if hasattr(data, "get") else None
    if not isinstance(raw, str) or not raw.strip():
        return None
    return normalize_username(raw)[:255]


def client_address(request: HttpRequest) -> str | None:
    """The client's address (AXES_CLIENT_IP_CALLABLE): the TCP peer, or with NUM_PROXIES
    trusted proxies the address the outermost of them saw in X-Forwarded-For. A header
    added by the client itself is not trusted, so forging one does not reset a counter."""
    address = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.NUM_PROXIES and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            address = hops[-min(settings.NUM_PROXIES, len(hops))]
    try:
        return str(ipaddress.ip_address(address or ""))
    except ValueError:
        return request.META.get("REMOTE_ADDR") or None


def retry_after_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """The answer to a log-in the throttle refused (AXES_LOCKOUT_CALLABLE)."""
    seconds = retry_after_seconds()
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": f"Too many failed log-in attempts. Try again in {seconds} s.",
             "code": "throttled", "retry_after": seconds},
            status=429)
    elif original_response is not None and original_response.status_code == 429:
        response = original_response  # the POS page answered with its own form
    else:  # the Django admin (tenant or platform)
        message = _("Too many log-in attempts. Try again in {seconds} s.").format(
            seconds=seconds)
        response = HttpResponse(render_to_string("pos/locked_out.html",
                                                 {"message": message}, request=request),
                                status=429)
    response["Retry-After"] = str(seconds)
    return response
