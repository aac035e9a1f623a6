"""Fiscal API shapes: settings, series, exchange rates, documents, notes, reports, shifts."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fiscal.models import (
    ExchangeRate,
    FiscalDocument,
    FiscalProfile,
    FiscalSeries,
    Shift,
    ZReport,
)
from fiscal.taxes import TaxCategory
from fiscal.validators import normalize_rif
from pos.fields import MoneyField, StrictModelSerializer
from pos.serializers import FieldsBuiltOnce
from sales.models import PAYMENT_CURRENCIES, Currency, PaymentMethod


class FiscalProfileSerializer(StrictModelSerializer):
    class Meta:
        model = FiscalProfile
        fields = ["legal_name", "rif", "fiscal_address", "iva_general", "iva_reduced",
                  "iva_luxury_surcharge", "igtf", "municipal_tax", "prices_include_tax",
                  "max_rate_age_days", "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {"rif": {"validators": [], "help_text": "e.g. J-12345678-4 (check "
                                                                "digit verified)"}}

    def validate_rif(self, value: str) -> str:
        try:
            return normalize_rif(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class FiscalSeriesSerializer(StrictModelSerializer):
    class Meta:
        model = FiscalSeries
        fields = ["id", "kind", "terminal", "code", "control_prefix", "next_number",
                  "next_control_number", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {
            "next_number": {"help_text": "Set when the series is created (a venue moving "
                                         "from another system); read only afterwards."},
            "next_control_number": {"help_text": "As next_number."},
            "terminal": {"help_text": "Empty: the default series of the kind. Otherwise the "
                                      "POS terminal (X-POS-Terminal header) it numbers for."},
        }

    def validate(self, attrs):
        if self.instance is not None:
            # Numbers only move forward by issuing documents: never by hand.
            for field in ("kind", "next_number", "next_control_number"):
                attrs.pop(field, None)
        return attrs


class ExchangeRateSerializer(StrictModelSerializer):
    currency = serializers.ChoiceField(
        choices=[c for c in Currency.values if c != Currency.VES],
        help_text="Foreign currency; the rate is Bs per one unit.")
    rate = MoneyField(max_digits=18, decimal_places=6, min_value=Decimal("0.000001"),
                      help_text="Bs per unit, up to 6 decimals, e.g. \"36.5\"")
    # A related field answers null for a missing user even in a PATCH answer (a CharField
    # with a dotted source and a default is left out of partial answers: found by fuzzing).
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                              allow_null=True)

    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "rate", "valid_on", "source", "created_by", "created_at"]
        read_only_fields = ["created_at"]


class FiscalDocumentListSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="display_number")

    class Meta:
        model = FiscalDocument
        fields = ["id", "kind", "number", "control_number", "issued_at", "fiscal_day",
                  "transaction", "original", "buyer_name", "sale_currency", "foreign_currency",
                  "exchange_rate", "total_ves", "igtf_ves", "amount_due_ves", "total_foreign",
                  "amount_due_foreign", "z_report"]


class FiscalDocumentSerializer(FiscalDocumentListSerializer):
    issued_by = serializers.CharField(source="issued_by.username")
    z_number = serializers.IntegerField(source="z_report.number", default=None,
                                        allow_null=True)

    class Meta(FiscalDocumentListSerializer.Meta):
        fields = [*FiscalDocumentListSerializer.Meta.fields, "series_code", "reason",
                  "issuer_name", "issuer_rif", "issuer_address", "buyer_tax_id",
                  "base_total_ves", "exempt_ves", "iva_total_ves", "municipal_ves", "paid_ves",
                  "snapshot", "issued_by", "terminal", "z_number"]
        extra_kwargs = {"terminal": {"help_text": "The POS terminal it was issued at "
                                                  "(X-POS-Terminal); empty when none was "
                                                  "named."}}


class DocumentSummarySerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """What a transaction shows of its documents."""

    number = serializers.CharField(source="display_number")

    class Meta:
        model = FiscalDocument
        fields = ["id", "kind", "number", "control_number", "issued_at", "foreign_currency",
                  "exchange_rate", "total_ves", "igtf_ves", "amount_due_ves", "total_foreign",
                  "amount_due_foreign"]


class CreditLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=0, help_text="Index of the invoice line")
    quantity = serializers.IntegerField(min_value=1, max_value=100000)


class CreditNoteRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    lines = CreditLineSerializer(many=True, required=False, allow_empty=False,
                                 help_text="Omit to credit everything still credited-able "
                                           "(full refund or cancellation).")


class DebitLineSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=200)
    quantity = serializers.IntegerField(min_value=1, max_value=100000)
    unit_price = MoneyField(max_digits=12, decimal_places=2, min_value=Decimal("0"))
    tax_category = serializers.ChoiceField(choices=[c.value for c in TaxCategory],
                                           default=TaxCategory.GENERAL.value)


class DebitNoteRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    lines = DebitLineSerializer(many=True, allow_empty=False)


class DayQuerySerializer(serializers.Serializer):
    day = serializers.DateField(required=False, help_text="Fiscal day (America/Caracas); "
                                                          "default today")


@extend_schema_field({"type": "object", "description": "Report figures: counts, net_sales, "
                      "taxes per rate, by_kind, series first/last numbers, payments by method "
                      "and currency, receipts."})
class ReportField(serializers.JSONField):
    pass


class ZReportSerializer(serializers.ModelSerializer):
    totals = ReportField()
    created_by = serializers.CharField(source="created_by.username", default=None,
                                       allow_null=True)
    # Counted when the Z was closed (its documents never change Z afterwards).
    documents = serializers.IntegerField(source="totals.documents", read_only=True)

    class Meta:
        model = ZReport
        fields = ["id", "number", "fiscal_day", "created_at", "created_by", "documents",
                  "totals"]


# The currencies a drawer can hold: those cash is taken in.
CASH_CURRENCIES = sorted(c.value for c in PAYMENT_CURRENCIES[PaymentMethod.CASH])


class DeclaredCashSerializer(serializers.Serializer):
    """The cash counted in the drawer, per currency: strict money strings."""

    def get_fields(self):
        return {currency: MoneyField(max_digits=16, decimal_places=2, min_value=Decimal("0"),
                                     required=False, help_text=f"{currency} counted")
                for currency in CASH_CURRENCIES}

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in CASH_CURRENCIES)
            if unknown:
                raise serializers.ValidationError(
                    f"Cash is counted in {', '.join(CASH_CURRENCIES)}; not in "
                    f"{', '.join(unknown)}.")
        return super().to_internal_value(data)


class ShiftCloseSerializer(serializers.Serializer):
    declared = DeclaredCashSerializer(
        required=False, help_text="The cash counted in the drawer; a currency left out "
                                  "was counted as none. Omit when the drawer was not counted.")
    opening_float = DeclaredCashSerializer(
        required=False, help_text="The cash the drawer started the shift with (the change "
                                  "float), per currency: part of what it should hold.")


@extend_schema_field({"type": "object", "description": "What the till took: documents, counts "
                      "per kind, series first/last numbers, payments by method and currency "
                      "net of the change given in Bs, cash_expected per currency."})
class ShiftFiguresField(serializers.JSONField):
    pass


@extend_schema_field({"type": "object", "nullable": True,
                      "additionalProperties": {"type": "string",
                                               "pattern": r"^-?[0-9]+\.[0-9]{2}$"},
                      "description": "Currency -> amount; null when the drawer was not "
                                     "counted."})
class CashPerCurrencyField(serializers.JSONField):
    pass


class ShiftSerializer(serializers.ModelSerializer):
    cashier = serializers.CharField(source="cashier.username")
    documents = serializers.IntegerField(source="figures.documents", read_only=True)
    figures = ShiftFiguresField()
    declared = CashPerCurrencyField()
    opening_float = CashPerCurrencyField(help_text="The cash the drawer started with; null "
                                                   "when none was given.")
    difference = CashPerCurrencyField(help_text="Declared minus expected cash (the opening "
                                                "float and what the till kept): negative is "
                                                "short. Null when nothing was declared.")

    class Meta:
        model = Shift
        fields = ["id", "number", "cashier", "terminal", "opened_at", "closed_at", "documents",
                  "figures", "opening_float", "declared", "difference"]
        read_only_fields = fields
