"""What a delivery says: `{"id", "type", "created", "data"}`, read from the committed
state when the fan-out task runs (the domain event carries ids only).

Nothing secret leaves: no ticket code or QR string (whoever has the QR enters), no staff
passwords or tokens; the cashier by user name."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from fiscal.models import FiscalDocument
from fiscal.serializers import DocumentSummarySerializer
from pos import domain_events as events
from reservations.models import ReservedTicket
from sales.models import CheckinScan, Ticket, Transaction
from sales.webhooks.models import PING


def _iso(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def _ticket(ticket: Ticket) -> dict[str, Any]:
    return {"id": ticket.pk, "zone": ticket.zone.name,
            "seat": ticket.seat.label if ticket.seat_id else None, "price": str(ticket.price)}


def transaction_data(transaction_id: int) -> dict[str, Any]:
    """The sale as a receiver needs it: status, event, customer, amounts, seats, tickets
    and its invoice (null until one is issued). Four queries."""
    tx = (Transaction.objects.select_related("event", "cashier").prefetch_related(
        Prefetch("tickets", queryset=Ticket.objects.select_related("zone", "seat")
                 .order_by("id")),
        Prefetch("reserved_tickets", queryset=ReservedTicket.objects
                 .select_related("zone", "seat").order_by("id")),
        Prefetch("fiscal_documents", queryset=FiscalDocument.objects.order_by("id")),
    ).get(pk=transaction_id))
    invoice = next((d for d in tx.fiscal_documents.all() if d.kind == "invoice"), None)
    return {
        "id": tx.pk,
        "status": tx.status,
        "event": {"id": tx.event_id, "name": tx.event.name,
                  "starts_at": _iso(tx.event.starts_at)},
        "customer": {"name": tx.customer_name, "tax_id": tx.customer_tax_id,
                     "email": tx.customer_email},
        "cashier": tx.cashier.get_username(),
        "currency": tx.currency,
        "subtotal": str(tx.subtotal),
        "payment_deadline": _iso(tx.payment_deadline),
        "created_at": _iso(tx.created_at),
        "completed_at": _iso(tx.completed_at),
        "items": [{"zone": i.zone.name, "seat": i.seat.label if i.seat_id else None,
                   "quantity": i.quantity, "unit_price": str(i.unit_price),
                   "status": i.status} for i in tx.reserved_tickets.all()],
        "tickets": [_ticket(t) for t in tx.tickets.all()],
        "invoice": DocumentSummarySerializer(invoice).data if invoice else None,
    }


def _sale(data: dict[str, Any]) -> dict[str, Any]:
    return {"transaction": transaction_data(data["transaction_id"])}


def _refund(data: dict[str, Any]) -> dict[str, Any]:
    note = FiscalDocument.objects.select_related("original").get(pk=data["credit_note_id"])
    tickets = (Ticket.objects.filter(pk__in=data["ticket_ids"]).select_related("zone", "seat")
               .order_by("id"))
    return {
        "transaction_id": data["transaction_id"],
        "credit_note": {**DocumentSummarySerializer(note).data, "reason": note.reason,
                        "invoice_number": note.original.display_number
                        if note.original_id else None},
        "ticket_ids": list(data["ticket_ids"]),
        "tickets": [_ticket(t) for t in tickets],
    }


def _checkin(data: dict[str, Any]) -> dict[str, Any]:
    scan = (CheckinScan.objects.select_related("user", "ticket__zone", "ticket__seat",
                                               "ticket__event")
            .get(pk=data["scan_id"]))
    ticket = scan.ticket
    return {  # never scan.code: it is the QR string that enters
        "ticket": {**_ticket(ticket), "transaction_id": ticket.transaction_id},
        "event": {"id": ticket.event_id, "name": ticket.event.name},
        "scan_id": scan.pk, "gate": scan.gate, "device": scan.device,
        "by": scan.user.get_username(), "admitted_at": _iso(scan.scanned_at),
        "offline": scan.offline,
    }


BUILDERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    events.SALE_COMPLETED: _sale,
    events.RESERVATION_CREATED: _sale,
    events.RESERVATION_EXPIRED: _sale,
    events.RESERVATION_CANCELLED: _sale,
    events.TICKET_REFUNDED: _refund,
    events.CHECKIN_ADMITTED: _checkin,
    PING: lambda data: {"message": "A test event sent from the venue's webhook settings.",
                        **data},
}


def event_body(*, event_id: str, event_type: str, occurred_at: datetime,
               data: dict[str, Any]) -> str:
    """The JSON body of the event: built once, then sent byte for byte on every attempt
    and replay (so its signature covers exactly what the receiver reads)."""
    payload = {"id": event_id, "type": event_type, "created": _iso(occurred_at),
               "data": BUILDERS[event_type](data)}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
