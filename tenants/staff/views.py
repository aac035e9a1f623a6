"""/api/staff/: venue admins manage their staff (who may call it: ROLE_MATRIX)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pos.openapi import ERROR_SERIALIZER, request_example, response_example
from tenants.roles import Role
from tenants.staff import examples
from tenants.staff.models import StaffChange
from tenants.staff.selectors import staff_list
from tenants.staff.serializers import (
    StaffChangeSerializer,
    StaffCreateSerializer,
    StaffPasswordSerializer,
    StaffSerializer,
)
from tenants.staff.services import (
    change_staff,
    create_staff,
    reset_staff_password,
    revoke_device_token,
)


def _staff_member(pk: int):
    return get_object_or_404(staff_list(), pk=pk)


def _answer(pk: int, status_code: int = status.HTTP_200_OK) -> Response:
    """The staff member as stored now (roles and tokens read again after a change)."""
    return Response(StaffSerializer(_staff_member(pk)).data, status=status_code)


@extend_schema(tags=["staff"])
class StaffListView(generics.GenericAPIView):
    serializer_class = StaffSerializer

    def get_queryset(self):
        return staff_list()

    @extend_schema(responses={200: StaffSerializer(many=True)},
                   examples=[response_example("The venue's staff", examples.STAFF)])
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(StaffSerializer(page, many=True).data)

    @extend_schema(request=StaffCreateSerializer,
                   responses={201: StaffSerializer,
                              409: OpenApiResponse(ERROR_SERIALIZER,
                                                   description="The username is taken")},
                   examples=[request_example("A new cashier", examples.STAFF_CREATE),
                             response_example("Created", examples.STAFF_CREATED, status=201),
                             response_example("Taken", examples.USERNAME_TAKEN, status=409)])
    def post(self, request: Request) -> Response:
        serializer = StaffCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = create_staff(username=data["username"], name=data["name"],
                            role=Role(data["role"]), password=data["password"],
                            actor=request.user, via=StaffChange.Via.API)
        return _answer(user.pk, status.HTTP_201_CREATED)


@extend_schema(tags=["staff"])
class StaffDetailView(APIView):
    @extend_schema(responses={200: StaffSerializer},
                   examples=[response_example("A staff member", examples.STAFF)])
    def get(self, request: Request, pk: int) -> Response:
        return Response(StaffSerializer(_staff_member(pk)).data)

    @extend_schema(
        request=StaffChangeSerializer,
        responses={200: StaffSerializer,
                   409: OpenApiResponse(ERROR_SERIALIZER,
                                        description="It would leave no active venue admin")},
        examples=[request_example("Move a cashier to the door", examples.STAFF_PATCH),
                  response_example("Changed (its tokens revoked)",
                                   {**examples.STAFF_CREATED, "role": "door"}),
                  response_example("The last venue admin", examples.LAST_VENUE_ADMIN,
                                   status=409)],
        description="Change the name, the role or `is_active` (false: deactivate). A role "
                    "change or a deactivation revokes the user's tokens. The venue keeps at "
                    "least one active venue admin.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        user = _staff_member(pk)
        serializer = StaffChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        change_staff(user=user, actor=request.user, via=StaffChange.Via.API,
                     name=data.get("name"), is_active=data.get("is_active"),
                     role=Role(data["role"]) if "role" in data else None)
        return _answer(user.pk)


@extend_schema(tags=["staff"])
class StaffPasswordView(APIView):
    @extend_schema(
        request=StaffPasswordSerializer, responses={200: StaffSerializer},
        examples=[request_example("A new password", examples.STAFF_PASSWORD),
                  response_example("Reset: every token of the user revoked",
                                   examples.STAFF_CREATED)],
        description="Reset a staff member's password (Django's password validators apply). "
                    "Their tokens and sessions end; their failed log-ins are forgotten.",
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _staff_member(pk)
        serializer = StaffPasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reset_staff_password(user=user, password=serializer.validated_data["password"],
                             actor=request.user, via=StaffChange.Via.API)
        return _answer(user.pk)


@extend_schema(tags=["staff"])
class StaffTokenView(APIView):
    @extend_schema(
        request=None,
        responses={204: None, 404: OpenApiResponse(ERROR_SERIALIZER, description="No such token")},
        examples=[response_example("No such token", examples.NO_SUCH_TOKEN, status=404)],
        description="Revoke one device's token (a lost terminal); the others stay logged in.",
    )
    def delete(self, request: Request, pk: int, token_id: int) -> Response:
        revoke_device_token(user=_staff_member(pk), token_id=token_id, actor=request.user,
                            via=StaffChange.Via.API)
        return Response(status=status.HTTP_204_NO_CONTENT)
