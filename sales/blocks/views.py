"""Seat blocks API (venue admins, tenants.permissions.ROLE_MATRIX): list, block, unblock,
the audit log. Thin views over sales.blocks.services and selectors."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pos.openapi import ERROR, request_example, response_example
from sales.blocks import examples, selectors, services
from sales.blocks.serializers import (
    BlockRequestSerializer,
    BlockResultSerializer,
    SeatBlockListSerializer,
    SeatBlockLogSerializer,
    SeatSelectionSerializer,
    block_result_data,
)
from sales.models import Event

SELECTION_EXAMPLES = [
    request_example("Two seats by id", examples.BLOCK_BY_IDS),
    request_example("Whole rows of a zone", examples.BLOCK_BY_ROWS),
    request_example("Seat ranges of a zone", examples.BLOCK_BY_RANGE),
]


class SeatBlocksView(APIView):
    @extend_schema(responses={200: SeatBlockListSerializer, 404: ERROR},
                   summary="The event's blocked seats: reason, by whom, since when",
                   tags=["seat-blocks"],
                   examples=[response_example("One house seat", examples.BLOCK_LIST)])
    def get(self, request: Request, pk: int) -> Response:
        event = get_object_or_404(Event, pk=pk)
        blocks = selectors.event_blocks(event_id=event.pk)
        return Response(SeatBlockListSerializer(
            {"event": event.pk, "count": len(blocks), "blocks": blocks}).data)

    @extend_schema(
        request=BlockRequestSerializer,
        responses={200: BlockResultSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
        summary="Block seats (cashiers cannot hold them; the map shows them blocked)",
        description=(
            "All or nothing: a seat held or sold refuses the whole request with 409 "
            "`seats_not_blockable` naming each such seat and why. Seats already blocked "
            "keep their block (`unchanged`). A venue admin may still sell a blocked seat: "
            "`POST /api/holds/` with `include_blocked: true`."),
        tags=["seat-blocks"],
        examples=[*SELECTION_EXAMPLES,
                  response_example("Blocked (C3 already was)", examples.BLOCKED),
                  response_example("Held or sold seats named", examples.NOT_BLOCKABLE,
                                   status=409)],
    )
    def post(self, request: Request, pk: int) -> Response:
        event = get_object_or_404(Event, pk=pk)
        body = BlockRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.block_seats(user=request.user, event_id=event.pk,
                                      selection=body.selection(),
                                      reason=body.validated_data["reason"])
        return Response(block_result_data(result))


class SeatBlocksReleaseView(APIView):
    @extend_schema(
        request=SeatSelectionSerializer,
        responses={200: BlockResultSerializer, 400: ERROR, 404: ERROR},
        summary="Unblock seats (back on sale); seats not blocked are left as they are",
        tags=["seat-blocks"],
        examples=[request_example("A range back on sale", examples.RELEASE),
                  response_example("Unblocked", examples.UNBLOCKED)],
    )
    def post(self, request: Request, pk: int) -> Response:
        event = get_object_or_404(Event, pk=pk)
        body = SeatSelectionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.unblock_seats(user=request.user, event_id=event.pk,
                                        selection=body.selection(),
                                        reason=body.validated_data.get("reason", ""))
        return Response(block_result_data(result))


class SeatBlockLogView(APIView):
    @extend_schema(responses={200: SeatBlockLogSerializer, 404: ERROR},
                   summary="Audit of the event's blocks and unblocks, newest first",
                   tags=["seat-blocks"],
                   examples=[response_example("Blocked, then unblocked", examples.BLOCK_LOG)])
    def get(self, request: Request, pk: int) -> Response:
        event = get_object_or_404(Event, pk=pk)
        entries = selectors.block_log(event_id=event.pk)
        return Response(SeatBlockLogSerializer({"event": event.pk, "entries": entries}).data)
