"""The domain events' listener (pos.domain_events): it runs in the request that made
the change, after commit, so it only looks whether there is anybody to write to and
queues the task; building and sending the e-mail is the task's (sales.mail.tasks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from django_tenants.utils import schema_context

from pos import domain_events
from sales.mail.models import OutgoingMail
from sales.models import Transaction

logger = structlog.get_logger(__name__)

# Which customer e-mail each event sends.
CUSTOMER_MAIL = {
    domain_events.SALE_COMPLETED: OutgoingMail.Kind.TICKETS,
    domain_events.RESERVATION_EXPIRED: OutgoingMail.Kind.LAPSED,
}


def queue_customer_mail(sender: Any, *, name: str, schema_name: str, data: dict[str, Any],
                        occurred_at: datetime, **kwargs: Any) -> None:
    kind = CUSTOMER_MAIL.get(name)
    if kind is None:
        return
    from sales.mail.tasks import send_customer_mail  # tasks import the services

    transaction_id = data["transaction_id"]
    with schema_context(schema_name):
        email = (Transaction.objects.filter(pk=transaction_id)
                 .values_list("customer_email", flat=True).first())
        if not email:  # nobody to write to: nothing queued
            return
        # The tenant named explicitly (tenant-schemas-celery): the worker runs it there.
        send_customer_mail.apply_async(
            kwargs={"kind": kind, "transaction_id": transaction_id},
            headers={"_schema_name": schema_name})
    logger.info("mail.queued", kind=kind, transaction=transaction_id, schema=schema_name)
