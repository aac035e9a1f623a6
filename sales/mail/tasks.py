"""Celery tasks of the e-mail app; the rules live in sales.mail.services. Tenant-aware
(tenant-schemas-celery): a task runs in the schema it was sent from; `dispatch`, sent by
beat from the public schema, visits every tenant.

Retries: an SMTP or connection error is retried with exponential backoff (1 min, 2, 4 …
up to an hour, jittered), MAIL_MAX_RETRIES times; the row says each attempt and the last
error, and ends `failed` after the last one. A permanent (5xx) refusal is not retried."""

from __future__ import annotations

from typing import Any

import structlog
from celery import shared_task
from django.conf import settings
from django.db import connection
from django_tenants.utils import get_public_schema_name

from reservations.tasks import for_each_tenant
from sales.mail import services

logger = structlog.get_logger(__name__)

RETRY_OPTIONS: dict[str, Any] = {
    "bind": True,
    "autoretry_for": services.RETRYABLE,
    "retry_backoff": 60,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": settings.MAIL_MAX_RETRIES,
    "acks_late": True,
}


def _last_attempt(task: Any) -> bool:
    return task.request.retries >= task.max_retries


@shared_task(name="mail.send_customer_mail", **RETRY_OPTIONS)
def send_customer_mail(self: Any, kind: str, transaction_id: int) -> str:
    """The customer e-mail a domain event calls for (tickets of a completed sale, a
    lapsed reservation's notice): recorded once, sent once."""
    if connection.schema_name == get_public_schema_name():
        raise ValueError("Send send_customer_mail from a tenant schema.")
    mail = services.record_customer_mail(kind=kind, transaction_id=transaction_id)
    if mail is None:
        return "no_recipient"
    return services.deliver(mail.pk, last_attempt=_last_attempt(self))


@shared_task(name="mail.deliver", **RETRY_OPTIONS)
def deliver(self: Any, mail_id: int) -> str:
    """A recorded e-mail (a reminder, an alert): sent once."""
    return services.deliver(mail_id, last_attempt=_last_attempt(self))


@shared_task(name="mail.dispatch")
def dispatch() -> dict[str, Any]:
    """Every minute (beat): record the reminders due and the alert e-mails not yet sent
    in each tenant, and queue them (sent from the tenant's schema: they run there)."""

    def work() -> int:
        ids = services.record_due_mail()
        for mail_id in ids:
            deliver.apply_async(kwargs={"mail_id": mail_id},
                                headers={"_schema_name": connection.schema_name})
        return len(ids)

    return for_each_tenant("mail_dispatch", work)
