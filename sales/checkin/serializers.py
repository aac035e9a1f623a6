"""The door's requests and answers."""

from __future__ import annotations

from rest_framework import serializers

from sales.checkin.services import MAX_SYNC_SCANS, ScanOutcome
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
                  "reason", "scanned_at", "created_at", "offline"]


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


class PublicKeySerializer(serializers.Serializer):
    algorithm = serializers.CharField(help_text="`Ed25519`.")
    public_key = serializers.CharField(help_text="The raw 32-byte public key, base64.")
    key_id = serializers.CharField(help_text="First 16 hex digits of the key's SHA-256.")


class ListedTicketSerializer(serializers.Serializer):
    qr_sha256 = serializers.CharField(
        help_text="SHA-256 (hex) of the ticket's QR string: hash what you scan and look it "
                  "up. The QR strings themselves are not in the list.")
    ticket = serializers.IntegerField()
    zone = serializers.CharField(help_text="The zone's name.")
    seat = serializers.CharField(allow_null=True, help_text="Seat label; null for general "
                                                            "admission.")
    max_entries = serializers.IntegerField()
    status = serializers.ChoiceField(["valid", "void"],
                                     help_text="`void`: refunded, refuse it.")
    entries = serializers.IntegerField(help_text="Admissions recorded so far.")
    inside = serializers.BooleanField(help_text="Admitted and not exited since.")


class CheckinListPayloadSerializer(serializers.Serializer):
    event = serializers.IntegerField()
    event_name = serializers.CharField()
    generated_at = serializers.DateTimeField()
    tickets = ListedTicketSerializer(many=True)


class CheckinListSerializer(PublicKeySerializer):
    list = CheckinListPayloadSerializer(
        help_text="What the signature covers, as canonical JSON: keys sorted, no spaces, "
                  "UTF-8 (`json.dumps(list, sort_keys=True, separators=(',', ':'), "
                  "ensure_ascii=False)`).")
    signature = serializers.CharField(help_text="Ed25519 signature of the canonical "
                                                "`list`, base64.")


class OfflineScanSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=64, help_text="The device's own id of the scan: "
                                                        "resending it records nothing.")
    code = serializers.CharField(max_length=200, trim_whitespace=True,
                                 help_text="The QR text scanned.")
    action = serializers.ChoiceField(["entry", "exit"], default="entry")
    scanned_at = serializers.DateTimeField(help_text="When the device scanned it (its "
                                                     "clock), ISO 8601 with offset.")


class SyncRequestSerializer(serializers.Serializer):
    gate = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    event = serializers.IntegerField(required=False, min_value=1)
    scans = OfflineScanSerializer(many=True, max_length=MAX_SYNC_SCANS,
                                  help_text=f"At most {MAX_SYNC_SCANS} scans a request.")


class SyncedScanSerializer(serializers.Serializer):
    id = serializers.CharField()
    result = serializers.ChoiceField(["admitted", "exited", "refused", "conflict",
                                      "duplicate"])
    reason = serializers.CharField(
        allow_blank=True,
        help_text="A refusal's or conflict's code (`already_admitted`, `ticket_void`, ...); "
                  "for `duplicate`, what the scan was recorded as.")
    ticket = serializers.IntegerField(allow_null=True)
    first_admitted_at = serializers.DateTimeField(
        allow_null=True, help_text="When the ticket's admission that counts was scanned.")
    gate = serializers.CharField(allow_null=True, help_text="Its gate.")


class SyncAnswerSerializer(serializers.Serializer):
    results = SyncedScanSerializer(many=True)
