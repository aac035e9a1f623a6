"""Shapes of the seat-block API. Validation of shape only; the rules are in
sales.blocks.services."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sales.blocks.selectors import MAX_SEATS_PER_ACTION, SeatSelection
from sales.blocks.services import BlockResult

MAX_ID = 2**63 - 1


class SeatSelectionSerializer(serializers.Serializer):
    """Exactly one of: `seat_ids`; `zone` with `rows` ("A-C", "A,B"); `zone` with `seats`
    ("A1-A10", "A1-A10,B3")."""

    seat_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=MAX_SEATS_PER_ACTION, required=False)
    zone = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    rows = serializers.CharField(max_length=400, required=False,
                                 help_text='Whole rows of `zone`: "A-C" or "A,B,F".')
    seats = serializers.CharField(max_length=2000, required=False,
                                  help_text='Seats of `zone`: "A1-A10" or "A1-A10,B3,B4".')
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                   help_text="Why (required to block; a note to unblock).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [name for name in ("seat_ids", "rows", "seats") if attrs.get(name)]
        if len(given) != 1:
            raise serializers.ValidationError(
                "Name the seats one way: seat_ids, or zone with rows, or zone with seats.")
        if given[0] == "seat_ids" and "zone" in attrs:
            raise serializers.ValidationError({"zone": "Not with seat_ids."})
        if given[0] != "seat_ids" and "zone" not in attrs:
            raise serializers.ValidationError({"zone": f"Required with {given[0]}."})
        return attrs

    def selection(self) -> SeatSelection:
        data = self.validated_data
        return SeatSelection(seat_ids=tuple(dict.fromkeys(data.get("seat_ids", ()))),
                             zone_id=data.get("zone"), rows=data.get("rows", ""),
                             seats=data.get("seats", ""))


class BlockRequestSerializer(SeatSelectionSerializer):
    reason = serializers.CharField(max_length=200,
                                   help_text="Why: house seats, technical kill, press, ...")


class SeatRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()


class BlockResultSerializer(serializers.Serializer):
    """What a block or unblock did: `seats` changed, `unchanged` already as asked, and the
    audit entry (`log`, null when nothing changed)."""

    event = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["block", "unblock"])
    reason = serializers.CharField()
    log = serializers.IntegerField(allow_null=True)
    seats = SeatRefSerializer(many=True)
    unchanged = SeatRefSerializer(many=True)


def block_result_data(result: BlockResult) -> dict[str, Any]:
    return {
        "event": result.event_id, "action": result.action, "reason": result.reason,
        "log": result.log.pk if result.log else None,
        "seats": [{"id": s.pk, "label": s.label} for s in result.changed],
        "unchanged": [{"id": s.pk, "label": s.label} for s in result.unchanged],
    }


class SeatBlockSerializer(serializers.Serializer):
    seat = serializers.IntegerField()
    label = serializers.CharField()
    zone = serializers.IntegerField()
    zone_name = serializers.CharField()
    row = serializers.CharField()
    number = serializers.IntegerField()
    reason = serializers.CharField()
    blocked_by = serializers.CharField()
    since = serializers.DateTimeField()
    state = serializers.ChoiceField(
        choices=["blocked", "reserved", "sold"],
        help_text="blocked; reserved or sold once a venue admin held or sold it")


class SeatBlockListSerializer(serializers.Serializer):
    event = serializers.IntegerField()
    count = serializers.IntegerField()
    blocks = SeatBlockSerializer(many=True)


class SeatBlockChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    reason = serializers.CharField()
    seats = serializers.ListField(child=serializers.CharField(), source="labels")
    user = serializers.CharField(source="user.username")
    created_at = serializers.DateTimeField()


class SeatBlockLogSerializer(serializers.Serializer):
    event = serializers.IntegerField()
    entries = SeatBlockChangeSerializer(many=True)
