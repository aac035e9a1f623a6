"""Throttles of the log-ins (`POST /api/auth/token/` and the POS page's form), counted in
Redis.

Two counters, both per tenant schema: one per client address (password spraying from one
place) and one per username (guessing one account's password from many places). The rates
are `auth_ip` and `auth_user` in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]. With Redis down
the cache ignores errors and the throttle lets requests through: a log-in is never refused
because the cache is unreachable."""

from __future__ import annotations

import hashlib

from django.db import connection
from rest_framework.throttling import SimpleRateThrottle


class LoginIPThrottle(SimpleRateThrottle):
    scope = "auth_ip"

    def get_cache_key(self, request, view) -> str:
        return f"throttle:{self.scope}:{connection.schema_name}:{self.get_ident(request)}"


class LoginUsernameThrottle(SimpleRateThrottle):
    scope = "auth_user"

    def get_cache_key(self, request, view) -> str | None:
        # A DRF request carries `data`; the POS page's Django form posts `POST`.
        data = getattr(request, "data", None) or request.POST
        username = data.get("username") if isinstance(data, dict) else None
        if not isinstance(username, str) or not username.strip():
            return None  # nothing to count against; the per-address throttle still applies
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        return f"throttle:{self.scope}:{connection.schema_name}:{digest}"


def login_throttled(request, view) -> float | None:
    """For a log-in outside DRF (the POS page): None when allowed, else the seconds to
    wait. Both counters are consulted, as on the token endpoint."""
    waits = [throttle.wait() or 1.0
             for throttle in (LoginIPThrottle(), LoginUsernameThrottle())
             if not throttle.allow_request(request, view)]
    return max(waits) if waits else None
