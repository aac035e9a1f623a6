from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pos.openapi import request_example, response_example
from tenants import examples
from tenants.serializers import (
    TenantSettingsSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from tenants.services import current_tenant_settings, update_tenant_settings
from tenants.throttles import LoginIPThrottle, LoginUsernameThrottle


class TokenView(APIView):
    """Exchange a tenant user's username and password for an API token."""

    authentication_classes: list = []
    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer},
        examples=[request_example("A cashier logs in", examples.TOKEN_REQUEST),
                  response_example("The token for Authorization: Token ...", examples.TOKEN)],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request=request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            return Response(
                {"detail": "Unable to log in with the given username and password.",
                 "code": "invalid_credentials"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class SettingsView(APIView):
    """The tenant's reservation settings: every staff member reads, venue admins change."""


    @extend_schema(responses={200: TenantSettingsSerializer}, tags=["settings"],
                   examples=[response_example("The venue's settings", examples.SETTINGS)])
    def get(self, request: Request) -> Response:
        tenant_settings = current_tenant_settings()
        return Response(TenantSettingsSerializer(tenant_settings).data)

    @extend_schema(
        request=TenantSettingsSerializer,
        responses={200: TenantSettingsSerializer},
        examples=[request_example("Shorter holds, two days to pay", examples.SETTINGS_PATCH),
                  response_example("The settings after the change", {
                      **examples.SETTINGS, **examples.SETTINGS_PATCH})],
        tags=["settings"],
    )
    def patch(self, request: Request) -> Response:
        tenant_settings = current_tenant_settings()
        serializer = TenantSettingsSerializer(tenant_settings, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        tenant_settings = update_tenant_settings(
            tenant_settings=tenant_settings, changes=serializer.validated_data
        )
        return Response(TenantSettingsSerializer(tenant_settings).data)
