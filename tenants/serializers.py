from rest_framework import serializers

from pos.fields import StrictModelSerializer
from pos.serializers import FieldsBuiltOnce
from tenants.models import TenantSettings


class TenantSettingsSerializer(FieldsBuiltOnce, StrictModelSerializer):
    """What every terminal polls: its answer's fields built once (pos.serializers)."""

    class Meta:
        model = TenantSettings
        fields = [
            "reservation_hold_minutes",
            "partial_payment_hours",
            "max_reservations_per_session",
            "cleanup_interval_minutes",
            "allow_hold_extension",
            "max_granted_hold_minutes",
            "min_down_payment_percent",
            "max_change_usd",
            "time_zone",
            "reservation_reminder_hours",
            "mail_language",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, style={"input_type": "password"})
    terminal = serializers.CharField(
        max_length=100, required=False, allow_blank=True,
        help_text="The device's name (e.g. `Caja 2`). Logging in again from the same "
                  "terminal revokes its previous token. Defaults to the X-POS-Terminal "
                  "header.")


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    terminal = serializers.CharField()
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True, help_text="null: until revoked")
