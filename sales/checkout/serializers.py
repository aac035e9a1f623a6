"""Input and output shapes of the till: payments, checkout, quote, and the figures a hold
answers. Shape only; the rules are in sales.checkout.services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fiscal.services import Quote
from fiscal.taxes import PaymentInput
from pos.fields import MoneyField
from reservations.serializers import HoldSerializer
from sales.models import Currency, PaymentMethod, Transaction

AMOUNTS_DUE = {
    "type": "object", "additionalProperties": {"type": "string", "format": "decimal"},
    "description": "For each currency the sale may be paid in, the amount that settles it "
                   "when paid entirely in that currency (IGTF included where it applies; "
                   "foreign amounts rounded up to the cent, change given in Bs).",
    "example": {"VES": "6578.70", "USD": "44.81"},
}


class PaymentInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    currency = serializers.ChoiceField(choices=Currency.choices)
    amount = MoneyField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    reference = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="",
        help_text="Bank reference: required for pago móvil, transfer and Zelle.")


class CustomerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    tax_id = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True,
                                   default="")


class CheckoutSerializer(serializers.Serializer):
    payments = serializers.ListField(child=PaymentInputSerializer(), min_length=1,
                                     max_length=20)
    customer = CustomerSerializer(required=False)
    reserve = serializers.BooleanField(
        default=False, help_text="Keep the seats as a partial-payment reservation when the "
                                 "payments leave a balance (else: 400 payment_short).")


class QuoteSerializer(serializers.Serializer):
    payments = serializers.ListField(child=PaymentInputSerializer(), required=False,
                                     default=list, max_length=20)


class PaymentsSerializer(serializers.Serializer):
    payments = serializers.ListField(child=PaymentInputSerializer(), min_length=1,
                                     max_length=20)
    reserve = serializers.BooleanField(
        default=False, help_text="Accept that a balance is still left (the reservation "
                                 "stays until its deadline); else: 400 payment_short.")


def payment_inputs(payments: list[dict[str, Any]]) -> list[PaymentInput]:
    return [PaymentInput(method=p["method"], currency=p["currency"], amount=p["amount"],
                         reference=p.get("reference", "")) for p in payments]


def amounts_due_data(quote: Quote | None) -> dict[str, str] | None:
    return None if quote is None else {c: str(a) for c, a in quote.amounts_due.items()}


def sale_figures(quote: Quote | None) -> dict[str, Any]:
    """A sale's figures in its own currency: before tax, tax, total incl. IVA (subtotal +
    tax = total to the cent), and the amounts due. Nulls when it cannot be priced yet."""
    if quote is None:
        return {"tax": None, "total": None, "amounts_due": None}
    b = quote.breakdown
    total = b.total_sale
    subtotal = b.in_sale_currency(b.base_total_ves + b.exempt_ves)
    return {"subtotal": str(subtotal), "tax": str(total - subtotal), "total": str(total),
            "amounts_due": amounts_due_data(quote)}


def quote_data(quote: Quote) -> dict[str, Any]:
    """The breakdown (fiscal.taxes.TaxBreakdown.to_dict) with the amounts due."""
    return {**quote.breakdown.to_dict(), "amounts_due": amounts_due_data(quote)}


class HoldAnswerSerializer(HoldSerializer):
    """A hold with its price: `subtotal` (before tax), `tax`, `total` (incl. IVA), in the
    sale's currency, and `amounts_due`. Context: `items`, `now`, `quote` (None when the
    venue has no exchange rate yet: the figures are then null, the subtotal the prices'
    sum)."""

    subtotal = serializers.DecimalField(max_digits=14, decimal_places=2)
    tax = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True,
                                     help_text="Incl. IVA, in the sale's currency.")
    amounts_due = serializers.SerializerMethodField()

    @extend_schema_field({**AMOUNTS_DUE, "nullable": True})
    def get_amounts_due(self, tx: Transaction) -> dict[str, str] | None:  # schema only
        return amounts_due_data(self.context.get("quote"))

    def to_representation(self, tx: Transaction) -> dict[str, Any]:
        data = super().to_representation(tx)
        data["subtotal"] = data.pop("total")  # the prices' sum, before tax
        return {**data, **sale_figures(self.context.get("quote"))}


class CancelReservationSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why, for the audit trail.")
