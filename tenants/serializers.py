from rest_framework import serializers

from pos.fields import StrictModelSerializer
from tenants.models import TenantSettings


class TenantSettingsSerializer(StrictModelSerializer):
    class Meta:
        model = TenantSettings
        fields = [
            "reservation_hold_minutes",
            "partial_payment_hours",
            "max_reservations_per_session",
            "cleanup_interval_minutes",
            "allow_hold_extension",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
