"""Bulk extensions started from the API: validated and recorded here, run by the Celery
task `reservations.extend_reservations` in the tenant's schema, which calls
reservations.services.extend_reservations (the rule and the audit trail live there)."""

from __future__ import annotations

import uuid

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from pos.errors import DomainError
from reservations import services
from reservations.errors import ExtensionJobNotFound
from reservations.models import ExtensionJob

logger = structlog.get_logger(__name__)


def new_job_id() -> str:
    return uuid.uuid4().hex[:12]


def start_extension_job(
    *, hours: int, event_id: int | None, expiring_within: int | None,
    actor: AbstractBaseUser,
) -> ExtensionJob:
    """Check the request as the command does, record the job and queue the task once the
    row is committed (the worker must find it). Bad input raises before anything is
    queued."""
    from reservations.tasks import extend_reservations as extend_task  # tasks import us

    services.validate_bulk_extension(hours, expiring_within, event_id)
    job = ExtensionJob.objects.create(job_id=new_job_id(), hours=hours, event_id=event_id,
                                      expiring_within=expiring_within, requested_by=actor)
    # The schema is named explicitly: the callback may run after the request's connection
    # has moved on.
    headers = {"_schema_name": connection.schema_name}
    kwargs = {"hours": hours, "event_id": event_id, "expiring_within": expiring_within,
              "actor_id": actor.pk, "actor_label": f"api ({actor.get_username()})",
              "job_id": job.job_id}

    def send() -> None:
        try:
            extend_task.apply_async(kwargs=kwargs, headers=headers)
        except Exception as exc:  # broker down: the job says so instead of a 500
            logger.exception("reservations.extension_not_queued", job=job.job_id)
            ExtensionJob.objects.filter(pk=job.pk).update(
                status=ExtensionJob.Status.FAILED, finished_at=timezone.now(),
                error=f"The job could not be queued ({exc.__class__.__name__}); try again.")

    transaction.on_commit(send)
    logger.info("reservations.extension_queued", job=job.job_id, hours=hours,
                event_id=event_id, by=actor.get_username())
    job.refresh_from_db()  # outside a transaction the send ran already
    return job


def run_extension_job(
    *, hours: int, event_id: int | None, expiring_within: int | None, dry_run: bool,
    actor_id: int | None, actor_label: str, job_id: str,
) -> dict[str, object]:
    """The task's body: the extension, with the job's row (when the API started it) kept
    up to date. A redelivered task is reported by the service, not applied twice."""
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    job = ExtensionJob.objects.filter(job_id=job_id).first() if job_id else None
    if job is not None:
        ExtensionJob.objects.filter(pk=job.pk).update(
            status=ExtensionJob.Status.RUNNING, started_at=timezone.now())
    try:
        result = services.extend_reservations(
            hours=hours, event_id=event_id, expiring_within=expiring_within, dry_run=dry_run,
            actor=actor, actor_label=actor_label, job_id=job_id,
        )
    except DomainError as exc:  # e.g. the event was deleted after the job was queued
        if job is not None:
            ExtensionJob.objects.filter(pk=job.pk).update(
                status=ExtensionJob.Status.FAILED, error=exc.message,
                finished_at=timezone.now())
        return {"job": job_id, "error": exc.message}
    except Exception as exc:
        if job is not None:
            ExtensionJob.objects.filter(pk=job.pk).update(
                status=ExtensionJob.Status.FAILED, error=str(exc)[:500],
                finished_at=timezone.now())
        raise
    if job is not None:
        ExtensionJob.objects.filter(pk=job.pk).update(
            status=ExtensionJob.Status.DONE, finished_at=timezone.now(),
            reservations=int(result["reservations"]), tickets=int(result["tickets"]),
            replayed=bool(result["replayed"]), error="")
    return result


def extension_job(job_id: str) -> ExtensionJob:
    job = ExtensionJob.objects.select_related("requested_by").filter(job_id=job_id).first()
    if job is None:
        raise ExtensionJobNotFound()
    return job
