"""Platform-wide periodic tasks. Each loops over the tenants; one failing tenant is logged
and does not stop the others."""

from __future__ import annotations

import structlog
from celery import shared_task
from django.core.cache import cache
from django.utils import timezone
from django_tenants.utils import tenant_context

from tenants.selectors import venue_tenants

logger = structlog.get_logger(__name__)

HEARTBEAT_KEY = "heartbeat:{schema}"


@shared_task(name="tenants.heartbeat")
def heartbeat() -> dict[str, int]:
    """Proves that beat, broker and worker run: stamps a time per tenant in the cache."""
    stamped = 0
    for tenant in venue_tenants():
        try:
            with tenant_context(tenant):
                cache.set(HEARTBEAT_KEY.format(schema=tenant.schema_name),
                          timezone.now().isoformat(), timeout=3600)
                stamped += 1
        except Exception:
            logger.exception("heartbeat.failed", schema=tenant.schema_name)
    logger.info("heartbeat.done", tenants=stamped)
    return {"tenants": stamped}
