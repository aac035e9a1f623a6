"""The webhook API's requests and answers."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers

from sales.webhooks.errors import UnsafeUrl
from sales.webhooks.models import (
    DELIVERY_TYPES,
    EVENT_TYPES,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from sales.webhooks.safety import check_url
from sales.webhooks.services import MAX_ROTATION_GRACE_HOURS


class EndpointSerializer(serializers.ModelSerializer):
    url = serializers.URLField(max_length=500, help_text=(
        "http(s) URL the events are POSTed to; it must resolve to public addresses."))
    events = serializers.ListField(
        child=serializers.ChoiceField(EVENT_TYPES), allow_empty=False, max_length=20,
        help_text="The event types it is told of: " + ", ".join(f"`{e}`" for e in EVENT_TYPES))
    secret_hint = serializers.SerializerMethodField(
        help_text="The secret's last four characters (the secret itself is shown once, when "
                  "the endpoint is created or its secret rotated).")
    created_by = serializers.CharField(source="created_by.username", read_only=True,
                                       default=None)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "description", "is_active", "secret_hint",
                  "previous_secret_expires_at", "created_by", "created_at", "updated_at"]
        read_only_fields = ["previous_secret_expires_at", "created_at", "updated_at"]

    def get_secret_hint(self, endpoint: WebhookEndpoint) -> str:
        return f"…{endpoint.secret[-4:]}"

    def validate_url(self, url: str) -> str:
        try:
            check_url(url)
        except UnsafeUrl as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from exc
        return url


class EndpointWithSecretSerializer(EndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text=(
        "The signing secret (`whsec_…`). Shown only in this answer: keep it in the "
        "receiver's configuration."))

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class RotateSecretSerializer(serializers.Serializer):
    grace_hours = serializers.IntegerField(
        min_value=0, max_value=MAX_ROTATION_GRACE_HOURS, default=24, help_text=(
            "For this many hours deliveries are signed with the old secret as well (a "
            "second `v1=`); 0 retires it at once."))


class DeliveryFilterSerializer(serializers.Serializer):
    endpoint = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(WebhookDelivery.Status.choices, required=False)
    event_type = serializers.ChoiceField(DELIVERY_TYPES, required=False)
    event_id = serializers.UUIDField(required=False)


class DeliverySerializer(serializers.ModelSerializer):
    endpoint_url = serializers.CharField(source="endpoint.url", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "endpoint", "endpoint_url", "event_type", "event_id", "status",
                  "attempts", "next_attempt_at", "last_status_code", "replay_of",
                  "created_at", "finished_at"]


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "response_body",
                  "error"]


class DeliveryDetailSerializer(DeliverySerializer):
    payload = serializers.SerializerMethodField(help_text="The body sent, parsed.")
    body = serializers.CharField(read_only=True, help_text=(
        "The exact body sent (UTF-8): what the signature covers."))
    requested_by = serializers.CharField(source="requested_by.username", read_only=True,
                                         default=None, help_text="Who asked for a replay or "
                                                                 "a ping; null for events.")
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "requested_by", "payload", "body",
                  "attempt_log"]

    def get_payload(self, delivery: WebhookDelivery) -> dict[str, Any]:
        return json.loads(delivery.body)
