"""Input and output shapes of the hold API. Validation of shape only; the rules are in
reservations.services."""

from collections import Counter
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reservations.models import ReservedTicket
from reservations.services import MAX_ITEMS_PER_REQUEST
from sales.models import Currency, PaymentMethod, Transaction

MAX_ID = 2**63 - 1


class ZoneQuantitySerializer(serializers.Serializer):
    zone = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_ITEMS_PER_REQUEST)


class HoldCreateSerializer(serializers.Serializer):
    event = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    seat_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=MAX_ITEMS_PER_REQUEST, required=False, default=list,
    )
    zones = serializers.ListField(
        child=ZoneQuantitySerializer(), max_length=50, required=False, default=list
    )


class SeatIdsSerializer(serializers.Serializer):
    seat_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1, max_length=MAX_ITEMS_PER_REQUEST,
    )

    def validate_seat_ids(self, seat_ids: list[int]) -> list[int]:
        """A seat named twice is a client's mistake, refused like in a hold (400)."""
        repeated = sorted(seat for seat, n in Counter(seat_ids).items() if n > 1)
        if repeated:
            raise serializers.ValidationError(
                f"Seats listed more than once: {', '.join(map(str, repeated[:10]))}.")
        return seat_ids


class PaymentInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    currency = serializers.ChoiceField(choices=Currency.choices)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2,
                                      min_value=Decimal("0.01"))


class CustomerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    tax_id = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class CheckoutSerializer(serializers.Serializer):
    payments = serializers.ListField(child=PaymentInputSerializer(), min_length=1,
                                     max_length=20)
    customer = CustomerSerializer(required=False)


class QuoteSerializer(serializers.Serializer):
    payments = serializers.ListField(child=PaymentInputSerializer(), required=False,
                                     default=list, max_length=20)


class PaymentsSerializer(serializers.Serializer):
    payments = serializers.ListField(child=PaymentInputSerializer(), min_length=1,
                                     max_length=20)


class HoldItemSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()
    zone_name = serializers.CharField(source="zone.name")

    class Meta:
        model = ReservedTicket
        fields = ["id", "seat", "label", "zone", "zone_name", "quantity", "unit_price",
                  "status", "reserved_until"]

    def get_label(self, item: ReservedTicket) -> str:
        return item.seat.label if item.seat_id else f"{item.zone.name} × {item.quantity}"


class HoldSerializer(serializers.Serializer):
    """A hold: the cashier's pending transaction seen through its held items."""

    id = serializers.IntegerField(source="pk")
    transaction = serializers.IntegerField(source="pk")
    status = serializers.ChoiceField(choices=Transaction.Status.choices)
    event = serializers.IntegerField(source="event_id")
    expires_at = serializers.SerializerMethodField()
    server_time = serializers.SerializerMethodField()
    extensions_left = serializers.SerializerMethodField()
    total = serializers.DecimalField(source="subtotal", max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    items = serializers.SerializerMethodField()

    def _items(self, tx: Transaction) -> list[ReservedTicket]:
        return self.context["items"]

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_expires_at(self, tx: Transaction):
        live = [i.reserved_until for i in self._items(tx)
                if i.status == ReservedTicket.Status.ACTIVE]
        return min(live).isoformat() if live else None

    @extend_schema_field(serializers.DateTimeField())
    def get_server_time(self, tx: Transaction) -> str:
        return self.context.get("now", timezone.now()).isoformat()

    @extend_schema_field(serializers.IntegerField())
    def get_extensions_left(self, tx: Transaction) -> int:
        return max(1 - tx.extensions_used, 0)

    @extend_schema_field(HoldItemSerializer(many=True))
    def get_items(self, tx: Transaction):
        return HoldItemSerializer(self._items(tx), many=True).data
