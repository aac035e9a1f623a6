from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fiscal.serializers import DocumentSummarySerializer
from fiscal.taxes import LEGAL_CURRENCY
from pos.fields import StrictModelSerializer
from pos.serializers import FieldsBuiltOnce
from reservations.best_available import parse_row_order
from reservations.models import StatusChange
from reservations.serializers import HoldItemSerializer
from sales.checkout.serializers import AMOUNTS_DUE, amounts_due_data
from sales.checkout.services import hold_quote
from sales.models import Event, Payment, Seat, Ticket, Transaction, Venue, Zone
from sales.selectors import transaction_detail
from sales.tickets import ticket_qr

if TYPE_CHECKING:
    from sales.checkout.services import CheckoutResult


class VenueSerializer(StrictModelSerializer):
    class Meta:
        model = Venue
        fields = ["id", "name", "address", "city", "created_at"]


class EventSerializer(StrictModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "venue", "name", "starts_at", "currency", "status",
                  "reservation_hold_minutes", "partial_payment_hours", "created_at"]
        extra_kwargs = {
            "reservation_hold_minutes": {"help_text": (
                "Minutes a hold of this event lasts; null: the venue's setting "
                "(`/api/settings/`). Applies to holds made and extended afterwards.")},
            "partial_payment_hours": {"help_text": (
                "Hours a partial-payment reservation of this event is kept; null: the "
                "venue's setting. Applies to reservations made afterwards.")},
        }


class ZoneSerializer(StrictModelSerializer):
    class Meta:
        model = Zone
        fields = ["id", "event", "name", "kind", "capacity", "price", "tax_category",
                  "max_entries", "row_order"]
        read_only_fields = ["event"]
        extra_kwargs = {"capacity": {"help_text": "General admission: places for sale. "
                                                  "Numbered: the seat count (read only)."}}

    def validate_row_order(self, value: str) -> str:
        """Rows best first for best available: "C,B,A", "D-F", "2-5" (a row named twice
        is a mistake)."""
        rows = parse_row_order(value)
        if len(set(rows)) != len(rows):
            raise serializers.ValidationError("A row is listed twice.")
        if any(len(row) > 8 for row in rows):
            raise serializers.ValidationError("Rows are at most 8 characters.")
        return value.strip()

    def validate(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", Zone.Kind.NUMBERED))
        if kind == Zone.Kind.GENERAL and not attrs.get(
            "capacity", getattr(self.instance, "capacity", 0)
        ):
            raise serializers.ValidationError(
                {"capacity": "A general-admission zone needs a capacity of at least 1."}
            )
        if kind == Zone.Kind.NUMBERED:
            attrs.pop("capacity", None)  # counted from its seats
        self._validate_name_free(attrs.get("name"))
        return attrs

    def _validate_name_free(self, name: str | None) -> None:
        """Zone names are unique per event (a database constraint): say so as a 400
        instead of letting the constraint fail (a rename found by fuzzing gave a 500)."""
        event_id = self.instance.event_id if self.instance else self.context.get("event_id")
        if name is None or event_id is None:
            return
        taken = Zone.objects.filter(event_id=event_id, name=name)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(
                {"name": f"This event already has a zone called {name!r}."})


class SeatSerializer(serializers.ModelSerializer):
    class Meta:
        model = Seat
        fields = ["id", "zone", "row", "number", "label"]


class SeatRowsSerializer(serializers.Serializer):
    rows = serializers.CharField(
        max_length=400, help_text='Rows: a range like "A-T" or a list like "A,B,C".'
    )
    seats_per_row = serializers.IntegerField(min_value=1, max_value=500)
    first_number = serializers.IntegerField(min_value=1, max_value=10000, default=1)


class TransactionFilterSerializer(serializers.Serializer):
    """Query parameters of GET /api/transactions/: every one optional, all combined."""

    status = serializers.ChoiceField(choices=Transaction.Status.choices, required=False,
                                     help_text="e.g. reserved: partly paid sales")
    q = serializers.CharField(
        max_length=200, required=False, allow_blank=True,
        help_text="One search box: the sale's number (#123 or 123), part of the customer's "
                  "name, or the customer's ID number (as `tax_id` compares it)")
    customer = serializers.CharField(
        max_length=200, required=False, allow_blank=True,
        help_text="Part of the customer's name, in any case")
    tax_id = serializers.CharField(
        max_length=20, required=False, allow_blank=True,
        help_text="The customer's RIF or cédula; case, spaces, dots and hyphens are "
                  "ignored (v12.345.678 finds V-12345678)")
    event = serializers.IntegerField(required=False, min_value=1, help_text="The event's id")
    mine = serializers.BooleanField(
        required=False, default=False,
        help_text="Only the caller's own sales and holds (a venue admin sees everyone's "
                  "otherwise)")
    deadline_before = serializers.DateTimeField(
        required=False, help_text="Payment deadline at or before this time (ISO 8601)")
    deadline_after = serializers.DateTimeField(
        required=False, help_text="Payment deadline at or after this time (ISO 8601)")


class PaymentSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "method", "currency", "amount", "reference", "change_ves",
                  "exchange_rate", "received_by", "created_at"]


class TicketSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    label = serializers.SerializerMethodField()
    qr = serializers.SerializerMethodField(
        help_text="What the ticket's QR code encodes: its code signed for this venue "
                  "organisation (`<code>:<signature>`), the only thing the door accepts.")

    class Meta:
        model = Ticket
        fields = ["id", "code", "qr", "zone", "seat", "label", "price", "issued_at"]

    def get_label(self, ticket: Ticket) -> str:
        return ticket.seat.label if ticket.seat_id else ticket.zone.name

    def get_qr(self, ticket: Ticket) -> str:
        return ticket_qr(ticket)


class StatusChangeSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    # Null for the system (expiry job); the reason says which.
    actor = serializers.CharField(source="actor.username", default=None, allow_null=True)

    class Meta:
        model = StatusChange
        fields = ["subject", "subject_id", "from_status", "to_status", "reason", "note",
                  "actor", "created_at"]


class TransactionSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """A sale with everything it shows. For a reserved one, also what was paid and what
    settles it (`paid`, `amounts_due`, `payment_deadline`)."""

    cashier = serializers.CharField(source="cashier.username")
    paid = serializers.SerializerMethodField()
    amounts_due = serializers.SerializerMethodField()
    items = HoldItemSerializer(source="reserved_tickets", many=True)
    payments = PaymentSerializer(many=True)
    tickets = TicketSerializer(many=True)
    history = StatusChangeSerializer(source="status_changes", many=True)
    # Fiscal: the invoice (number, Bs and foreign-currency totals) and every document.
    invoice = serializers.SerializerMethodField()
    documents = DocumentSummarySerializer(source="fiscal_documents", many=True, read_only=True)

    class Meta:
        model = Transaction
        fields = ["id", "event", "status", "cashier", "currency", "subtotal",
                  "customer_name", "customer_tax_id", "customer_email", "payment_deadline",
                  "created_at", "completed_at", "paid", "amounts_due", "items", "payments",
                  "tickets", "history", "invoice", "documents"]

    def _quote(self, tx: Transaction):
        """The figures of a reserved sale (None for any other status): the quote a write
        just computed (`tx.known_quote`, see checkout_result_data), else computed once
        here and kept on the instance for the other fields."""
        if tx.status != Transaction.Status.RESERVED:
            return None
        if getattr(tx, "known_quote", None) is None:
            items = [i for i in tx.reserved_tickets.all() if i.status == "active"]
            tx.known_quote = hold_quote(tx, items)
        return tx.known_quote

    @extend_schema_field({"type": "object", "nullable": True,
                          "additionalProperties": {"type": "string", "format": "decimal"},
                          "description": "Reserved sales: paid so far, in Bs and in the "
                                         "sale's currency.",
                          "example": {"VES": "1000.00", "USD": "6.61"}})
    def get_paid(self, tx: Transaction) -> dict[str, str] | None:
        quote = self._quote(tx)
        if quote is None:
            return None
        paid = quote.breakdown.paid_ves
        return {LEGAL_CURRENCY: str(paid),
                **({tx.currency: str(quote.in_sale_currency(paid))}
                   if tx.currency != LEGAL_CURRENCY else {})}

    @extend_schema_field({**AMOUNTS_DUE, "nullable": True})
    def get_amounts_due(self, tx: Transaction) -> dict[str, str] | None:
        return amounts_due_data(self._quote(tx))

    @extend_schema_field(DocumentSummarySerializer(allow_null=True))
    def get_invoice(self, tx: Transaction):
        invoice = next((d for d in tx.fiscal_documents.all() if d.kind == "invoice"), None)
        return DocumentSummarySerializer(invoice).data if invoice else None


class TransactionListSerializer(serializers.ModelSerializer):
    cashier = serializers.CharField(source="cashier.username")

    class Meta:
        model = Transaction
        fields = ["id", "event", "status", "cashier", "currency", "subtotal", "customer_name",
                  "customer_tax_id", "payment_deadline", "created_at", "completed_at"]


@extend_schema_field({"type": "object", "description": "Fiscal breakdown in Bs and in the "
                      "sale currency: bases and IVA per rate, total, IGTF, amount due, paid, "
                      "balance (negative: change to give)."})
class TaxBreakdownField(serializers.Field):
    """The quote's breakdown (fiscal.taxes.TaxBreakdown.to_dict)."""

    def to_representation(self, value):
        return value.breakdown.to_dict() if value is not None else None


class CheckoutResultSerializer(FieldsBuiltOnce, serializers.Serializer):
    """Serialize `checkout_result_data(result)`: the transaction read with its details."""

    transaction = TransactionSerializer()
    breakdown = TaxBreakdownField(source="quote", allow_null=True)
    amounts_due = serializers.SerializerMethodField()
    replayed = serializers.BooleanField(help_text="True when this repeats a completed sale.")
    server_time = serializers.SerializerMethodField()

    def get_server_time(self, _result) -> str:
        return timezone.now().isoformat()

    @extend_schema_field({**AMOUNTS_DUE, "nullable": True})
    def get_amounts_due(self, result: CheckoutResult) -> dict[str, str] | None:
        return amounts_due_data(result.quote)


# What TransactionSerializer shows of a sale's related rows.
SHOWN = {"reserved_tickets", "payments", "tickets", "status_changes", "fiscal_documents"}


def checkout_result_data(result: CheckoutResult) -> dict[str, Any]:
    """The answer to a checkout or a payment: the transaction read again with everything it
    shows in a fixed number of queries (serializing the service's own instance would
    load each ticket's seat and each audit row's actor one query at a time)."""
    shown = getattr(result.transaction, "_prefetched_objects_cache", {})
    if shown.keys() >= SHOWN:  # the service attached what it wrote (a sale paid at once)
        detailed = result
    else:
        detailed = replace(result, transaction=transaction_detail(result.transaction.pk))
    if result.quote is not None:
        detailed.transaction.known_quote = result.quote
    return CheckoutResultSerializer(detailed).data
