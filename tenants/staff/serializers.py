from __future__ import annotations

from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers

from tenants.roles import Role
from tenants.staff.selectors import role_of

ROLE_CHOICES = [role.value for role in Role]


class DeviceTokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    terminal = serializers.CharField(help_text="The device it was issued to (may be empty).")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)


class StaffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="first_name")
    role = serializers.SerializerMethodField()
    is_active = serializers.BooleanField()
    last_login = serializers.DateTimeField(allow_null=True)
    date_joined = serializers.DateTimeField()
    tokens = DeviceTokenSerializer(source="auth_token_set.all", many=True,
                                   help_text="The devices logged in with an API token.")

    def get_role(self, user) -> str | None:
        role = role_of(user)
        return role.value if role else None


class StaffCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    name = serializers.CharField(max_length=150, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=ROLE_CHOICES)
    password = serializers.CharField(max_length=256, write_only=True,
                                     style={"input_type": "password"})


class StaffChangeSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    role = serializers.ChoiceField(choices=ROLE_CHOICES, required=False)
    is_active = serializers.BooleanField(required=False,
                                         help_text="false deactivates (and logs out) the user")

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError("Give a name, role or is_active to change.")
        return attrs


class StaffPasswordSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=256, write_only=True,
                                     style={"input_type": "password"})
