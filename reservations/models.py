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

    def unfinished(self) -> ReservedTicketQuerySet:
        """Every item that may still claim its seat: ACTIVE (live or stale) and COMPLETED.
        Sort them with ReservedTicket.claims_at."""
        return self.filter(status__in=[ReservedTicket.Status.ACTIVE,
                                       ReservedTicket.Status.COMPLETED])

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
        # Sold, then refunded by a credit note: the seat (or the units) are on sale again.
        REFUNDED = "refunded", "Refunded"

    # Allowed transitions, enforced by reservations.transitions.
    TRANSITIONS: dict[str, set[str]] = {
        Status.ACTIVE: {Status.COMPLETED, Status.CANCELLED, Status.EXPIRED},
        Status.COMPLETED: {Status.REFUNDED},
        Status.REFUNDED: set(),
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
            # The per-cashier limit sums a cashier's live holds on every hold: read only
            # their ACTIVE items, not every ticket they ever sold.
            models.Index(fields=["created_by"], name="rt_active_by_cashier",
                         condition=Q(status="active")),
        ]

    def __str__(self) -> str:
        what = f"seat {self.seat_id}" if self.seat_id else f"{self.quantity} × zone {self.zone_id}"
        return f"{what} ({self.status})"

    def is_live_at(self, now: datetime) -> bool:
        return self.status == self.Status.ACTIVE and self.reserved_until > now

    @classmethod
    def claims_at(cls, status: str, reserved_until: datetime, now: datetime) -> bool:
        """The queryset's `claiming(now)` for a row already read: sold, or held and not
        yet past its time."""
        return status == cls.Status.COMPLETED or (
            status == cls.Status.ACTIVE and reserved_until > now)


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
        REFUND = "refund", "Refunded by a credit note"
        # Released because the cashier logged out of the POS page or their terminal's token
        # was revoked (reservations.services.release_holds_of).
        LOGOUT = "logout", ("Released when the cashier was logged out (POS page, token "
                            "revoked)")
        # A venue admin kept a hold longer (reservations.services.grant_hold_time).
        HOLD_GRANTED = "hold_granted", "Longer hold granted by a venue admin"

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
        indexes = [
            models.Index(fields=["subject", "subject_id"], name="sc_subject"),
            # Statistics count transactions by when they ended.
            models.Index(fields=["subject", "created_at"], name="sc_subject_created"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.subject_id}: {self.from_status or '∅'} → {self.to_status}"


# --- Operations: hold attempts, cleanup runs, statistics snapshots, alerts -------------


class HoldAttempt(models.Model):
    """One seat (or general-admission zone) refused to a hold request because it was taken
    (a hold that succeeds is recorded by its ReservedTicket). Feeds the "most contested
    seats" statistic and alert; the stats job prunes rows older than the retention period."""

    class Outcome(models.TextChoices):
        CONFLICT = "conflict", "Refused (taken)"

    event = models.ForeignKey("sales.Event", on_delete=models.CASCADE, related_name="+")
    seat = models.ForeignKey(
        "sales.Seat", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    zone = models.ForeignKey(
        "sales.Zone", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["outcome", "created_at"], name="ha_outcome_created"),
            models.Index(fields=["event", "created_at"], name="ha_event_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(seat__isnull=False) | Q(zone__isnull=False),
                name="hold_attempt_names_seat_or_zone",
            ),
        ]

    def __str__(self) -> str:
        what = f"seat {self.seat_id}" if self.seat_id else f"zone {self.zone_id}"
        return f"{what}: {self.outcome}"


class CleanupRun(models.Model):
    """One run of the expiry job in this schema: when it was queued, ran and what it
    recorded. The beat dispatcher reads the latest one to know when the next is due."""

    class Trigger(models.TextChoices):
        BEAT = "beat", "Beat schedule"
        COMMAND = "command", "Management command"
        TASK = "task", "Task sent by hand"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    holds_expired = models.PositiveIntegerField(default=0)
    transactions_expired = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"], name="cleanuprun_created")]

    def __str__(self) -> str:
        return f"Cleanup {self.created_at:%Y-%m-%d %H:%M} ({self.status})"


class ReservationStatsSnapshot(models.Model):
    """The figures `reservation_stats` prints for one event, kept periodically for trends.
    One row per event and period: a second run in the same period replaces it."""

    event = models.ForeignKey("sales.Event", on_delete=models.CASCADE, related_name="+")
    taken_at = models.DateTimeField(help_text="Start of the snapshot period.")
    window_hours = models.PositiveIntegerField()
    active_holds = models.PositiveIntegerField()
    live_reservations = models.PositiveIntegerField()
    expiring_soon = models.PositiveIntegerField(help_text="Reservations expiring within 1 h.")
    completed = models.PositiveIntegerField()
    expired = models.PositiveIntegerField()
    cancelled = models.PositiveIntegerField()
    conversion_rate = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    abandonment_rate = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    contested_seats = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-taken_at", "event_id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "taken_at"], name="one_snapshot_per_period"),
        ]

    def __str__(self) -> str:
        return f"Event {self.event_id} at {self.taken_at:%Y-%m-%d %H:%M}"


class Alert(models.Model):
    """Something an operator should look at. Raised and resolved by the alerts job; at most
    one unresolved alert per key, so running the job twice changes nothing."""

    class Kind(models.TextChoices):
        PAYMENT_DEADLINE = "payment_deadline", "Partial payment expiring soon"
        CONTESTED_SEAT = "contested_seat", "Seat contested by several cashiers"
        HIGH_ABANDONMENT = "high_abandonment", "High abandonment rate"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    key = models.CharField(max_length=100, help_text="What the alert is about, e.g. seat:12.")
    event = models.ForeignKey(
        "sales.Event", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    message = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(status__in=["open", "acknowledged"]),
                name="one_unresolved_alert_per_key",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="alert_status_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"


class ExtensionJob(models.Model):
    """A bulk extension started from the API (`POST /api/reservations/extend/`): what was
    asked, by whom, and what the Celery task did. `job_id` is also in the audit rows
    (StatusChange note "job <id>: ...") of the reservations it extended."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    job_id = models.CharField(max_length=32, unique=True)
    hours = models.PositiveIntegerField()
    event_id = models.BigIntegerField(null=True, blank=True)
    expiring_within = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    reservations = models.PositiveIntegerField(default=0)
    tickets = models.PositiveIntegerField(default=0)
    replayed = models.BooleanField(default=False)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Extension job {self.job_id} ({self.status})"
