"""Input and output shapes of the operator API (stats, alerts, bulk extension). Shape
only; the rules are in reservations.services and reservations.monitoring."""

from __future__ import annotations

from rest_framework import serializers

from reservations.models import Alert, ExtensionJob
from reservations.services import MAX_BULK_EXTENSION_HOURS

MAX_ID = 2**63 - 1


class StatsQuerySerializer(serializers.Serializer):
    event = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    window_hours = serializers.IntegerField(min_value=1, max_value=24 * 366, required=False)


class ContestedSeatSerializer(serializers.Serializer):
    seat = serializers.IntegerField()
    label = serializers.CharField()
    conflicts = serializers.IntegerField(help_text="hold attempts refused in the window")


class StatsFiguresSerializer(serializers.Serializer):
    active_holds = serializers.IntegerField(help_text="live holds (pending transactions)")
    live_reservations = serializers.IntegerField(help_text="live partial-payment reservations")
    expiring_within_1h = serializers.IntegerField()
    completed = serializers.IntegerField(help_text="transactions completed in the window")
    expired = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    conversion_rate = serializers.FloatField(allow_null=True,
                                             help_text="completed ÷ all ended in the window")
    holds_ended = serializers.IntegerField()
    holds_abandoned = serializers.IntegerField(help_text="holds that expired or were released")
    abandonment_rate = serializers.FloatField(allow_null=True,
                                              help_text="holds abandoned ÷ holds ended")


class EventStatsSerializer(StatsFiguresSerializer):
    event = serializers.IntegerField()
    name = serializers.CharField()
    starts_at = serializers.DateTimeField()
    contested_seats = ContestedSeatSerializer(many=True)


class TenantStatsSerializer(serializers.Serializer):
    schema = serializers.CharField()
    events = EventStatsSerializer(many=True)
    totals = StatsFiguresSerializer()


class StatsReportSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    window_hours = serializers.IntegerField()
    tenants = TenantStatsSerializer(many=True)


class AlertSerializer(serializers.ModelSerializer):
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", default=None,
                                            read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "kind", "status", "key", "event", "message", "data", "created_at",
                  "last_seen_at", "resolved_at", "acknowledged_at", "acknowledged_by"]
        read_only_fields = fields


class AlertQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Alert.Status.choices, required=False)


class BulkExtensionSerializer(serializers.Serializer):
    hours = serializers.IntegerField(min_value=1, max_value=MAX_BULK_EXTENSION_HOURS)
    event = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False,
                                     allow_null=True, default=None)
    expiring_within = serializers.IntegerField(
        min_value=1, max_value=MAX_BULK_EXTENSION_HOURS, required=False, allow_null=True,
        default=None, help_text="only reservations whose deadline is within these hours")
    dry_run = serializers.BooleanField(required=False, default=False)


class BulkExtensionResultSerializer(serializers.Serializer):
    hours = serializers.IntegerField()
    dry_run = serializers.BooleanField()
    job = serializers.CharField(allow_null=True,
                                help_text="null for a preview (dry_run): it is not a job")
    replayed = serializers.BooleanField()
    reservations = serializers.IntegerField(help_text="reservations extended (or that would be)")
    tickets = serializers.IntegerField(help_text="held tickets moved with them")


class ExtensionJobSerializer(serializers.ModelSerializer):
    """A queued bulk extension and, once done, its counts."""

    job = serializers.CharField(source="job_id")
    event = serializers.IntegerField(source="event_id", allow_null=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                                allow_null=True)

    class Meta:
        model = ExtensionJob
        fields = ["job", "status", "hours", "event", "expiring_within", "requested_by",
                  "created_at", "started_at", "finished_at", "reservations", "tickets",
                  "replayed", "error"]
        read_only_fields = fields
