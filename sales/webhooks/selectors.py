"""Reads of the webhooks: which events a tenant listens to (cached, asked on every sale),
the endpoints and the delivery log."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet
from django_tenants.utils import schema_context

from sales.webhooks.errors import DeliveryNotFound, EndpointNotFound
from sales.webhooks.models import WebhookDelivery, WebhookEndpoint

# A bound on staleness should an invalidation be missed; the services invalidate anyway.
SUBSCRIPTIONS_TTL = 300


def subscriptions_key(schema: str) -> str:
    return f"webhooks:subscribed:{schema}"


def subscribed_events(schema: str) -> frozenset[str]:
    """The event types some active endpoint of the tenant subscribes to: one cache read per
    domain event, so that a sale in a tenant without webhooks costs nothing more."""
    key = subscriptions_key(schema)
    cached = cache.get(key)
    if cached is None:
        with schema_context(schema):
            cached = sorted({name for events in WebhookEndpoint.objects.filter(is_active=True)
                             .values_list("events", flat=True) for name in events})
        cache.set(key, cached, SUBSCRIPTIONS_TTL)
    return frozenset(cached)


def endpoints() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.select_related("created_by").order_by("id")


def endpoint(endpoint_id: int) -> WebhookEndpoint:
    found = endpoints().filter(pk=endpoint_id).first()
    if found is None:
        raise EndpointNotFound()
    return found


def deliveries(*, endpoint_id: int | None = None, status: str | None = None,
               event_type: str | None = None,
               event_id: str | None = None) -> QuerySet[WebhookDelivery]:
    """The delivery log, newest first, filtered as asked."""
    queryset = WebhookDelivery.objects.select_related("endpoint")
    if endpoint_id is not None:
        queryset = queryset.filter(endpoint_id=endpoint_id)
    if status:
        queryset = queryset.filter(status=status)
    if event_type:
        queryset = queryset.filter(event_type=event_type)
    if event_id:
        queryset = queryset.filter(event_id=event_id)
    return queryset.order_by("-created_at", "-id")


def delivery(delivery_id: int) -> WebhookDelivery:
    """One delivery with its attempts, in order."""
    found = (WebhookDelivery.objects.select_related("endpoint", "requested_by")
             .prefetch_related("attempt_log").filter(pk=delivery_id).first())
    if found is None:
        raise DeliveryNotFound()
    return found
