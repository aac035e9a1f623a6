"""Reads on sales."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Func, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Trim, Upper

from reservations.models import ReservedTicket, StatusChange
from sales.models import Seat, Ticket, Transaction
from tenants.permissions import sees_every_sale


def transactions_visible_to(user: AbstractBaseUser) -> QuerySet[Transaction]:
    """Cashiers see their own sales; venue admins and operators see all
    (tenants.permissions.EVERY_SALE)."""
    queryset = Transaction.objects.select_related("cashier")
    if sees_every_sale(user):
        return queryset
    return queryset.filter(cashier=user)


# Ignored when ID numbers are compared: "v-12.345.678", "V12345678" and "V-12345678" are one.
_ID_SEPARATORS = " .-"
# The letters a Venezuelan cédula or RIF starts with.
_ID_LETTERS = "VEJGP"


def tax_id_key(value: str) -> str:
    """An ID number (RIF or cédula) as compared in searches: upper case, without spaces,
    dots or hyphens, the way fiscal.validators.normalize_buyer_id reads what was typed."""
    return value.strip().upper().translate(str.maketrans("", "", _ID_SEPARATORS))


def _stored_tax_id_key() -> Func:
    """tax_id_key of Transaction.customer_tax_id, in SQL (it is stored as typed)."""
    return Upper(Func(Trim("customer_tax_id"), Value(f"[{_ID_SEPARATORS}]"), Value(""),
                      Value("g"), function="regexp_replace"))


def filter_transactions(
    queryset: QuerySet[Transaction],
    *,
    status: str | None = None,
    q: str = "",
    customer: str = "",
    tax_id: str = "",
    event: int | None = None,
    cashier: AbstractBaseUser | None = None,
    deadline_before: datetime | None = None,
    deadline_after: datetime | None = None,
) -> QuerySet[Transaction]:
    """The transactions of `queryset` that match every filter given: status; `q`, what a
    cashier types in one search box (the number, part of the customer's name, or the ID
    number); customer name containing `customer` (any case); the customer's ID number
    equal to `tax_id` (tax_id_key); the event; the cashier; payment deadline at or before
    `deadline_before`, at or after `deadline_after`. Finds reserved sales for their balance
    (status=reserved)."""
    if status:
        queryset = queryset.filter(status=status)
    if q.strip():
        queryset = queryset.alias(search_id_key=_stored_tax_id_key()).filter(_search(q.strip()))
    if event is not None:
        queryset = queryset.filter(event_id=event)
    if cashier is not None:
        queryset = queryset.filter(cashier=cashier)
    if customer:
        queryset = queryset.filter(customer_name__icontains=customer)
    if tax_id.strip():
        queryset = queryset.alias(tax_id_key=_stored_tax_id_key()).filter(
            tax_id_key=tax_id_key(tax_id))
    if deadline_before is not None:
        queryset = queryset.filter(payment_deadline__lte=deadline_before)
    if deadline_after is not None:
        queryset = queryset.filter(payment_deadline__gte=deadline_after)
    return queryset


def _search(text: str) -> Q:
    """One search box: "#123" or "123" is the number (also tried as an ID number, a
    cédula is digits too), anything else part of the name or the ID number."""
    key = tax_id_key(text)
    match = Q(customer_name__icontains=text)
    if key:
        match |= Q(search_id_key=key)
    number = text.removeprefix("#").strip()
    if number.isdigit() and len(number) <= 18:
        # A cédula is often said without its letter: V-12345678 is found by 12345678.
        match |= Q(pk=int(number)) | Q(search_id_key__in=[
            f"{letter}{number}" for letter in _ID_LETTERS])
    return match


def transaction_with_details(queryset: QuerySet[Transaction]) -> QuerySet[Transaction]:
    """Everything the transaction detail shows, in a fixed number of queries."""
    return queryset.prefetch_related(
        Prefetch("reserved_tickets",
                 queryset=ReservedTicket.objects.select_related("seat", "zone").order_by("id")),
        "payments",
        Prefetch("tickets", queryset=Ticket.objects.select_related("seat", "zone")),
        Prefetch("status_changes", queryset=StatusChange.objects.select_related("actor")),
        "fiscal_documents",
    )


def transaction_detail(transaction_id: int) -> Transaction:
    """One transaction with everything TransactionSerializer shows (for answers to writes
    on it: their caller was already allowed to act on it)."""
    return transaction_with_details(
        Transaction.objects.select_related("cashier")).get(pk=transaction_id)


# --- Claims on the catalogue ("sold means sold") ---------------------------------------


def claimed_units(*, event_id: int | None = None, zone_id: int | None = None) -> int:
    """Tickets held or sold in an event or a zone, as the catalogue rules count them: items
    ACTIVE or COMPLETED (a hold past its time counts until the expiry job records it, as in
    the database guards, which cannot read the application's clock) or tickets issued."""
    items = ReservedTicket.objects.unfinished()
    tickets = Ticket.objects.all()
    if event_id is not None:
        items, tickets = items.filter(event_id=event_id), tickets.filter(event_id=event_id)
    if zone_id is not None:
        items, tickets = items.filter(zone_id=zone_id), tickets.filter(zone_id=zone_id)
    held = items.aggregate(units=Sum("quantity"))["units"] or 0
    return max(held, tickets.count())


def seat_claim(seat: Seat) -> str | None:
    """"sold" or "held" when a claim stands on the seat (as `claimed_units` counts), else
    None."""
    statuses = set(ReservedTicket.objects.unfinished().filter(seat=seat)
                   .values_list("status", flat=True))
    if ReservedTicket.Status.COMPLETED in statuses or Ticket.objects.filter(seat=seat).exists():
        return "sold"
    return "held" if statuses else None
