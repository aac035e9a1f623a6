"""The door's requests and answers."""

from __future__ import annotations

from rest_framework import serializers

from sales.checkin.services import ScanOutcome
from sales.models import CheckinScan


class ScanRequestSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=200, trim_whitespace=True,
        help_text="The text of the ticket's QR code, as scanned: `<code>:<signature>` (the "
                  "ticket answers' `qr`). A bare ticket code is refused.")
    gate = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                 help_text="The gate the scan was made at, e.g. G1.")
    event = serializers.IntegerField(
        required=False, min_value=1,
        help_text="The event being admitted: a ticket of another one is refused "
                  "(`wrong_event`).")


class ScanResultSerializer(serializers.Serializer):
    result = serializers.CharField(help_text="`admitted`, or `exited` for an exit.")
    ticket = serializers.IntegerField()
    event = serializers.IntegerField()
    zone = serializers.CharField(help_text="The zone's name.")
    seat = serializers.CharField(allow_null=True, help_text="The seat's label; null for "
                                                            "general admission.")
    entries = serializers.IntegerField(help_text="Times the ticket has entered so far.")
    max_entries = serializers.IntegerField(help_text="Times its zone lets it enter.")


def scan_result_data(outcome: ScanOutcome) -> dict:
    ticket = outcome.ticket
    return ScanResultSerializer({
        "result": outcome.scan.result, "ticket": ticket.pk, "event": ticket.event_id,
        "zone": ticket.zone.name, "seat": ticket.seat.label if ticket.seat_id else None,
        "entries": outcome.entries, "max_entries": ticket.zone.max_entries,
    }).data


class CheckinScanSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username")

    class Meta:
        model = CheckinScan
        fields = ["id", "ticket", "code", "action", "gate", "device", "user", "result",
                  "reason", "created_at"]


class ZoneStatsSerializer(serializers.Serializer):
    zone = serializers.IntegerField()
    name = serializers.CharField()
    expected = serializers.IntegerField(help_text="Tickets sold and not voided.")
    admitted = serializers.IntegerField(help_text="Of those, admitted at least once.")


class CheckinStatsSerializer(serializers.Serializer):
    event = serializers.IntegerField()
    expected = serializers.IntegerField()
    admitted = serializers.IntegerField()
    zones = ZoneStatsSerializer(many=True)
