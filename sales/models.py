"""The catalogue (venues, events, zones, seats) and what a sale leaves behind
(transactions, payments, tickets). Money is Decimal, always next to its currency."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from tenants.models import SETTING_RANGES

# The tenant settings an event may set for itself (null: the tenant's), with the same
# ranges (tenants.models.SETTING_RANGES).
EVENT_RULES = ("reservation_hold_minutes", "partial_payment_hours")


def _rule_range(name: str) -> list:
    low, high = SETTING_RANGES[name]
    return [MinValueValidator(low), MaxValueValidator(high)]


class Currency(models.TextChoices):
    USD = "USD", "US dollar"
    EUR = "EUR", "Euro"
    VES = "VES", "Bolívar"


class TaxCategory(models.TextChoices):
    GENERAL = "general", "IVA general"
    REDUCED = "reduced", "IVA reduced"
    LUXURY = "luxury", "IVA general + luxury surcharge"
    EXEMPT = "exempt", "Exempt"


class Venue(models.Model):
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ON_SALE = "on_sale", "On sale"
        CLOSED = "closed", "Closed"

    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="events")
    name = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ON_SALE)
    # The event's own rules; null: the tenant's settings. A hold reads the minutes in
    # reservations/sql/hold.sql (and extend.sql), a partial payment the hours at checkout.
    reservation_hold_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=_rule_range("reservation_hold_minutes"),
        help_text="How long picked seats of this event are held; empty: the venue's "
                  "setting.")
    partial_payment_hours = models.PositiveIntegerField(
        null=True, blank=True, validators=_rule_range("partial_payment_hours"),
        help_text="How long a partially paid reservation of this event is kept; empty: "
                  "the venue's setting.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(**{f"{name}__isnull": True})
                | models.Q(**{f"{name}__gte": SETTING_RANGES[name][0],
                              f"{name}__lte": SETTING_RANGES[name][1]}),
                name=f"event_{name}_range",
            )
            for name in EVENT_RULES
        ]

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    class Kind(models.TextChoices):
        NUMBERED = "numbered", "Numbered seats"
        GENERAL = "general", "General admission"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="zones")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NUMBERED)
    # For general admission: how many may enter. For numbered zones: the seat count,
    # kept by the seat-creation service.
    capacity = models.PositiveIntegerField(default=0)
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    tax_category = models.CharField(
        max_length=10, choices=TaxCategory.choices, default=TaxCategory.GENERAL
    )
    # How many times one ticket of the zone may enter (an exit recorded at the door
    # between two entries): 1 means no re-entry (sales.checkin).
    max_entries = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)],
        help_text="How many times a ticket of this zone may enter (re-entry after an exit).")
    # Best available (reservations.best_available): the rows best first, e.g. "C,B,A" or
    # "D-F"; rows not listed follow in their natural order (A before B, 2 before 10).
    # Empty: front (A) to back.
    row_order = models.CharField(
        max_length=400, blank=True, default="",
        help_text='Rows best first for "best available", e.g. "C,B,A" or "D-F"; the rest '
                  'follow front to back. Empty: front to back.')

    class Meta:
        ordering = ["event_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="zone_name_unique_per_event"),
            models.CheckConstraint(condition=models.Q(price__gte=0),
                                   name="zone_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.event})"

    @property
    def is_general_admission(self) -> bool:
        return self.kind == self.Kind.GENERAL


class Seat(models.Model):
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="seats")
    row = models.CharField(max_length=8)
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=20)

    class Meta:
        ordering = ["zone_id", "row", "number"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "row", "number"], name="seat_unique_in_zone"),
            models.UniqueConstraint(fields=["zone", "label"], name="seat_label_unique_in_zone"),
        ]

    def __str__(self) -> str:
        return self.label


# What a sale in each status is to the people at the till: held seats, a partly paid
# reservation, a sale paid in full; the others are ended (their status says how).
TRANSACTION_KINDS = {"pending": "hold", "reserved": "reservation", "completed": "sale"}


def transaction_kind(status: str) -> str:
    return TRANSACTION_KINDS.get(status, f"ended ({status})")


class Transaction(models.Model):
    """A cashier's sale: PENDING while seats are held, RESERVED when partly paid,
    COMPLETED when paid in full, CANCELLED or EXPIRED otherwise."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RESERVED = "reserved", "Reserved (partially paid)"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    # Allowed transitions, enforced by reservations.transitions.
    TRANSITIONS: dict[str, set[str]] = {
        Status.PENDING: {Status.RESERVED, Status.COMPLETED, Status.CANCELLED, Status.EXPIRED},
        Status.RESERVED: {Status.COMPLETED, Status.CANCELLED, Status.EXPIRED},
        Status.COMPLETED: set(),
        Status.CANCELLED: set(),
        Status.EXPIRED: set(),
    }

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="transactions")
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transactions"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    # Sum of the held tickets' prices, in the event currency, before taxes.
    subtotal = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    customer_name = models.CharField(max_length=200, blank=True)
    customer_tax_id = models.CharField(max_length=20, blank=True, help_text="RIF or cédula")
    customer_email = models.EmailField(blank=True)
    # Deadline of a partial-payment reservation (status RESERVED).
    payment_deadline = models.DateTimeField(null=True, blank=True)
    extensions_used = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "payment_deadline"], name="tx_status_deadline"),
            models.Index(fields=["cashier", "status"], name="tx_cashier_status"),
        ]

    def __str__(self) -> str:
        return f"Transaction {self.pk} ({self.status})"

    @staticmethod
    def has_fiscal_document(transaction_id: int) -> bool:
        """Whether a fiscal document (an invoice, or a partial payment's receipt) was issued
        for the sale: what it recorded is read-only from then on (issued stays issued)."""
        return Transaction.objects.filter(pk=transaction_id,
                                          fiscal_documents__isnull=False).exists()


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    DEBIT_CARD = "debit_card", "Debit card"
    CREDIT_CARD = "credit_card", "Credit card"
    PAGO_MOVIL = "pago_movil", "Pago móvil"
    TRANSFER = "transfer", "Bank transfer"
    ZELLE = "zelle", "Zelle"


# Which currencies each method takes: the one place this rule is written (checkout
# refuses any other pair; the API schema and the POS page read it from here).
PAYMENT_CURRENCIES: dict[str, frozenset[str]] = {
    PaymentMethod.CASH: frozenset({Currency.VES, Currency.USD, Currency.EUR}),
    PaymentMethod.DEBIT_CARD: frozenset({Currency.VES}),
    PaymentMethod.CREDIT_CARD: frozenset({Currency.VES, Currency.USD, Currency.EUR}),
    PaymentMethod.PAGO_MOVIL: frozenset({Currency.VES}),
    PaymentMethod.TRANSFER: frozenset({Currency.VES, Currency.USD, Currency.EUR}),
    PaymentMethod.ZELLE: frozenset({Currency.USD}),
}
# Methods whose payment is identified by the bank's reference number, printed on the
# documents.
REFERENCE_REQUIRED = frozenset({PaymentMethod.PAGO_MOVIL, PaymentMethod.TRANSFER,
                                PaymentMethod.ZELLE})
# Only cash may exceed what is due: the excess is change, given in Bs.
CHANGE_ALLOWED = frozenset({PaymentMethod.CASH})


class Payment(models.Model):
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    # Bank reference of a transfer, pago móvil or Zelle payment.
    reference = models.CharField(max_length=40, blank=True, default="")
    # Change handed back, in Bs, for this (cash) payment: the venue kept the amount less
    # this.
    change_ves = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    # Bs per unit of `currency` when the payment was taken (1 for VES).
    exchange_rate = models.DecimalField(max_digits=18, decimal_places=6, default=Decimal("1"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments_received"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0),
                                   name="payment_amount_positive"),
            models.CheckConstraint(condition=models.Q(change_ves__gte=0),
                                   name="payment_change_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.method})"


class Refund(models.Model):
    """Money handed back for a payment of a sale that never got an invoice (a cancelled
    partial-payment reservation): the payment itself stays as it was taken."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="refund")
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT,
                                    related_name="refunds")
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reason = models.CharField(max_length=300)
    refunded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0),
                                   name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund of {self.amount} {self.currency} ({self.method})"


def new_ticket_code() -> str:
    # 16 characters from a 32-letter alphabet: unguessable, easy to read out at a door.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


class Ticket(models.Model):
    """One admission: a numbered seat or one general-admission unit."""

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="tickets")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="tickets")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="tickets")
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="tickets")
    code = models.CharField(max_length=32, unique=True, default=new_ticket_code)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code


class CheckinScan(models.Model):
    """One scan at a door, whatever came of it (sales.checkin): the check-in log. An
    admission, an exit or a refusal with its reason; `ticket` is empty when the scanned
    text named no ticket of this tenant."""

    class Result(models.TextChoices):
        ADMITTED = "admitted", "Admitted"
        EXITED = "exited", "Exited"
        REFUSED = "refused", "Refused"
        # An entry made at an offline gate for a ticket admitted elsewhere first (the
        # holder may be inside twice): reported, never counted as an admission.
        CONFLICT = "conflict", "Conflict"

    class Action(models.TextChoices):
        ENTRY = "entry", "Entry"
        EXIT = "exit", "Exit"

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="scans")
    # What was scanned, as read (cut to the column).
    code = models.CharField(max_length=100)
    action = models.CharField(max_length=5, choices=Action.choices, default=Action.ENTRY)
    gate = models.CharField(max_length=40, blank=True)
    # The scanning device (X-POS-Terminal).
    device = models.CharField(max_length=40, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+")
    result = models.CharField(max_length=10, choices=Result.choices)
    # The refusal's code (already_admitted, ticket_void, unknown_ticket, ...); "" otherwise.
    reason = models.CharField(max_length=40, blank=True)
    # When the ticket was scanned: the server's clock for a scan sent at once, the gate
    # device's for one made offline and uploaded later (sales.checkin.sync).
    scanned_at = models.DateTimeField()
    # When the server recorded it.
    created_at = models.DateTimeField()
    # Made at an offline gate and uploaded by POST /api/checkin/sync/.
    offline = models.BooleanField(default=False)
    # The device's own id of an offline scan: an upload sent twice records it once.
    device_scan_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["ticket", "result"], name="checkin_ticket_result"),
            models.Index(fields=["user", "created_at"], name="checkin_user_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["device", "device_scan_id"],
                                    condition=~models.Q(device_scan_id=""),
                                    name="checkin_device_scan_once"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.result} {self.code[:16]}"


class IdempotencyKey(models.Model):
    """A client's `Idempotency-Key` and the answer given to the first request that used it
    (pos.idempotency). Stored in the tenant's schema, so keys are scoped per tenant, and
    unique per user; kept 24 hours."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    key = models.CharField(max_length=255)
    # sha256 of method, path and canonical JSON body: the same key with another request
    # is refused instead of answered with an unrelated result.
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path})"


class SeatBlock(models.Model):
    """A seat a venue admin took off sale (house seats, a technical kill, press), with
    why: cashiers cannot hold it (pos_hold refuses it as `blocked`), the seat map shows it
    `blocked`. Written only by sales.blocks.services, under the seat's lock; removed when
    unblocked. Every block and unblock is also recorded in SeatBlockChange."""

    seat = models.OneToOneField(Seat, on_delete=models.CASCADE, related_name="block")
    reason = models.CharField(max_length=200)
    blocked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["seat_id"]

    def __str__(self) -> str:
        return f"{self.seat} blocked: {self.reason}"


class SeatBlockChange(models.Model):
    """The audit of seat blocks, append-only: one row per block or unblock action (the
    seats it changed, by label as they were then), never edited."""

    class Action(models.TextChoices):
        BLOCK = "block", "Block"
        UNBLOCK = "unblock", "Unblock"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=7, choices=Action.choices)
    reason = models.CharField(max_length=200, blank=True)
    seat_ids = models.JSONField(default=list)
    labels = models.JSONField(default=list)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["event", "created_at"], name="seatblock_log_event")]

    def __str__(self) -> str:
        return f"{self.action} {len(self.labels)} seat(s)"
