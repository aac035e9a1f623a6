"""Celery tasks of the webhooks; they call sales.webhooks.services, where the rules live.
Tenant-aware (tenant-schemas-celery): sent with the `_schema_name` header, they run in
that tenant's schema."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils.dateparse import parse_datetime

from sales.webhooks import services


@shared_task(name="webhooks.fan_out_event")
def fan_out_event(*, event_id: str, event_type: str, data: dict[str, Any],
                  occurred_at: str) -> list[int]:
    """Build the event's body from the committed state and a delivery per subscribed
    endpoint, each then sent by its own `send_delivery`."""
    return services.fan_out_event(event_id=event_id, event_type=event_type, data=data,
                                  occurred_at=parse_datetime(occurred_at))


@shared_task(bind=True, name="webhooks.send_delivery", max_retries=None)
def send_delivery(self, delivery_id: int) -> str:
    """One attempt; a failure is retried by Celery after the schedule's delay
    (services.retry_delay) until the schedule is spent."""
    outcome = services.attempt_delivery(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.delivery.status
