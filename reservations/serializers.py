"""Input and output shapes of the hold API. Validation of shape only; the rules are in
reservations.services."""

from collections import Counter
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from reservations.models import ReservedTicket
from reservations.services import MAX_ITEMS_PER_REQUEST
from sales.models import Transaction

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
    # Venue admins only (403 otherwise): hold seats they blocked, to sell them.
    include_blocked = serializers.BooleanField(
        required=False, help_text="Venue admins: hold blocked seats too (to sell them).")
    # Best available: instead of seat_ids and zones.
    zone = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False,
        help_text="With best_available: the numbered zone to pick seats in.")
    best_available = serializers.IntegerField(
        min_value=1, max_value=MAX_ITEMS_PER_REQUEST, required=False,
        help_text="Hold this many of the zone's best free seats (front and centre, or the "
                  "zone's row_order), picked by the server.")
    together = serializers.BooleanField(
        required=False,
        help_text="With best_available (default true): adjacent seats in one row, or 409 "
                  "no_adjacent_seats; false: the best seats, split across rows if need be.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        best = "best_available" in attrs
        if best and (attrs.get("seat_ids") or attrs.get("zones")):
            raise serializers.ValidationError(
                "best_available picks the seats: give no seat_ids or zones with it.")
        if best and "zone" not in attrs:
            raise serializers.ValidationError({"zone": "Required with best_available."})
        if not best and ("zone" in attrs or "together" in attrs):
            raise serializers.ValidationError(
                "zone and together go with best_available (for general admission, use "
                "zones: [{zone, quantity}]).")
        if best and attrs.get("include_blocked"):
            raise serializers.ValidationError(
                {"include_blocked": "Best available never picks blocked seats."})
        return attrs


def _is_id(value: Any, high: int = MAX_ID) -> bool:
    return type(value) is int and 1 <= value <= high


def plain_hold_request(data: Any) -> dict[str, Any] | None:
    """HoldCreateSerializer's `validated_data` for the plain body every terminal sends
    (JSON integers, lists within their limits, no other keys), without building the
    serializer; None for anything else, which then goes through the serializer and gets
    its errors (best available, include_blocked: other keys, so the serializer's).
    Accepts only what the serializer accepts: the serializer stays the one definition of
    the body (tests/test_holds.py compares the two)."""
    if type(data) is not dict or not data.keys() <= {"event", "seat_ids", "zones"}:
        return None
    event, seat_ids, zones = data.get("event"), data.get("seat_ids", []), data.get("zones", [])
    if not _is_id(event) or type(seat_ids) is not list or type(zones) is not list:
        return None
    if len(seat_ids) > MAX_ITEMS_PER_REQUEST or len(zones) > 50:
        return None
    if not all(_is_id(seat) for seat in seat_ids):
        return None
    for zone in zones:
        if (type(zone) is not dict or zone.keys() != {"zone", "quantity"}
                or not _is_id(zone["zone"])
                or not _is_id(zone["quantity"], MAX_ITEMS_PER_REQUEST)):
            return None
    return {"event": event, "seat_ids": seat_ids,
            "zones": [{"zone": z["zone"], "quantity": z["quantity"]} for z in zones]}


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


class GrantSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1,
        help_text="Keep the hold until this many minutes from now; at most the venue's "
                  "`max_granted_hold_minutes` (settings).")
    reason = serializers.CharField(max_length=200,
                                   help_text="Why (a VIP, a group sale), for the audit trail.")


# Fields used to format values exactly as the declared fields below would (one instance
# each: the hold's answer is built by hand on the hot path, see HoldSerializer).
_PRICE = serializers.DecimalField(max_digits=12, decimal_places=2)
_TOTAL = serializers.DecimalField(max_digits=14, decimal_places=2)
_DATETIME = serializers.DateTimeField()


def hold_item_data(item: ReservedTicket) -> dict[str, Any]:
    """One item as HoldItemSerializer declares it."""
    return {
        "id": item.pk,
        "seat": item.seat_id,
        "label": item.seat.label if item.seat_id else f"{item.zone.name} × {item.quantity}",
        "zone": item.zone_id,
        "zone_name": item.zone.name,
        "quantity": item.quantity,
        "unit_price": _PRICE.to_representation(item.unit_price),
        "status": item.status,
        "reserved_until": _DATETIME.to_representation(item.reserved_until),
    }


class HoldItemSerializer(serializers.ModelSerializer):
    """Declares the shape (OpenAPI); `hold_item_data` builds it: a ModelSerializer builds
    its fields on every use, which cost a hold's answer more than the hold itself."""

    label = serializers.SerializerMethodField()
    zone_name = serializers.CharField(source="zone.name")

    class Meta:
        model = ReservedTicket
        fields = ["id", "seat", "label", "zone", "zone_name", "quantity", "unit_price",
                  "status", "reserved_until"]

    def get_label(self, item: ReservedTicket) -> str:
        return item.seat.label if item.seat_id else f"{item.zone.name} × {item.quantity}"

    def to_representation(self, item: ReservedTicket) -> dict[str, Any]:
        return hold_item_data(item)


class HoldSerializer(serializers.Serializer):
    """A hold: the cashier's pending transaction seen through its held items. Declares
    the shape; `to_representation` builds it directly (context: `items`, `now`)."""

    id = serializers.IntegerField(source="pk")
    transaction = serializers.IntegerField(source="pk")
    status = serializers.ChoiceField(choices=Transaction.Status.choices)
    event = serializers.IntegerField(source="event_id")
    expires_at = serializers.DateTimeField(allow_null=True)
    server_time = serializers.DateTimeField()
    extensions_left = serializers.IntegerField()
    total = serializers.DecimalField(source="subtotal", max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    items = HoldItemSerializer(many=True)

    def to_representation(self, tx: Transaction) -> dict[str, Any]:
        items = self.context["items"]
        live = [i.reserved_until for i in items if i.status == ReservedTicket.Status.ACTIVE]
        return {
            "id": tx.pk,
            "transaction": tx.pk,
            "status": tx.status,
            "event": tx.event_id,
            "expires_at": min(live).isoformat() if live else None,
            "server_time": self.context.get("now", timezone.now()).isoformat(),
            "extensions_left": max(1 - tx.extensions_used, 0),
            "total": _TOTAL.to_representation(tx.subtotal),
            "currency": tx.currency,
            "items": [hold_item_data(item) for item in items],
        }
