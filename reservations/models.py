"""Held seats and general-admission units, with their state machine and audit trail."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ReservedTicketQuerySet(models.QuerySet):
    """The one place that says what a live claim is.

    Expiry is exact: an ACTIVE hold whose `reserved_until` has passed is gone at that
    instant for every read, whether or not the cleanup job has recorded it yet. `now`
    comes from Python (so tests can move time), never from the database clock.
    """

    def live(self, now: datetime | None = None) -> ReservedTicketQuerySet:
        return self.filter(status=ReservedTicket.Status.ACTIVE,
                           reserved_until__gt=now or timezone.now())

    def stale(self, now: datetime | None = None) -> ReservedTicketQuerySet:
        """ACTIVE on paper but past their time: logically expired, not yet recorded."""
        return self.filter(status=ReservedTicket.Status.ACTIVE,
                           reserved_until__lte=now or timezone.now())

    def claiming(self, now: datetime | None = None) -> ReservedTicketQuerySet:
        """Claims that make a seat or a GA unit unavailable: live holds and sales."""
        return self.filter(
            Q(status=ReservedTicket.Status.COMPLETED)
            | Q(status=ReservedTicket.Status.ACTIVE, reserved_until__gt=now or timezone.now())
        )


class ReservedTicket(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    # Allowed transitions, enforced by reservations.transitions.
    TRANSITIONS: dict[str, set[str]] = {
        Status.ACTIVE: {Status.COMPLETED, Status.CANCELLED, Status.EXPIRED},
        Status.COMPLETED: set(),
        Status.CANCELLED: set(),
        Status.EXPIRED: set(),
    }

    transaction = models.ForeignKey(
        "sales.Transaction", on_delete=models.CASCADE, related_name="reserved_tickets"
    )
    event = models.ForeignKey("sales.Event", on_delete=models.PROTECT, related_name="+")
    zone = models.ForeignKey("sales.Zone", on_delete=models.PROTECT, related_name="+")
    seat = models.ForeignKey(
        "sales.Seat", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    reserved_until = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReservedTicketQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            # The integrity backstop: at most one live claim (a hold or a sale) per seat,
            # whatever the application does. Stale holds are expired before a new claim.
            models.UniqueConstraint(
                fields=["seat"],
                condition=Q(status__in=["active", "completed"]) & Q(seat__isnull=False),
                name="one_live_claim_per_seat",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="reserved_quantity_positive"),
            models.CheckConstraint(
                condition=Q(seat__isnull=True) | Q(quantity=1), name="numbered_seat_quantity_one"
            ),
        ]
        indexes = [
            models.Index(fields=["event", "status"], name="rt_event_status"),
            models.Index(fields=["status", "reserved_until"], name="rt_status_until"),
            models.Index(fields=["zone", "status"], name="rt_zone_status",
                         condition=Q(seat__isnull=True)),
        ]

    def __str__(self) -> str:
        what = f"seat {self.seat_id}" if self.seat_id else f"{self.quantity} × zone {self.zone_id}"
        return f"{what} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.ACTIVE and self.reserved_until > timezone.now()


class StatusChange(models.Model):
    """Audit trail: every state change of a hold, transaction or payment."""

    class Subject(models.TextChoices):
        RESERVED_TICKET = "reserved_ticket", "Reserved ticket"
        TRANSACTION = "transaction", "Transaction"
        PAYMENT = "payment", "Payment"

    class Reason(models.TextChoices):
        USER = "user", "By a user"
        EXPIRY = "expiry", "Expired (hold time or payment deadline passed)"
        STALE_ON_HOLD = "stale_on_hold", "Expired when another hold claimed the seat"
        BULK_EXTENSION = "bulk_extension", "Bulk extension job"
        ADMIN = "admin", "Admin action"

    subject = models.CharField(max_length=20, choices=Subject.choices)
    subject_id = models.BigIntegerField()
    transaction = models.ForeignKey(
        "sales.Transaction", on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["subject", "subject_id"], name="sc_subject")]

    def __str__(self) -> str:
        return f"{self.subject} {self.subject_id}: {self.from_status or '∅'} → {self.to_status}"
