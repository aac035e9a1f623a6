"""What was e-mailed (the outbox and its log) and who wants which operator alerts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from reservations.models import Alert


class OutgoingMail(models.Model):
    """One e-mail to one recipient. `key` names what it is about (`tickets:<tx>`,
    `reminder:<tx>:<deadline>`, `lapsed:<tx>`, `alert:<alert>:<user>`) and is unique: a
    redelivered or retried task finds the row and never sends the same e-mail twice."""

    class Kind(models.TextChoices):
        TICKETS = "tickets", "Tickets of a completed sale"
        REMINDER = "reminder", "Reservation deadline reminder"
        LAPSED = "lapsed", "Reservation lapsed"
        ALERT = "alert", "Operator alert"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # Nothing to send any more (the reservation was paid off before its reminder).
        SKIPPED = "skipped", "Skipped"

    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    transaction = models.ForeignKey("sales.Transaction", on_delete=models.CASCADE,
                                    null=True, blank=True, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    recipient = models.EmailField()
    language = models.CharField(max_length=5, default="es")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="mail_status_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.status})"


class AlertSubscription(models.Model):
    """A user (operator or venue admin) wants an e-mail for every alert of this kind."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="alert_subscriptions")
    kind = models.CharField(max_length=20, choices=Alert.Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user_id", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"],
                                               name="one_subscription_per_user_and_kind")]

    def __str__(self) -> str:
        return f"{self.user} ← {self.kind}"
