"""The webhooks' business actions: registering endpoints and rotating their secrets,
turning a domain event into deliveries, sending one attempt of a delivery, replays and
test pings (docs/webhooks.md)."""

from __future__ import annotations

import random
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
import structlog
import urllib3
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from sales.webhooks import payloads, selectors, signing
from sales.webhooks.errors import EndpointInactive, UnsafeUrl
from sales.webhooks.models import PING, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from sales.webhooks.safety import check_url

logger = structlog.get_logger(__name__)

SECRET_PREFIX = "whsec_"
MAX_RESPONSE_EXCERPT = 2048  # bytes of an answer's body kept in the attempt log
MAX_ROTATION_GRACE_HOURS = 168
USER_AGENT = "venue-pos-webhooks/1"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _subscriptions_changed() -> None:
    """Forget the tenant's cached subscriptions now and again after the commit (a read
    made between the two would have cached the old rows)."""
    key = selectors.subscriptions_key(connection.schema_name)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


# --- Endpoints ---------------------------------------------------------------------------


def create_endpoint(*, url: str, events: list[str], created_by: AbstractBaseUser,
                    description: str = "", is_active: bool = True) -> WebhookEndpoint:
    """Register a URL for `events` with a new secret (shown to the caller once). The URL
    must be one webhooks may be sent to (sales.webhooks.safety)."""
    check_url(url)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            url=url, events=sorted(set(events)), secret=new_secret(), is_active=is_active,
            description=description, created_by=created_by)
        _subscriptions_changed()
    logger.info("webhooks.endpoint_created", schema=connection.schema_name,
                endpoint=endpoint.pk, events=endpoint.events)
    return endpoint


def update_endpoint(*, endpoint: WebhookEndpoint, **changes: Any) -> WebhookEndpoint:
    """Change `url`, `events`, `description` or `is_active`. A deactivated endpoint's
    pending deliveries are abandoned at their next attempt."""
    if "url" in changes and changes["url"] != endpoint.url:
        check_url(changes["url"])
    if "events" in changes:
        changes["events"] = sorted(set(changes["events"]))
    with transaction.atomic():
        for field, value in changes.items():
            setattr(endpoint, field, value)
        endpoint.save()
        _subscriptions_changed()
    return endpoint


def delete_endpoint(*, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and its delivery log."""
    with transaction.atomic():
        endpoint.delete()
        _subscriptions_changed()


def rotate_secret(*, endpoint: WebhookEndpoint, grace_hours: int = 24,
                  now: datetime | None = None) -> WebhookEndpoint:
    """A new secret. For `grace_hours` (0 to 168) deliveries are signed with the previous
    one as well, so a receiver can switch over without refusing anything."""
    now = now or timezone.now()
    grace_hours = max(0, min(grace_hours, MAX_ROTATION_GRACE_HOURS))
    endpoint.previous_secret = endpoint.secret if grace_hours else ""
    endpoint.previous_secret_expires_at = (now + timedelta(hours=grace_hours)
                                           if grace_hours else None)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at",
                                 "updated_at"])
    logger.info("webhooks.secret_rotated", schema=connection.schema_name,
                endpoint=endpoint.pk, grace_hours=grace_hours)
    return endpoint


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, then the previous one
    while its grace period lasts."""
    valid = [endpoint.secret]
    if (endpoint.previous_secret and endpoint.previous_secret_expires_at
            and now < endpoint.previous_secret_expires_at):
        valid.append(endpoint.previous_secret)
    return valid


# --- From an event to deliveries ---------------------------------------------------------


def _queue_send(delivery_ids: list[int]) -> None:
    """Queue one send task per delivery once the rows are committed (the worker must find
    them), in this tenant's schema."""
    from sales.webhooks.tasks import send_delivery  # the tasks import this module

    headers = {"_schema_name": connection.schema_name}

    def send() -> None:
        for delivery_id in delivery_ids:
            try:
                send_delivery.apply_async(args=[delivery_id], headers=headers)
            except Exception:  # broker down: the delivery stays pending, replayable
                logger.exception("webhooks.send_not_queued", delivery=delivery_id,
                                 schema=headers["_schema_name"])

    transaction.on_commit(send)


def fan_out_event(*, event_id: str, event_type: str, data: dict[str, Any],
                  occurred_at: datetime) -> list[int]:
    """One delivery per active endpoint subscribed to `event_type`, all with the same
    body, and their sends queued. Idempotent: run again for the same `event_id` (a
    redelivered task), it makes no second delivery to an endpoint."""
    targets = [e for e in WebhookEndpoint.objects.filter(is_active=True)
               if event_type in e.events]
    if not targets:
        return []
    body = payloads.event_body(event_id=event_id, event_type=event_type,
                               occurred_at=occurred_at, data=data)
    now = timezone.now()
    made: list[int] = []
    with transaction.atomic():
        for endpoint in targets:
            delivery, created = WebhookDelivery.objects.get_or_create(
                endpoint=endpoint, event_id=event_id, replay_of=None,
                defaults={"event_type": event_type, "body": body, "created_at": now,
                          "next_attempt_at": now})
            if created:
                made.append(delivery.pk)
        _queue_send(made)
    logger.info("webhooks.event_fanned_out", schema=connection.schema_name,
                event_type=event_type, event_id=event_id, deliveries=len(made))
    return made


def replay_delivery(*, delivery: WebhookDelivery, user: AbstractBaseUser | None
                    ) -> WebhookDelivery:
    """Send the delivery's event again: a new delivery with the same event id and body,
    freshly signed at each attempt, with its own attempt log and retries."""
    if not delivery.endpoint.is_active:
        raise EndpointInactive()
    now = timezone.now()
    with transaction.atomic():
        replay = WebhookDelivery.objects.create(
            endpoint=delivery.endpoint, event_type=delivery.event_type,
            event_id=delivery.event_id, body=delivery.body, replay_of=delivery,
            requested_by=user, created_at=now, next_attempt_at=now)
        _queue_send([replay.pk])
    logger.info("webhooks.replayed", schema=connection.schema_name, delivery=delivery.pk,
                replay=replay.pk)
    return replay


def send_ping(*, endpoint: WebhookEndpoint, user: AbstractBaseUser | None) -> WebhookDelivery:
    """A `ping` event to the endpoint (whatever it subscribes to), to check the receiver
    and its signature verification."""
    if not endpoint.is_active:
        raise EndpointInactive()
    now = timezone.now()
    event_id = str(uuid.uuid4())
    body = payloads.event_body(event_id=event_id, event_type=PING, occurred_at=now,
                               data={"endpoint_id": endpoint.pk})
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event_type=PING, event_id=event_id, body=body,
            requested_by=user, created_at=now, next_attempt_at=now)
        _queue_send([delivery.pk])
    return delivery


# --- Sending -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptOutcome:
    delivery: WebhookDelivery
    attempt: WebhookAttempt | None
    retry_in: float | None  # seconds until the next attempt; None: no further attempt


def retry_delay(attempt_number: int) -> float | None:
    """Seconds before the attempt after failed attempt `attempt_number` (1-based), with
    ±20 % jitter so that the retries of one outage do not arrive together; None when the
    schedule (settings.POS_WEBHOOKS_RETRY_SCHEDULE) is spent."""
    schedule = settings.POS_WEBHOOKS_RETRY_SCHEDULE
    if attempt_number > len(schedule):
        return None
    return schedule[attempt_number - 1] * random.uniform(0.8, 1.2)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST without following redirects; the status and the answer's first bytes."""
    check_url(url)
    with requests.post(url, data=body, headers=headers, allow_redirects=False, stream=True,
                       timeout=(settings.POS_WEBHOOKS_CONNECT_TIMEOUT,
                                settings.POS_WEBHOOKS_READ_TIMEOUT)) as response:
        excerpt = response.raw.read(MAX_RESPONSE_EXCERPT, decode_content=True) or b""
        return response.status_code, excerpt.decode("utf-8", errors="replace")


def attempt_delivery(*, delivery_id: int) -> AttemptOutcome:
    """One POST of the delivery, logged with the answer. 2xx: succeeded. Anything else
    (another status, a timeout, a refused connection, an unsafe address): the next attempt
    is scheduled (`retry_in`), or the delivery is failed once the schedule is spent. A
    delivery no longer pending (a duplicate task) is left alone; one whose endpoint was
    deactivated is abandoned."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    now = timezone.now()
    if delivery.status != WebhookDelivery.Status.PENDING:
        return AttemptOutcome(delivery, None, None)
    if not endpoint.is_active:
        delivery.status = WebhookDelivery.Status.ABANDONED
        delivery.finished_at, delivery.next_attempt_at = now, None
        delivery.save(update_fields=["status", "finished_at", "next_attempt_at"])
        return AttemptOutcome(delivery, None, None)

    number = delivery.attempts + 1
    body = delivery.body.encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        signing.EVENT_HEADER: delivery.event_type,
        signing.DELIVERY_HEADER: str(delivery.event_id),
        signing.SIGNATURE_HEADER: signing.signature_header(
            signing_secrets(endpoint, now), int(now.timestamp()), body),
    }
    status_code: int | None = None
    excerpt = error = ""
    started = time.perf_counter()
    try:
        status_code, excerpt = _post(endpoint.url, body, headers)
    except UnsafeUrl as exc:
        error = exc.message
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        # (reading the streamed answer raises urllib3's errors, not requests' wrappers)
        error = f"{exc.__class__.__name__}: {exc}"
    duration_ms = int((time.perf_counter() - started) * 1000)
    succeeded = status_code is not None and 200 <= status_code < 300
    if not succeeded and not error:
        error = f"HTTP {status_code}"
    retry_in = None if succeeded else retry_delay(number)
    with transaction.atomic():
        attempt = WebhookAttempt.objects.create(
            delivery=delivery, number=number, started_at=now, duration_ms=duration_ms,
            status_code=status_code, response_body=excerpt, error=error[:300])
        delivery.attempts = number
        delivery.last_status_code = status_code
        if succeeded or retry_in is None:
            delivery.status = (WebhookDelivery.Status.SUCCEEDED if succeeded
                               else WebhookDelivery.Status.FAILED)
            delivery.finished_at, delivery.next_attempt_at = timezone.now(), None
        else:
            delivery.next_attempt_at = now + timedelta(seconds=retry_in)
        delivery.save(update_fields=["attempts", "last_status_code", "status", "finished_at",
                                     "next_attempt_at"])
    logger.info("webhooks.attempt", schema=connection.schema_name, delivery=delivery.pk,
                event_type=delivery.event_type, attempt=number, status_code=status_code,
                error=error[:120], retry_in=retry_in, ms=duration_ms)
    return AttemptOutcome(delivery, attempt, retry_in)
