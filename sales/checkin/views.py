"""The door's API: scan in, scan out, the log, the event's figures, the offline gates'
signed list and their uploads. Thin views over
sales.checkin.services and selectors (docs/checkin.md)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pos.api import pos_terminal
from pos.openapi import ERROR_SERIALIZER, request_example, response_example
from sales.checkin import examples, keys, selectors, services
from sales.checkin.errors import DeviceRequired
from sales.checkin.serializers import (
    CheckinListSerializer,
    CheckinScanSerializer,
    CheckinStatsSerializer,
    PublicKeySerializer,
    ScanRequestSerializer,
    ScanResultSerializer,
    SyncAnswerSerializer,
    SyncRequestSerializer,
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


class CheckinKeyView(APIView):
    @extend_schema(
        responses={200: PublicKeySerializer},
        summary="The public key the check-in lists are signed with (pin it on the device)",
        tags=["checkin"],
        description=(
            "Ed25519. A gate device fetches it once, while online and trusted, and "
            "verifies every check-in list against it: a list altered on the way or on the "
            "device does not verify."),
        examples=[response_example("The venue's key", examples.PUBLIC_KEY)],
    )
    def get(self, request: Request) -> Response:
        return Response(PublicKeySerializer(keys.public_key_info()).data)


class EventCheckinListView(APIView):
    @extend_schema(
        responses={200: CheckinListSerializer, 404: ERROR_SERIALIZER},
        summary="The event's signed check-in list, for a gate that may go offline",
        tags=["checkin"],
        description=(
            "Every ticket of the event by the SHA-256 of its QR string (not the string), "
            "with zone, seat, `max_entries`, `status` (`valid` or `void`) and the entries "
            "already recorded. `signature` is the venue's Ed25519 signature of the "
            "canonical JSON of `list` (keys sorted, no spaces, UTF-8); verify it with the "
            "key pinned from /api/checkin/key/ (also repeated here). Scans made offline "
            "go to /api/checkin/sync/."),
        examples=[response_example("Two tickets, one refunded", examples.CHECKIN_LIST)],
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(selectors.checkin_list(event_id=pk))


class CheckinSyncView(APIView):
    @extend_schema(
        request=SyncRequestSerializer,
        responses={200: SyncAnswerSerializer, 400: ERROR_SERIALIZER},
        summary="Upload the scans a gate made offline",
        tags=["checkin"],
        description=(
            f"Up to {services.MAX_SYNC_SCANS} scans, recorded in the order they were made "
            "(`scanned_at`) and answered in the order sent. Needs `X-POS-Terminal` (the "
            "device): a scan id already uploaded by this device answers `duplicate` and "
            "records nothing, so a batch may be resent. An entry of a ticket admitted "
            "elsewhere is a `conflict` naming the admission that counts, never a second "
            "admission; the earliest offline scan counts, an online admission always "
            "does (docs/checkin.md)."),
        examples=[request_example("Three scans from gate G2", examples.SYNC_REQUEST),
                  response_example("One admitted, one conflict, one void", examples.SYNCED)],
    )
    def post(self, request: Request) -> Response:
        body = SyncRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        device = pos_terminal(request)
        if not device:
            raise DeviceRequired()
        data = body.validated_data
        results = services.sync_offline_scans(
            user=request.user, device=device, gate=data["gate"], event_id=data.get("event"),
            scans=[services.OfflineScan(**scan) for scan in data["scans"]])
        return Response(SyncAnswerSerializer({"results": results}).data)
