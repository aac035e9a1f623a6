"""The door's API: scan in, scan out, the log, the event's figures. Thin views over
sales.checkin.services and selectors (docs/checkin.md)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pos.api import pos_terminal
from pos.openapi import ERROR_SERIALIZER, request_example, response_example
from sales.checkin import examples, selectors, services
from sales.checkin.serializers import (
    CheckinScanSerializer,
    CheckinStatsSerializer,
    ScanRequestSerializer,
    ScanResultSerializer,
    scan_result_data,
)


def _refusal(description: str) -> OpenApiResponse:
    return OpenApiResponse(ERROR_SERIALIZER, description=description)


REFUSALS = {
    400: _refusal("`wrong_event`: the ticket is for another event than `event` (or the "
                  "body is invalid)"),
    404: _refusal("`unknown_ticket`: not a QR this venue organisation signed (a bare code, "
                  "a forged or altered one, another organisation's ticket)"),
    410: _refusal("`ticket_void`: the ticket was refunded (a credit note voided it)"),
}
REFUSAL_EXAMPLES = [
    response_example("Not this venue's ticket", examples.UNKNOWN_TICKET, status=404),
    response_example("Refunded", examples.TICKET_VOID, status=410),
    response_example("Another event", examples.WRONG_EVENT, status=400),
]


def _scan(request: Request, action) -> Response:
    body = ScanRequestSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    outcome = action(user=request.user, text=body.validated_data["code"],
                     gate=body.validated_data["gate"], device=pos_terminal(request),
                     event_id=body.validated_data.get("event"))
    return Response(scan_result_data(outcome))


class CheckinView(APIView):
    @extend_schema(
        request=ScanRequestSerializer,
        responses={200: ScanResultSerializer, **REFUSALS, 409: _refusal(
            "`already_admitted`: inside already, or no entry left; names the first "
            "admission (`first_admitted_at`, `gate`, `by`)")},
        summary="Admit a ticket at the door (scan of its signed QR)", tags=["checkin"],
        description=(
            "Admits the holder once: a ticket is inside from an admission until an exit "
            "(/api/checkin/exit/), and enters at most its zone's `max_entries` times. "
            "Every scan is logged, refusals included, with the gate and the device "
            "(X-POS-Terminal). The same ticket scanned at several gates at once is "
            "admitted at one of them; the others answer 409."),
        examples=[request_example("Scan at gate G1", examples.SCAN_REQUEST),
                  response_example("Admitted", examples.ADMITTED),
                  response_example("Already inside", examples.ALREADY_ADMITTED, status=409),
                  *REFUSAL_EXAMPLES],
    )
    def post(self, request: Request) -> Response:
        return _scan(request, services.check_in_ticket)


class CheckinExitView(APIView):
    @extend_schema(
        request=ScanRequestSerializer,
        responses={200: ScanResultSerializer, **REFUSALS, 409: _refusal(
            "`not_inside`: the ticket has no admission since its last exit")},
        summary="Record a ticket's exit (so that it may enter again)", tags=["checkin"],
        description=(
            "The holder leaves: the ticket is no longer inside and may be admitted again "
            "if its zone's `max_entries` allows another entry."),
        examples=[request_example("Leaving by gate G2", {**examples.SCAN_REQUEST,
                                                         "gate": "G2"}),
                  response_example("Exit recorded", examples.EXITED),
                  response_example("Not inside", examples.NOT_INSIDE, status=409),
                  *REFUSAL_EXAMPLES],
    )
    def post(self, request: Request) -> Response:
        return _scan(request, services.record_exit)


class CheckinScanListView(ListAPIView):
    serializer_class = CheckinScanSerializer

    def get_queryset(self):
        return selectors.scans_visible_to(self.request.user)

    @extend_schema(
        summary="The check-in log, newest first (door staff: their own scans)",
        tags=["checkin"],
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
        examples=[response_example("An admission at G1", examples.SCAN)],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class EventCheckinStatsView(APIView):
    @extend_schema(
        responses={200: CheckinStatsSerializer, 404: ERROR_SERIALIZER},
        summary="Admitted and expected (tickets not voided) per zone of an event",
        tags=["checkin"],
        examples=[response_example("Doors open", examples.STATS)],
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(CheckinStatsSerializer(selectors.checkin_stats(event_id=pk)).data)
