"""Throttles of the log-in endpoint (`POST /api/auth/token/`), counted in Redis.

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
        data = request.data
        username = data.get("username") if isinstance(data, dict) else None
        if not isinstance(username, str) or not username.strip():
            return None  # nothing to count against; the per-address throttle still applies
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        return f"throttle:{self.scope}:{connection.schema_name}:{digest}"
