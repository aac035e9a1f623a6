from typing import Any, ClassVar

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
            "min_down_payment_percent",
            "max_change_usd",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    # The answer's fields, built once per process: a ModelSerializer builds every field
    # again on each use, which made this read (what every terminal polls) cost more than
    # the request around it. Formatting a value needs no binding to an instance.
    _shown: ClassVar[dict[str, serializers.Field] | None] = None

    def to_representation(self, instance: TenantSettings) -> dict[str, Any]:
        cls = type(self)
        if cls._shown is None:
            cls._shown = {name: field for name, field in cls().fields.items()
                          if not field.write_only}
        values = ((name, getattr(instance, field.source or name))
                  for name, field in cls._shown.items())
        return {name: None if value is None else cls._shown[name].to_representation(value)
                for name, value in values}


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
