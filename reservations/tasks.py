"""Celery tasks of the reservation jobs. They only call reservations.monitoring and
reservations.jobs (which calls reservations.services); no rule lives here.

Tenant-aware (tenant-schemas-celery): a task runs in the schema it was sent from. The
periodic ones are sent by beat from the public schema and loop over every tenant; a
tenant that fails is logged and reported, and the others go on. Sent from a tenant
schema, a task works on that schema only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from celery import shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name, tenant_context

from reservations import jobs, monitoring
from reservations.models import CleanupRun
from tenants.selectors import venue_tenants

logger = structlog.get_logger(__name__)


def for_each_tenant(job: str, work: Callable[[], Any]) -> dict[str, Any]:
    """Run `work` in the current tenant schema, or, from the public schema, in every
    tenant's schema in turn. The answer maps each schema to its result or its error."""
    if connection.schema_name != get_public_schema_name():
        return {connection.schema_name: work()}
    results: dict[str, Any] = {}
    for tenant in venue_tenants():
        try:
            with tenant_context(tenant):
                results[tenant.schema_name] = work()
        except Exception as exc:  # one tenant's failure must not stop the others
            logger.exception(f"{job}.failed", schema=tenant.schema_name)
            results[tenant.schema_name] = {"error": str(exc)[:500]}
    return results


@shared_task(name="reservations.dispatch_cleanup")
def dispatch_cleanup() -> dict[str, int]:
    """Every minute (beat): queue `cleanup_expired_reservations` for each tenant whose
    `cleanup_interval_minutes` has elapsed since its last run."""
    queued = 0
    failed = 0
    for tenant in venue_tenants():
        try:
            with tenant_context(tenant):
                run = monitoring.claim_due_cleanup()
                if run is not None:
                    # Sent while the connection is on the tenant: runs in its schema.
                    cleanup_expired_reservations.apply_async(kwargs={"run_id": run.pk})
                    queued += 1
        except Exception:
            failed += 1
            logger.exception("cleanup.dispatch_failed", schema=tenant.schema_name)
    return {"queued": queued, "failed": failed}


@shared_task(name="reservations.cleanup_expired_reservations")
def cleanup_expired_reservations(
    run_id: int | None = None, batch_size: int = 1000
) -> dict[str, Any]:
    """Record EXPIRED on holds and partial-payment reservations past their time (seats
    freed, availability cache invalidated). Idempotent: safe to run twice, or again
    after a crash halfway."""
    trigger = CleanupRun.Trigger.BEAT if run_id else CleanupRun.Trigger.TASK
    return for_each_tenant("cleanup", lambda: monitoring.run_cleanup(
        trigger=trigger, run_id=run_id, batch_size=batch_size))


@shared_task(name="reservations.snapshot_stats")
def snapshot_stats() -> dict[str, Any]:
    """Store a ReservationStatsSnapshot per event for trends, and prune old history."""

    def work() -> dict[str, Any]:
        return {"snapshots": monitoring.take_stats_snapshot(),
                "pruned": monitoring.prune_history()}

    return for_each_tenant("stats_snapshot", work)


@shared_task(name="reservations.refresh_alerts")
def refresh_alerts() -> dict[str, Any]:
    """Raise and resolve the operator alerts."""
    return for_each_tenant("alerts", lambda: monitoring.refresh_alerts())


@shared_task(name="reservations.extend_reservations")
def extend_reservations(
    hours: int, event_id: int | None = None, expiring_within: int | None = None,
    dry_run: bool = False, actor_label: str = "task", job_id: str = "",
    actor_id: int | None = None,
) -> dict[str, Any]:
    """The bulk extension, in the schema the task was sent from (never all tenants at
    once: event ids are per tenant). A job id makes a redelivered task a no-op; the
    actor (a user id) is recorded in the audit trail; an API job's row gets the outcome."""
    if connection.schema_name == get_public_schema_name():
        raise ValueError("Send extend_reservations from a tenant schema.")
    return jobs.run_extension_job(
        hours=hours, event_id=event_id, expiring_within=expiring_within, dry_run=dry_run,
        actor_id=actor_id, actor_label=actor_label, job_id=job_id,
    )
