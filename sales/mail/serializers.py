"""Shapes of the alert-subscription API (`/api/me/alert-subscriptions/`)."""

from __future__ import annotations

from rest_framework import serializers

from reservations.models import Alert


class AlertSubscriptionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Alert.Kind.choices)
    label = serializers.CharField(help_text="What the alert is about.")
    subscribed = serializers.BooleanField()


class AlertSubscriptionsSerializer(serializers.Serializer):
    email = serializers.EmailField(
        allow_blank=True, help_text="Where the alerts are sent: the user's e-mail address "
                                    "(empty: none are sent; a venue admin sets it).")
    subscriptions = AlertSubscriptionSerializer(many=True)


class AlertSubscriptionsInputSerializer(serializers.Serializer):
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=Alert.Kind.values), allow_empty=True,
        max_length=len(Alert.Kind.values),
        help_text="Every alert kind the user wants by e-mail; the others are dropped "
                  "(an empty list: none).")
