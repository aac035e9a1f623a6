from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pos.api import pos_terminal
from pos.openapi import ERROR_SERIALIZER, request_example, response_example
from tenants import examples
from tenants.identity import CachedTokenAuthentication
from tenants.serializers import (
    TenantSettingsSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from tenants.services import current_tenant_settings, update_tenant_settings
from tenants.staff.services import issue_token, log_out_token


class TokenView(APIView):
    """Log in: a fresh API token for this device (POST); log out: revoke the token the
    request is made with (DELETE). Failed log-ins are throttled (tenants.login_throttle)."""

    def get_authenticators(self) -> list:
        # A log-in ignores whatever credentials come with it (a stale token must not make it
        # a 401); a log-out needs the token it revokes.
        request = getattr(self, "request", None)  # None while the OpenAPI schema is made
        if request is None or request.method == "DELETE":
            return [CachedTokenAuthentication()]
        return []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer},
        examples=[request_example("A cashier logs in at a terminal", examples.TOKEN_REQUEST),
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
        terminal = serializer.validated_data.get("terminal") or pos_terminal(request)
        instance, token = issue_token(user=user, terminal=terminal)
        return Response({"token": token, "terminal": instance.terminal,
                         "created": instance.created, "expiry": instance.expiry})

    @extend_schema(
        request=None,
        responses={204: None, 401: OpenApiResponse(ERROR_SERIALIZER,
                                                   description="No valid token")},
        examples=[response_example("Not logged in with a token", examples.NOT_AUTHENTICATED,
                                   status=401)],
        tags=["auth"],
    )
    def delete(self, request: Request) -> Response:
        log_out_token(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
