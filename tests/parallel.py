"""Real parallel clients for concurrency tests: each call in its own thread with its own
PostgreSQL connection, all released at once by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import connections
from django_tenants.utils import tenant_context

from tenants.models import Tenant


def run_parallel(
    calls: list[Callable[[], object]],
    *,
    tenant: Tenant | None = None,
    catch: type[BaseException] | tuple[type[BaseException], ...] = (),
) -> list[object]:
    """Run every call at the same instant; returns each call's result, or the exception
    it raised when that is one of `catch` (others propagate), in order. With `tenant`,
    each thread works in that tenant's schema."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        try:
            if tenant is None:
                barrier.wait(timeout=30)
                return call()
            with tenant_context(tenant):
                barrier.wait(timeout=30)
                return call()
        except catch as exc:
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
