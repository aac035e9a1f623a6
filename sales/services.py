"""Writes on sales: seat maps, checkout of a hold, payments on a reservation."""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from fiscal.services import (
    Line,
    PaymentInput,
    TaxCategory,
    issue_invoice,
    issue_payment_receipt,
    quote_sale,
)
from fiscal.taxes import LEGAL_CURRENCY, TaxBreakdown
from pos.concurrency import retry_on_conflict
from reservations.errors import HoldExpired, IllegalTransition, InvalidHoldRequest
from reservations.lock_objects import lock_zone
from reservations.models import ReservedTicket, StatusChange
from reservations.services import (
    complete_items,
    keep_items_until,
    live_hold_items,
    locked_hold_for,
)
from reservations.transitions import transition_transaction
from sales.models import Payment, Seat, Ticket, Transaction, Zone
from tenants.services import current_tenant_settings

logger = structlog.get_logger(__name__)

MAX_ROWS = 100
MAX_SEATS_PER_ROW = 500


# --- Seat maps ------------------------------------------------------------------------


def expand_rows(spec: str) -> list[str]:
    """`"A-T"` → A…T, `"A,B,C"` → A, B, C, `"AA-AC"` is not supported (use a list)."""
    spec = spec.strip().upper()
    if "-" in spec and "," not in spec:
        first, last = (part.strip() for part in spec.split("-", 1))
        letters = string.ascii_uppercase
        if len(first) != 1 or len(last) != 1 or first not in letters or last not in letters:
            raise InvalidHoldRequest(f"Row range {spec!r} must be two letters, like A-T.")
        if letters.index(first) > letters.index(last):
            raise InvalidHoldRequest(f"Row range {spec!r} runs backwards.")
        return list(letters[letters.index(first): letters.index(last) + 1])
    return [row.strip() for row in spec.split(",") if row.strip()]


@transaction.atomic
def create_seats_in_rows(
    *, zone: Zone, rows: Sequence[str], seats_per_row: int, first_number: int = 1
) -> list[Seat]:
    """Add rows × seats to a numbered zone in one go (e.g. rows A–T × seats 1–30),
    labelled row + number ("A1"). Refuses seats that already exist."""
    if zone.is_general_admission:
        raise InvalidHoldRequest(f"Zone {zone.name} is general admission: it has no seats.")
    if not rows or len(rows) > MAX_ROWS:
        raise InvalidHoldRequest(f"Give between 1 and {MAX_ROWS} rows.")
    if not 1 <= seats_per_row <= MAX_SEATS_PER_ROW:
        raise InvalidHoldRequest(f"seats_per_row must be between 1 and {MAX_SEATS_PER_ROW}.")
    if len(set(rows)) != len(rows) or any(len(row) > 8 for row in rows):
        raise InvalidHoldRequest("Rows must be distinct names of at most 8 characters.")
    numbers = range(first_number, first_number + seats_per_row)
    zone = lock_zone(zone.pk)
    taken = set(
        Seat.objects.filter(zone=zone, row__in=rows).values_list("row", "number")
    )
    clashes = sorted(f"{row}{n}" for row in rows for n in numbers if (row, n) in taken)
    if clashes:
        raise InvalidHoldRequest(f"Seats already exist: {', '.join(clashes[:20])}.")
    seats = Seat.objects.bulk_create(
        Seat(zone=zone, row=row, number=n, label=f"{row}{n}") for row in rows for n in numbers
    )
    zone.capacity = Seat.objects.filter(zone=zone).count()
    zone.save(update_fields=["capacity"])
    return seats


# --- Checkout and payments ------------------------------------------------------------


# A payment taken at the till is exactly what the tax calculation reads.
PaymentLine = PaymentInput


@dataclass(frozen=True)
class Customer:
    name: str = ""
    tax_id: str = ""
    email: str = ""


@dataclass(frozen=True)
class CheckoutResult:
    transaction: Transaction
    breakdown: TaxBreakdown | None
    replayed: bool = False


def _sale_lines(items: Sequence[ReservedTicket]) -> list[Line]:
    lines = []
    for item in items:
        what = f"{item.zone.name} {item.seat.label}" if item.seat_id else item.zone.name
        lines.append(Line(description=what, quantity=item.quantity, unit_price=item.unit_price,
                          tax_category=TaxCategory(item.zone.tax_category)))
    return lines


def _quote(tx: Transaction, items: Sequence[ReservedTicket], new: Sequence[PaymentLine],
           now: datetime) -> tuple[TaxBreakdown, dict[str, object]]:
    # A pending hold has no payments yet: they are only taken by the checkout that ends it.
    earlier = [] if tx.status == Transaction.Status.PENDING else [
        PaymentInput(method=p.method, currency=p.currency, amount=p.amount)
        for p in tx.payments.all()]
    return quote_sale(sale_currency=tx.currency, lines=_sale_lines(items),
                      payments=[*earlier, *new], at=now)


def quote_hold(
    *, user: AbstractBaseUser, transaction_id: int, payments: Sequence[PaymentLine] = (),
    now: datetime | None = None,
) -> TaxBreakdown:
    """What the hold costs with taxes, and what is left to pay after `payments`.
    Changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        tx = locked_hold_for(user, transaction_id)
        if tx.status == Transaction.Status.PENDING:
            items = live_hold_items(tx, now)
        else:
            items = list(tx.reserved_tickets.filter(
                status__in=[ReservedTicket.Status.ACTIVE, ReservedTicket.Status.COMPLETED]
            ).select_related("seat", "zone"))
            if not items:
                raise HoldExpired()
        return _quote(tx, items, payments, now)[0]


def _record_payments(tx: Transaction, payments: Sequence[PaymentLine], rate_info: dict,
                     user: AbstractBaseUser, now: datetime) -> None:
    rate = rate_info["rate"]
    created = Payment.objects.bulk_create(
        Payment(transaction=tx, method=p.method, currency=p.currency, amount=p.amount,
                exchange_rate=Decimal("1") if p.currency == LEGAL_CURRENCY else rate,
                received_by=user)
        for p in payments
    )
    StatusChange.objects.bulk_create(
        StatusChange(subject=StatusChange.Subject.PAYMENT, subject_id=p.pk, transaction=tx,
                     from_status="", to_status="received", reason=StatusChange.Reason.USER,
                     actor_id=user.pk, created_at=now,
                     note=f"{p.amount} {p.currency} {p.method}")
        for p in created
    )


def _issue_tickets(tx: Transaction, items: Sequence[ReservedTicket]) -> None:
    Ticket.objects.bulk_create(
        Ticket(transaction=tx, event_id=item.event_id, zone_id=item.zone_id,
               seat_id=item.seat_id, price=item.unit_price)
        for item in items
        for _ in range(item.quantity)
    )


def _complete(tx: Transaction, items: Sequence[ReservedTicket], user: AbstractBaseUser,
              now: datetime, *, breakdown: TaxBreakdown, rate_info: dict, received: int,
              terminal: str) -> None:
    complete_items(list(items), actor=user, now=now)
    tx.payment_deadline = None
    transition_transaction(tx, to=Transaction.Status.COMPLETED, actor=user, now=now)
    _issue_tickets(tx, items)
    # Same DB transaction: if anything after this fails, the invoice number is given back.
    issue_invoice(tx=tx, items=items, breakdown=breakdown, exchange=rate_info,
                  received=received, issued_by=user, now=now, terminal=terminal)


def _require_payments(payments: Sequence[PaymentLine]) -> None:
    if not payments:
        raise InvalidHoldRequest("Give at least one payment.")


@retry_on_conflict
def checkout_hold(
    *,
    user: AbstractBaseUser,
    transaction_id: int,
    payments: Sequence[PaymentLine],
    customer: Customer | None = None,
    now: datetime | None = None,
    terminal: str = "",
) -> CheckoutResult:
    """Turn a live hold into a sale.

    Paid in full (amount due incl. IVA and IGTF): transaction COMPLETED, holds COMPLETED,
    tickets issued. Paid in part: transaction RESERVED until now + the tenant's
    `partial_payment_hours`, holds kept ACTIVE until then. A checkout repeated on a
    completed sale returns that sale and records nothing new. An expired hold: 410."""
    now = now or timezone.now()
    _require_payments(payments)
    with transaction.atomic():
        tx = locked_hold_for(user, transaction_id)
        if tx.status == Transaction.Status.COMPLETED:
            return CheckoutResult(transaction=tx, breakdown=None, replayed=True)
        if tx.status == Transaction.Status.EXPIRED:
            raise HoldExpired()
        if tx.status != Transaction.Status.PENDING:
            raise IllegalTransition(
                f"Transaction {tx.pk} is {tx.status}; "
                + ("add payments to it instead." if tx.status == Transaction.Status.RESERVED
                   else "it cannot be checked out.")
            )
        items = live_hold_items(tx, now)
        breakdown, rate_info = _quote(tx, items, payments, now)
        if customer:
            tx.customer_name, tx.customer_tax_id = customer.name, customer.tax_id
            tx.customer_email = customer.email
            tx.save(update_fields=["customer_name", "customer_tax_id", "customer_email"])
        _record_payments(tx, payments, rate_info, user, now)
        if breakdown.is_paid_in_full:
            _complete(tx, items, user, now, breakdown=breakdown, rate_info=rate_info,
                      received=len(payments), terminal=terminal)
        else:
            deadline = now + timedelta(hours=current_tenant_settings().partial_payment_hours)
            keep_items_until(items, until=deadline, now=now)
            tx.payment_deadline = deadline
            transition_transaction(tx, to=Transaction.Status.RESERVED, actor=user, now=now,
                                   note=f"partly paid; pay by {deadline.isoformat()}")
            issue_payment_receipt(tx=tx, breakdown=breakdown, exchange=rate_info,
                                  received=len(payments), issued_by=user, now=now,
                                  terminal=terminal)
    logger.info("checkout.done", transaction=tx.pk, status=tx.status)
    return CheckoutResult(transaction=tx, breakdown=breakdown)


@retry_on_conflict
def add_payment(
    *,
    user: AbstractBaseUser,
    transaction_id: int,
    payments: Sequence[PaymentLine],
    now: datetime | None = None,
    terminal: str = "",
) -> CheckoutResult:
    """Take a payment on a partial-payment reservation; completes the sale when paid off.
    Past the payment deadline the reservation is expired: 410."""
    now = now or timezone.now()
    _require_payments(payments)
    with transaction.atomic():
        tx = locked_hold_for(user, transaction_id)
        if tx.status == Transaction.Status.EXPIRED:
            raise HoldExpired("The payment deadline of this reservation has passed.")
        if tx.status != Transaction.Status.RESERVED:
            raise IllegalTransition(
                f"Transaction {tx.pk} is {tx.status}; payments are only added to a "
                "reserved (partially paid) transaction."
            )
        items = live_hold_items(
            tx, now, expired_message="The payment deadline of this reservation has passed.")
        breakdown, rate_info = _quote(tx, items, payments, now)
        _record_payments(tx, payments, rate_info, user, now)
        if breakdown.is_paid_in_full:
            _complete(tx, items, user, now, breakdown=breakdown, rate_info=rate_info,
                      received=len(payments), terminal=terminal)
        else:
            issue_payment_receipt(tx=tx, breakdown=breakdown, exchange=rate_info,
                                  received=len(payments), issued_by=user, now=now,
                                  terminal=terminal)
    logger.info("payment.added", transaction=tx.pk, status=tx.status)
    return CheckoutResult(transaction=tx, breakdown=breakdown)
