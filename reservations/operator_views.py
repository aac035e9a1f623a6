"""Operator API: statistics, alerts and the bulk extension. Thin views over
reservations.stats, reservations.monitoring and reservations.services; venue admins and
operators only (tenants.permissions.ROLE_MATRIX, the default permission class)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pos.openapi import request_example, response_example
from reservations import examples, jobs, monitoring, services
from reservations.operator_serializers import (
    AlertQuerySerializer,
    AlertSerializer,
    BulkExtensionResultSerializer,
    BulkExtensionSerializer,
    ExtensionJobSerializer,
    StatsQuerySerializer,
    StatsReportSerializer,
)
from reservations.stats import alert_list, reservation_stats, stats_report

ERROR = OpenApiResponse(description="`{detail, code}` naming what was wrong")


class ReservationStatsView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("event", int, description="only this event"),
            OpenApiParameter("window_hours", int,
                             description="window of the ended counts (default 24)"),
        ],
        responses={200: StatsReportSerializer, 400: ERROR},
        summary="Reservation statistics (what `reservation_stats --format json` prints)",
        tags=["operations"],
        examples=[response_example("Two events in the last 24 h", examples.STATS)],
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


class AlertListView(ListAPIView):
    serializer_class = AlertSerializer

    def get_queryset(self):
        query = AlertQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return alert_list(status=query.validated_data.get("status"))

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=["open", "acknowledged", "resolved"])],
        summary="Operator alerts, newest first", tags=["operations"],
        examples=[response_example("A payment deadline within the hour", examples.ALERT),
                  response_example("An event's seats contested in a 15-minute window",
                                   examples.ALERT_CONTESTED)],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class AlertAcknowledgeView(APIView):
    @extend_schema(request=None, responses={200: AlertSerializer, 404: ERROR, 409: ERROR},
                   summary="Acknowledge an alert (again: no change)", tags=["operations"],
                   examples=[response_example("Acknowledged", examples.ALERT)])
    def post(self, request: Request, pk: int) -> Response:
        alert = monitoring.acknowledge_alert(alert_id=pk, user=request.user)
        return Response(AlertSerializer(alert).data)


class BulkExtensionView(APIView):
    @extend_schema(
        request=BulkExtensionSerializer,
        responses={200: BulkExtensionResultSerializer, 202: ExtensionJobSerializer,
                   400: ERROR},
        examples=[request_example("One more day for an event's reservations, preview",
                                  examples.EXTEND_PREVIEW_REQUEST),
                  request_example("One more day for those due within 12 h (a job)",
                                  examples.EXTEND_REQUEST),
                  response_example("Preview: what would be extended (no job)",
                                   examples.EXTEND_PREVIEW),
                  response_example("Job queued", examples.EXTEND_JOB_QUEUED, status=202)],
        summary="Extend live partial-payment reservations by N hours (audited): a preview "
                "with dry_run (200, job null), otherwise a background job (202; read it at "
                "extend/{job}/)",
        tags=["operations"],
    )
    def post(self, request: Request) -> Response:
        serializer = BulkExtensionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["dry_run"]:
            # A preview changes nothing and is answered at once: it is not a job, so it has
            # no job id (one would answer 404 at extend/{job}/).
            result = services.extend_reservations(
                hours=data["hours"], event_id=data["event"],
                expiring_within=data["expiring_within"], dry_run=True,
                actor=request.user, actor_label=f"api ({request.user.get_username()})",
            )
            return Response(BulkExtensionResultSerializer({**result, "job": None}).data)
        job = jobs.start_extension_job(hours=data["hours"], event_id=data["event"],
                                       expiring_within=data["expiring_within"],
                                       actor=request.user)
        response = Response(ExtensionJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = reverse("reservation-extend-job", kwargs={"job_id": job.job_id})
        return response


class ExtensionJobView(APIView):
    @extend_schema(
        responses={200: ExtensionJobSerializer, 404: ERROR},
        summary="A bulk extension job: queued, running, done (with its counts) or failed",
        tags=["operations"],
        examples=[response_example("Done: 3 reservations, 5 tickets", examples.EXTEND_JOB_DONE)],
    )
    def get(self, request: Request, job_id: str) -> Response:
        return Response(ExtensionJobSerializer(jobs.extension_job(job_id)).data)
