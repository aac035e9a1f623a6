"""The till's actions: quote a hold, check it out, take payments on a reservation. Each is
one transaction, retried whole on a deadlock (pos.concurrency).

Checkout and payments share one sequence, `_settle`: check the payments against what is
due (method–currency pairs, references, no overpayment but cash change within the
venue's limit, no balance unless a reservation was asked for), record them, then
complete the sale (items COMPLETED, tickets, invoice) or keep it reserved (a numbered
receipt). Every amount the API shows as due comes from fiscal.taxes.amounts_due."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from fiscal.errors import DocumentAmountTooLarge, ExchangeRateMissing, FiscalProfileIncomplete
from fiscal.models import FiscalDocument
from fiscal.selectors import exchange_rate, fiscal_day
from fiscal.services import (
    CreditLine,
    Quote,
    issue_credit_note,
    issue_invoice,
    issue_payment_receipt,
    quote_sale,
)
from fiscal.taxes import LEGAL_CURRENCY, Line, PaymentInput, TaxCategory, to_cents
from pos import domain_events
from pos.concurrency import retry_on_conflict
from reservations.errors import HoldExpired, HoldNotFound
from reservations.lock_objects import lock_items, lock_transaction
from reservations.models import ReservedTicket, StatusChange
from reservations.services import (
    CompletedSale,
    HeldItem,
    cancel_items,
    complete_hold,
    keep_items_until,
    live_hold_items,
    lock_sale,
    locked_hold_for,
    refund_items,
)
from reservations.transitions import transition_transaction
from sales.checkout.errors import (
    CheckoutRefused,
    DownPaymentTooSmall,
    Overpayment,
    PaymentNotAllowed,
    PaymentShort,
    TransactionNotFound,
)
from sales.models import (
    CHANGE_ALLOWED,
    PAYMENT_CURRENCIES,
    REFERENCE_REQUIRED,
    Event,
    Payment,
    PaymentMethod,
    Refund,
    Ticket,
    Transaction,
)
from tenants.services import current_tenant_settings

logger = structlog.get_logger(__name__)

HUNDRED = Decimal("100")
RESERVATION_EXPIRED = "The payment deadline of this reservation has passed."


@dataclass(frozen=True)
class Customer:
    name: str = ""
    tax_id: str = ""
    email: str = ""


@dataclass(frozen=True)
class CheckoutResult:
    transaction: Transaction
    quote: Quote | None
    replayed: bool = False


def sale_lines(items: Sequence[ReservedTicket]) -> list[Line]:
    """The invoice lines of a hold's items, in their order."""
    return [
        Line(description=(f"{item.zone.name} {item.seat.label}" if item.seat_id
                          else item.zone.name),
             quantity=item.quantity, unit_price=item.unit_price,
             tax_category=TaxCategory(item.zone.tax_category))
        for item in items
    ]


def validate_payments(payments: Sequence[PaymentInput]) -> None:
    """Each method in a currency it takes, with its bank reference where it has one
    (sales.models.PAYMENT_CURRENCIES, REFERENCE_REQUIRED)."""
    if not payments:
        raise PaymentNotAllowed("Give at least one payment.")
    for payment in payments:
        label = PaymentMethod(payment.method).label
        allowed = PAYMENT_CURRENCIES[payment.method]
        if payment.currency not in allowed:
            raise PaymentNotAllowed(
                f"{label} is taken in {', '.join(sorted(allowed))} only, not in "
                f"{payment.currency}.", method=payment.method, currency=payment.currency)
        if payment.method in REFERENCE_REQUIRED and not payment.reference.strip():
            raise PaymentNotAllowed(f"A {label} payment needs its reference number.",
                                    method=payment.method)


def _recorded_payments(tx: Transaction) -> list[PaymentInput]:
    # A pending hold has no payments yet: they are only taken by the checkout that ends it.
    if tx.status == Transaction.Status.PENDING:
        return []
    return [PaymentInput(method=p.method, currency=p.currency, amount=p.amount,
                         reference=p.reference, change_ves=p.change_ves)
            for p in tx.payments.all()]


def quote_items(tx: Transaction, items: Sequence[ReservedTicket],
                payments: Sequence[PaymentInput], now: datetime) -> Quote:
    """The sale's figures with its recorded payments and `payments` on top."""
    return quote_sale(sale_currency=tx.currency, lines=sale_lines(items),
                      payments=[*_recorded_payments(tx), *payments], at=now)


def hold_quote(tx: Transaction, items: Sequence[ReservedTicket],
               now: datetime | None = None) -> Quote | None:
    """A hold's or reservation's figures for its answer (subtotal, tax, total, amounts
    due), or None when they cannot be priced yet (no exchange rate on file): the hold
    itself stands either way (an incomplete fiscal profile is said at checkout). No query
    on the hot path (profile and rate remembered)."""
    live = [item for item in items
            if item.status in (ReservedTicket.Status.ACTIVE, ReservedTicket.Status.COMPLETED)]
    if not live:
        return None
    try:
        return quote_items(tx, live, (), now or timezone.now())
    except (ExchangeRateMissing, FiscalProfileIncomplete, DocumentAmountTooLarge):
        return None


def quote_hold(
    *, user: AbstractBaseUser, transaction_id: int, payments: Sequence[PaymentInput] = (),
    now: datetime | None = None,
) -> Quote:
    """What the hold (or reservation) costs with taxes, what is left to pay after
    `payments`, and what settles it in each currency. Changes nothing."""
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
        return quote_items(tx, items, payments, now)


# --- Checkout and payments ------------------------------------------------------------


@retry_on_conflict
def checkout_hold(
    *,
    user: AbstractBaseUser,
    transaction_id: int,
    payments: Sequence[PaymentInput],
    customer: Customer | None = None,
    reserve: bool = False,
    now: datetime | None = None,
    terminal: str = "",
) -> CheckoutResult:
    """Turn a live hold into a sale.

    Paid in full (amount due incl. IVA and IGTF): transaction COMPLETED, holds COMPLETED,
    tickets issued, invoice. Paid in part: refused (`payment_short`) unless `reserve`,
    then the transaction is RESERVED until now + `partial_payment_hours` (the event's, else
    the tenant's; holds kept ACTIVE until then), if the payment meets the tenant's minimum
    down payment. A checkout repeated on a completed sale returns that sale and records
    nothing new. An expired hold: 410."""
    now = now or timezone.now()
    validate_payments(payments)
    with transaction.atomic():
        tx = lock_sale(user=user, transaction_id=transaction_id, now=now)
        if tx.status == Transaction.Status.COMPLETED:
            return CheckoutResult(transaction=tx, quote=None, replayed=True)
        if tx.status == Transaction.Status.EXPIRED:
            raise HoldExpired()
        if tx.status != Transaction.Status.PENDING:
            raise CheckoutRefused(
                f"Transaction {tx.pk} is {tx.status}; "
                + ("add payments to it instead." if tx.status == Transaction.Status.RESERVED
                   else "it cannot be checked out.")
            )
        items = _live_items(tx)
        if customer:
            tx.customer_name, tx.customer_tax_id = customer.name, customer.tax_id
            tx.customer_email = customer.email
            tx.save(update_fields=["customer_name", "customer_tax_id", "customer_email"])
        quote = _settle(tx, items, payments, user=user, now=now, terminal=terminal,
                        reserve=reserve)
    logger.info("checkout.done", transaction=tx.pk, status=tx.status)
    return CheckoutResult(transaction=tx, quote=quote)


@retry_on_conflict
def add_payment(
    *,
    user: AbstractBaseUser,
    transaction_id: int,
    payments: Sequence[PaymentInput],
    reserve: bool = False,
    now: datetime | None = None,
    terminal: str = "",
) -> CheckoutResult:
    """Take a payment on a partial-payment reservation; completes the sale when paid off.
    A payment that still leaves a balance needs `reserve` (the reservation stays as it
    is). Past the payment deadline the reservation is expired: 410."""
    now = now or timezone.now()
    validate_payments(payments)
    with transaction.atomic():
        try:
            tx = lock_sale(user=user, transaction_id=transaction_id, now=now)
        except HoldNotFound:
            raise TransactionNotFound() from None
        if tx.status == Transaction.Status.EXPIRED:
            raise HoldExpired(RESERVATION_EXPIRED)
        if tx.status != Transaction.Status.RESERVED:
            raise CheckoutRefused(
                f"Transaction {tx.pk} is {tx.status}; payments are only added to a "
                "reserved (partially paid) transaction."
            )
        items = _live_items(tx, expired_message=RESERVATION_EXPIRED)
        quote = _settle(tx, items, payments, user=user, now=now, terminal=terminal,
                        reserve=reserve)
    logger.info("payment.added", transaction=tx.pk, status=tx.status)
    return CheckoutResult(transaction=tx, quote=quote)


def _live_items(tx: Transaction, *, expired_message: str | None = None) -> list[HeldItem]:
    """The locked sale's ACTIVE items (reservations.services.lock_sale), all live, or
    HoldExpired: expiry is exact, whether or not the expiry job has recorded it yet."""
    if not tx.items_live:
        raise HoldExpired(expired_message)
    return tx.written_items


def _settle(tx: Transaction, items: list[HeldItem], payments: Sequence[PaymentInput],
            *, user: AbstractBaseUser, now: datetime, terminal: str,
            reserve: bool) -> Quote:
    """Record payments, then complete the sale or keep it reserved (see the module
    docstring). Inside the caller's transaction, with the sale locked."""
    first = tx.status == Transaction.Status.PENDING
    venue = current_tenant_settings()
    non_cash = [p for p in payments if p.method not in CHANGE_ALLOWED]
    if non_cash and len(non_cash) < len(payments):
        _refuse_non_cash_excess(quote_items(tx, items, non_cash, now))
    quote = quote_items(tx, items, payments, now)
    breakdown = quote.breakdown
    if breakdown.balance_ves < 0:
        if len(non_cash) == len(payments):
            _refuse_non_cash_excess(quote)
        payments = _with_change(payments, -breakdown.balance_ves, quote,
                                limit=_max_change_ves(venue.max_change_usd, quote, now))
        quote = replace(quote, breakdown=replace(
            breakdown, payments=(*breakdown.payments[:-len(payments)], *payments)))
    elif breakdown.balance_ves > 0:
        _require_reservation(quote, reserve=reserve, first=first,
                             min_percent=venue.min_down_payment_percent)
    created = _record_payments(tx, payments, quote.rate, user)
    if quote.breakdown.is_paid_in_full:
        sale, invoice = _complete(tx, items, user, now, quote=quote, payments=created,
                                  terminal=terminal)
        domain_events.emit(domain_events.SALE_COMPLETED, transaction_id=tx.pk)
        if first:  # nothing older to show than what was just written, and its history
            _show_sale(tx, items=items, payments=created, sale=sale, documents=[invoice])
        return quote
    _audit_payments(tx, created, user, now)
    if first:
        deadline = now + timedelta(hours=_payment_window_hours(tx.event_id,
                                                                venue.partial_payment_hours))
        keep_items_until(items, until=deadline, now=now)
        tx.payment_deadline = deadline
        transition_transaction(tx, to=Transaction.Status.RESERVED, actor=user, now=now,
                               note=f"partly paid; pay by {deadline.isoformat()}")
        domain_events.emit(domain_events.RESERVATION_CREATED, transaction_id=tx.pk)
    issue_payment_receipt(tx=tx, quote=quote, received=len(payments), issued_by=user,
                          now=now, terminal=terminal)
    return quote


def _payment_window_hours(event_id: int, venue_hours: int) -> int:
    """Per-event rules: the event's own partial-payment hours when it sets them, else the
    venue's."""
    own = Event.objects.filter(pk=event_id).values_list("partial_payment_hours",
                                                         flat=True).first()
    return own or venue_hours


def _money(quote: Quote, amount_ves: Decimal) -> dict[str, str]:
    return {"ves": str(amount_ves), "sale": str(quote.in_sale_currency(amount_ves)),
            "currency": quote.breakdown.sale_currency}


def _refuse_non_cash_excess(quote: Quote) -> None:
    """Cards, transfers, pago móvil and Zelle are for what is due, never more."""
    if quote.breakdown.balance_ves < 0:
        excess = -quote.breakdown.balance_ves
        raise Overpayment(
            f"Card, transfer, pago móvil and Zelle payments may not exceed what is due; "
            f"these exceed it by Bs {excess}.", excess_ves=str(excess),
            excess=str(quote.in_sale_currency(excess)),
            currency=quote.breakdown.sale_currency)


def _max_change_ves(max_change_usd: Decimal, quote: Quote, now: datetime) -> Decimal:
    """The venue's limit on change, in Bs at the day's dollar rate (none without one)."""
    if quote.currency == "USD":
        return to_cents(max_change_usd * quote.rate)
    try:
        rate = exchange_rate(currency="USD", on_day=fiscal_day(now),
                             max_age_days=quote.profile.max_rate_age_days)
    except ExchangeRateMissing:
        return Decimal("0.00")
    return to_cents(max_change_usd * rate)


def _with_change(payments: Sequence[PaymentInput], change_ves: Decimal, quote: Quote, *,
                 limit: Decimal) -> list[PaymentInput]:
    """The payments with the change handed back recorded on the cash ones (latest first),
    or Overpayment beyond the venue's limit."""
    if change_ves > limit:
        raise Overpayment(
            f"The change, Bs {change_ves}, is more than the Bs {limit} a cashier may give "
            "back: take less cash.", change_ves=str(change_ves), max_change_ves=str(limit))
    result = list(payments)
    left = change_ves
    for index in reversed(range(len(result))):
        payment = result[index]
        if left <= 0 or payment.method not in CHANGE_ALLOWED:
            continue
        value = (to_cents(payment.amount) if payment.currency == LEGAL_CURRENCY
                 else to_cents(payment.amount * quote.rate))
        given = min(value, left)
        result[index] = replace(payment, change_ves=given)
        left -= given
    return result


def _require_reservation(quote: Quote, *, reserve: bool, first: bool,
                         min_percent: Decimal) -> None:
    """A balance is left: only as a reservation asked for, with the least down payment."""
    breakdown = quote.breakdown
    currency = breakdown.sale_currency
    short = quote.amounts_due.get(currency, breakdown.balance_ves)
    if not reserve:
        raise PaymentShort(
            f"The payments leave Bs {breakdown.balance_ves} ({currency} {short}) to pay. Pay "
            "the rest, or ask for a reservation with \"reserve\": true.",
            short_ves=str(breakdown.balance_ves), short=str(short), currency=currency,
            amounts_due={c: str(a) for c, a in quote.amounts_due.items()})
    if not first:
        return
    minimum = to_cents(breakdown.total_ves * min_percent / HUNDRED)
    if breakdown.paid_ves < minimum:
        raise DownPaymentTooSmall(
            f"A reservation needs a down payment of at least {min_percent}% of the total: "
            f"Bs {minimum} ({currency} {quote.in_sale_currency(minimum)}); "
            f"Bs {breakdown.paid_ves} was paid.",
            minimum_ves=str(minimum), minimum=str(quote.in_sale_currency(minimum)),
            currency=currency)


def _record_payments(tx: Transaction, payments: Sequence[PaymentInput], rate: Decimal,
                     user: AbstractBaseUser) -> list[Payment]:
    """The payments, as received (their audit rows: `_audit_payments`, or with the sale's
    completion)."""
    return Payment.objects.bulk_create(
        Payment(transaction=tx, method=p.method, currency=p.currency, amount=p.amount,
                reference=p.reference.strip(), change_ves=p.change_ves,
                exchange_rate=Decimal("1") if p.currency == LEGAL_CURRENCY else rate,
                received_by=user)
        for p in payments
    )


def _payment_note(payment: Payment) -> str:
    return (f"{payment.amount} {payment.currency} {payment.method}"
            + (f" ref {payment.reference}" if payment.reference else "")
            + (f", change Bs {payment.change_ves}" if payment.change_ves else ""))


def _audit_payments(tx: Transaction, payments: Sequence[Payment], user: AbstractBaseUser,
                    now: datetime) -> None:
    StatusChange.objects.bulk_create(
        StatusChange(subject=StatusChange.Subject.PAYMENT, subject_id=p.pk, transaction=tx,
                     from_status="", to_status="received", reason=StatusChange.Reason.USER,
                     actor_id=user.pk, created_at=now, note=_payment_note(p))
        for p in payments
    )


def _complete(tx: Transaction, items: Sequence[HeldItem], user: AbstractBaseUser,
              now: datetime, *, quote: Quote, payments: Sequence[Payment],
              terminal: str) -> tuple[CompletedSale, FiscalDocument]:
    """The sale completed with its tickets (and the audit rows of `payments`, the ones
    taken now), then its invoice."""
    sale = complete_hold(tx, items, actor=user, now=now,
                         payments=[(p.pk, _payment_note(p)) for p in payments])
    # Same DB transaction: if anything after this fails, the invoice number is given back.
    invoice = issue_invoice(tx=tx, items=items, quote=quote, received=len(payments),
                            issued_by=user, now=now, terminal=terminal,
                            ticket_ids=[[t.pk for t in each] for each in sale.tickets])
    return sale, invoice


def _show_sale(tx: Transaction, *, items: list[HeldItem], payments: list[Payment],
               sale: CompletedSale, documents: list[FiscalDocument]) -> None:
    """Attach to `tx` what its answer shows, as written (Django's prefetch cache, read by
    the serializers' `.all()`), so that the answer needs no read at all
    (sales.serializers.checkout_result_data): the cashier is the user who checked out,
    whom `lock_sale` attached."""
    tx._prefetched_objects_cache = {
        "reserved_tickets": items, "payments": payments,
        "tickets": [t for each in sale.tickets for t in each],
        "fiscal_documents": documents, "status_changes": sale.history,
    }



# --- Refunds --------------------------------------------------------------------------


@retry_on_conflict
def refund_sale(
    *, invoice_id: int, lines: Sequence[CreditLine] | None, reason: str,
    issued_by: AbstractBaseUser, now: datetime | None = None, terminal: str = "",
) -> FiscalDocument:
    """Refund an invoiced sale, in full or per line and quantity: the credit note
    (fiscal.services.issue_credit_note voids the credited tickets), and the refunded seats
    and general-admission units back on sale at once (reservations.services.refund_items:
    items REFUNDED, availability refreshed). One transaction."""
    now = now or timezone.now()
    invoice = FiscalDocument.objects.filter(pk=invoice_id).only("transaction_id").first()
    with transaction.atomic():
        if invoice is not None and invoice.transaction_id:
            # The lock order: the sale (3) and its sold items (6) before the fiscal rows (7).
            lock_transaction(invoice.transaction_id)
            lock_items(ReservedTicket.objects.filter(
                transaction_id=invoice.transaction_id,
                status=ReservedTicket.Status.COMPLETED).values_list("id", flat=True))
        note = issue_credit_note(invoice_id=invoice_id, lines=lines, reason=reason,
                                 issued_by=issued_by, now=now, terminal=terminal)
        voided = [ticket_id for line in note.snapshot["lines"]
                  for ticket_id in line.get("ticket_ids", [])]
        places = list(Ticket.objects.filter(id__in=voided).values_list("seat_id", "zone_id"))
        if note.transaction_id and places:
            refund_items(
                transaction_id=note.transaction_id,
                seat_ids=[seat for seat, _ in places if seat],
                ga_units=dict(Counter(zone for seat, zone in places if seat is None)),
                actor=issued_by, note=f"credit note {note.display_number}", now=now)
        if voided:
            domain_events.emit(domain_events.TICKET_REFUNDED,
                               transaction_id=note.transaction_id, credit_note_id=note.pk,
                               ticket_ids=sorted(voided))
    logger.info("sale.refunded", note=note.display_number, places=len(places))
    return note


# --- Cancelling a reservation ----------------------------------------------------------


@retry_on_conflict
def cancel_reservation(
    *, user: AbstractBaseUser, transaction_id: int, reason: str, now: datetime | None = None,
) -> Transaction:
    """A venue admin gives up a partial-payment reservation: its seats are free at once
    (items CANCELLED), the transaction is CANCELLED, and every payment taken is handed
    back (a Refund record each: the reservation had a receipt, never an invoice, so there
    is nothing to credit). Audit rows name who and why."""
    now = now or timezone.now()
    with transaction.atomic():
        tx = lock_transaction(transaction_id)
        if tx is None:
            raise TransactionNotFound()
        if tx.status != Transaction.Status.RESERVED:
            raise CheckoutRefused(
                f"Transaction {tx.pk} is {tx.status}; only a reserved (partially paid) "
                "transaction can be cancelled.")
        items = list(tx.reserved_tickets.filter(status=ReservedTicket.Status.ACTIVE))
        note = f"reservation cancelled: {reason}"[:300]
        cancel_items(items, actor=user, reason=StatusChange.Reason.ADMIN, note=note, now=now)
        transition_transaction(tx, to=Transaction.Status.CANCELLED,
                               reason=StatusChange.Reason.ADMIN, actor=user, note=note,
                               now=now)
        refunds = Refund.objects.bulk_create(
            Refund(payment=p, transaction=tx, method=p.method, currency=p.currency,
                   amount=p.amount, reason=reason[:300], refunded_by=user, created_at=now)
            for p in tx.payments.all())
        StatusChange.objects.bulk_create(
            StatusChange(subject=StatusChange.Subject.PAYMENT, subject_id=r.payment_id,
                         transaction=tx, from_status="received", to_status="refunded",
                         reason=StatusChange.Reason.ADMIN, actor_id=user.pk, created_at=now,
                         note=f"{r.amount} {r.currency} {r.method} handed back")
            for r in refunds)
        domain_events.emit(domain_events.RESERVATION_CANCELLED, transaction_id=tx.pk)
    logger.info("reservation.cancelled", transaction=transaction_id, refunds=len(refunds))
    return tx
