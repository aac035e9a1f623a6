"""Liveness: can this process reach PostgreSQL and Redis? No auth, served on every host."""

from __future__ import annotations

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _check_redis() -> str:
    client = redis.Redis.from_url(
        settings.CACHES["default"]["LOCATION"], socket_connect_timeout=0.5, socket_timeout=0.5
    )
    try:
        client.ping()
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    finally:
        client.close()
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "redis": _check_redis()}
    healthy = all(value == "ok" for value in checks.values())
    failed = [name for name, value in checks.items() if value != "ok"]
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    if failed:
        body["detail"] = "Unreachable: " + ", ".join(failed)
    return JsonResponse(body, status=200 if healthy else 503)
