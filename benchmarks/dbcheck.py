"""After a load run or a fault drill: is the database still telling the truth?

Counted in the tenant's schema, for one event. Every figure except the totals must be 0."""

from __future__ import annotations

from typing import Any


def integrity_report(schema: str, event_id: int) -> dict[str, Any]:
    """Oversold seats and half-written sales of one event (0 everywhere is correct)."""
    from django.db.models import Count, F, Q
    from django_tenants.utils import schema_context

    from reservations.models import ReservedTicket
    from sales.models import Payment, Ticket, Transaction

    RT, TX = ReservedTicket.Status, Transaction.Status
    with schema_context(schema):
        claims = ReservedTicket.objects.filter(event_id=event_id, seat__isnull=False)
        # A seat claimed (held or sold) twice, or with two tickets, is oversold.
        doubly_claimed = (claims.filter(status__in=[RT.ACTIVE, RT.COMPLETED])
                          .values("seat_id").annotate(n=Count("id")).filter(n__gt=1).count())
        doubly_ticketed = (Ticket.objects.filter(event_id=event_id, seat__isnull=False)
                           .values("seat_id").annotate(n=Count("id")).filter(n__gt=1).count())
        txs = Transaction.objects.filter(event_id=event_id)
        # A sale is all or nothing: a completed sale has one ticket per completed item,
        # and no item is completed (or still active) in a sale that is not.
        completed_without_matching_tickets = (
            txs.filter(status=TX.COMPLETED)
            .annotate(items=Count("reserved_tickets", filter=Q(
                reserved_tickets__status=RT.COMPLETED), distinct=True),
                tickets_n=Count("tickets", distinct=True))
            .exclude(items=F("tickets_n")).count()
        )
        report = {
            "oversold_seats": doubly_claimed + doubly_ticketed,
            "seats_claimed_twice": doubly_claimed,
            "seats_ticketed_twice": doubly_ticketed,
            "completed_sales_with_ticket_mismatch": completed_without_matching_tickets,
            "completed_items_in_unfinished_sales": claims.filter(status=RT.COMPLETED).exclude(
                transaction__status=TX.COMPLETED).count(),
            "active_items_in_closed_sales": claims.filter(status=RT.ACTIVE).filter(
                transaction__status__in=[TX.COMPLETED, TX.CANCELLED, TX.EXPIRED]).count(),
            "pending_sales_without_items": txs.filter(status=TX.PENDING)
            .annotate(n=Count("reserved_tickets")).filter(n=0).count(),
            "payments_on_pending_sales": Payment.objects.filter(
                transaction__event_id=event_id, transaction__status=TX.PENDING).count(),
            "totals": {
                "seats_sold": claims.filter(status=RT.COMPLETED).count(),
                "tickets": Ticket.objects.filter(event_id=event_id).count(),
                "seats_held_now": claims.filter(status=RT.ACTIVE).count(),
                "transactions": txs.count(),
            },
        }
    report["ok"] = all(v == 0 for k, v in report.items() if k not in {"totals"})
    return report
