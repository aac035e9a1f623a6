"""Operator API: statistics, alerts and the bulk extension. Thin views over
reservations.stats, reservations.monitoring and reservations.services; venue admins and
operators only."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reservations import monitoring, services
from reservations.operator_serializers import (
    AlertQuerySerializer,
    AlertSerializer,
    BulkExtensionResultSerializer,
    BulkExtensionSerializer,
    StatsQuerySerializer,
    StatsReportSerializer,
)
from reservations.stats import alert_list, reservation_stats, stats_report
from tenants.permissions import IsOperator, IsVenueAdmin

ERROR = OpenApiResponse(description="`{detail, code}` naming what was wrong")


class OperatorPermissions:
    permission_classes = [IsAuthenticated, IsOperator | IsVenueAdmin]


class ReservationStatsView(OperatorPermissions, APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("event", int, description="only this event"),
            OpenApiParameter("window_hours", int,
                             description="window of the ended counts (default 24)"),
        ],
        responses={200: StatsReportSerializer, 400: ERROR},
        summary="Reservation statistics (what `reservation_stats --format json` prints)",
        tags=["operations"],
    )
    def get(self, request: Request) -> Response:
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        now = timezone.now()
        window = query.validated_data.get(
            "window_hours", settings.RESERVATION_OPERATIONS["stats_window_hours"])
        block = reservation_stats(now=now, window_hours=window,
                                  event_id=query.validated_data.get("event"))
        return Response(stats_report(tenant_blocks=[block], now=now, window_hours=window))


class AlertListView(OperatorPermissions, ListAPIView):
    serializer_class = AlertSerializer

    def get_queryset(self):
        query = AlertQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return alert_list(status=query.validated_data.get("status"))

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=["open", "acknowledged", "resolved"])],
        summary="Operator alerts, newest first", tags=["operations"],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class AlertAcknowledgeView(OperatorPermissions, APIView):
    @extend_schema(request=None, responses={200: AlertSerializer, 404: ERROR, 409: ERROR},
                   summary="Acknowledge an alert (again: no change)", tags=["operations"])
    def post(self, request: Request, pk: int) -> Response:
        alert = monitoring.acknowledge_alert(alert_id=pk, user=request.user)
        return Response(AlertSerializer(alert).data)


class BulkExtensionView(OperatorPermissions, APIView):
    @extend_schema(
        request=BulkExtensionSerializer,
        responses={200: BulkExtensionResultSerializer, 400: ERROR},
        examples=[OpenApiExample("One more day for an event's reservations, preview",
                                 value={"hours": 24, "event": 1, "dry_run": True},
                                 request_only=True)],
        summary="Extend live partial-payment reservations by N hours (audited)",
        tags=["operations"],
    )
    def post(self, request: Request) -> Response:
        serializer = BulkExtensionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.extend_reservations(
            hours=data["hours"], event_id=data["event"],
            expiring_within=data["expiring_within"], dry_run=data["dry_run"],
            actor=request.user, actor_label=f"api ({request.user.get_username()})",
            job_id=uuid.uuid4().hex[:12],
        )
        return Response(BulkExtensionResultSerializer(result).data)
