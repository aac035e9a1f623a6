"""Reads on sales."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet

from reservations.models import ReservedTicket, StatusChange
from sales.models import Ticket, Transaction
from tenants.permissions import sees_every_sale


def transactions_visible_to(user: AbstractBaseUser) -> QuerySet[Transaction]:
    """Cashiers see their own sales; venue admins and operators see all
    (tenants.permissions.EVERY_SALE)."""
    queryset = Transaction.objects.select_related("cashier")
    if sees_every_sale(user):
        return queryset
    return queryset.filter(cashier=user)


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
