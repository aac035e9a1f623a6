"""The domain-event listener (pos.domain_events): runs after commit in the request that
made the change, so it only decides whether to queue the fan-out task."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sales.webhooks import selectors


def queue_webhooks(sender: Any, *, name: str, schema_name: str, data: dict[str, Any],
                   occurred_at: datetime, **kwargs: Any) -> None:
    """Nothing, at the cost of one cache read, when no active endpoint of the tenant
    subscribes to `name`; else one Celery task in the tenant's schema that builds the
    payload and the deliveries. The event id is made here, once, so a redelivered task
    makes no second delivery."""
    if name not in selectors.subscribed_events(schema_name):
        return
    from sales.webhooks.tasks import fan_out_event

    fan_out_event.apply_async(
        kwargs={"event_id": str(uuid.uuid4()), "event_type": name, "data": data,
                "occurred_at": occurred_at.isoformat()},
        headers={"_schema_name": schema_name})
