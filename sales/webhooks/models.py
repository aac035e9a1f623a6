"""Webhook endpoints, the deliveries made to them and each delivery's attempts."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from pos.domain_events import EVENT_NAMES

PING = "ping"
# What an endpoint may subscribe to: the domain events (pos.domain_events).
EVENT_TYPES: tuple[str, ...] = EVENT_NAMES
# What a delivery may carry: those, and the test event an admin sends on demand.
DELIVERY_TYPES: tuple[str, ...] = (*EVENT_TYPES, PING)


class WebhookEndpoint(models.Model):
    """A URL told of the events it subscribes to. `secret` signs every delivery
    (sales.webhooks.signing); after a rotation `previous_secret` signs them too until
    `previous_secret_expires_at`, so that a receiver can switch keys without a gap."""

    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="The event types it subscribes to.")
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event told to one endpoint: the exact body sent (the same bytes on every
    attempt), its status and when the next attempt is due. A replay is a new delivery
    with the same event id and body (`replay_of` the original)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"  # every attempt of the schedule failed
        ABANDONED = "abandoned", "Abandoned"  # the endpoint was deactivated meanwhile

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    event_type = models.CharField(max_length=40)
    event_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    body = models.TextField(help_text="The exact JSON body sent, UTF-8.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    replay_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="replays")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            # A redelivered fan-out task finds the delivery it made: one per endpoint and
            # event (replays aside).
            models.UniqueConstraint(fields=["endpoint", "event_id"],
                                    condition=models.Q(replay_of__isnull=True),
                                    name="webhook_one_delivery_per_event"),
        ]
        indexes = [models.Index(fields=["endpoint", "status"], name="webhook_endpoint_status")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP POST of a delivery and what came back."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE,
                                 related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="",
                                     help_text="The answer's first bytes (bounded).")
    error = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
