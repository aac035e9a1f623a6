"""Catalogue, availability and transaction API: thin views over services and selectors.
Who may call what is tenants.permissions.ROLE_MATRIX (the default permission class)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404  # a malformed id is a 404, not a 500
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pos.errors import DomainError
from pos.openapi import ERROR, request_example, response_example, viewset_examples
from reservations import services as reservation_services
from reservations.selectors import availability_not_modified, event_availability
from reservations.serializers import SeatIdsSerializer
from sales import examples, services
from sales.models import Event, Seat, Transaction, Venue, Zone
from sales.selectors import (
    filter_transactions,
    transaction_with_details,
    transactions_visible_to,
)
from sales.serializers import (
    EventSerializer,
    SeatRowsSerializer,
    SeatSerializer,
    TransactionFilterSerializer,
    TransactionListSerializer,
    TransactionSerializer,
    VenueSerializer,
    ZoneSerializer,
)


@extend_schema(tags=["catalogue"])
@extend_schema_view(**viewset_examples("Venue", examples.VENUE, create=examples.VENUE_REQUEST,
                                       patch=examples.VENUE_PATCH))
class VenueViewSet(viewsets.ModelViewSet):
    queryset = Venue.objects.all()
    serializer_class = VenueSerializer


@extend_schema(tags=["catalogue"])
@extend_schema_view(**viewset_examples("Event", examples.EVENT, create=examples.EVENT_REQUEST,
                                       patch=examples.EVENT_PATCH,
                                       refused=examples.EVENT_CURRENCY_LOCKED,
                                       serializer=EventSerializer))
class EventViewSet(viewsets.ModelViewSet):
    queryset = Event.objects.select_related("venue")
    serializer_class = EventSerializer

    def perform_create(self, serializer: EventSerializer) -> None:
        serializer.instance = services.create_event(data=serializer.validated_data)

    def perform_update(self, serializer: EventSerializer) -> None:
        serializer.instance = services.update_event(event_id=serializer.instance.pk,
                                                    changes=serializer.validated_data)

    def perform_destroy(self, instance: Event) -> None:
        services.delete_event(event_id=instance.pk)

    @extend_schema(
        parameters=[OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER,
                                     required=False)],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description=(
            "`{event, server_time, seats: [{id, label, zone, row, number, state}], "
            "zones: [{id, name, kind, capacity, price, available}]}`; state is available, "
            "reserved (held by another terminal), reserved_by_me (held by the caller), "
            "reserved_partial (kept for a partly paid sale until its payment deadline) or "
            "sold")),
            304: OpenApiResponse(description="unchanged")},
        summary="Seat map and general-admission counts, with ETag",
        tags=["availability"],
        examples=[response_example("Seat map (first seats)", examples.AVAILABILITY)],
    )
    @action(detail=True, methods=["get"])
    def availability(self, request: Request, pk: int) -> HttpResponse:
        return availability_response(request, event_id=pk)


def availability_response(request: Request, *, event_id: int) -> HttpResponse:
    # A poller's 304 is decided from Redis before any database read.
    etag = availability_not_modified(event_id=event_id, user=request.user,
                                     if_none_match=request.headers.get("If-None-Match"))
    if etag:
        response = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
        response["ETag"] = etag
    else:
        event = get_object_or_404(Event, pk=event_id)
        result = event_availability(event=event, user=request.user)
        # The body comes as ready-made JSON bytes from the cached snapshot.
        response = HttpResponse(result.body, content_type="application/json")
        if result.etag:
            response["ETag"] = result.etag
    response["Cache-Control"] = "private, no-cache"
    return response


@extend_schema(tags=["catalogue"])
@extend_schema_view(
    get=extend_schema(examples=[response_example("Zones of an event", examples.ZONE)]),
    post=extend_schema(examples=[
        request_example("General admission, 200 places at USD 10", examples.ZONE_REQUEST),
        response_example("Zone created", examples.ZONE, status=201)]),
)
class EventZoneListCreateView(generics.ListCreateAPIView):
    serializer_class = ZoneSerializer
    pagination_class = None

    def get_queryset(self):
        # An event that does not exist is a 404, not an empty list.
        return Zone.objects.filter(event=get_object_or_404(Event, pk=self.kwargs["pk"]))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "event_id": self.kwargs.get("pk")}

    def perform_create(self, serializer: ZoneSerializer) -> None:
        serializer.instance = services.create_zone(
            event=get_object_or_404(Event, pk=self.kwargs["pk"]),
            data=serializer.validated_data)


@extend_schema(tags=["catalogue"])
@extend_schema_view(**viewset_examples(
    "Zone", examples.ZONE, patch=examples.ZONE_PATCH,
    create={k: v for k, v in examples.ZONE.items() if k not in ("id", "event")},
    actions=("retrieve", "update", "partial_update", "destroy"),
    refused=examples.ZONE_KIND_LOCKED, serializer=ZoneSerializer))
class ZoneViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                  mixins.DestroyModelMixin, viewsets.GenericViewSet):
    queryset = Zone.objects.all()
    serializer_class = ZoneSerializer

    def perform_update(self, serializer: ZoneSerializer) -> None:
        serializer.instance = services.update_zone(zone_id=serializer.instance.pk,
                                                   changes=serializer.validated_data)

    def perform_destroy(self, instance: Zone) -> None:
        services.delete_zone(zone_id=instance.pk)


@extend_schema(tags=["catalogue"])
@extend_schema_view(**viewset_examples(
    "Seat", examples.SEAT, patch=examples.SEAT_PATCH,
    create={k: v for k, v in examples.SEAT.items() if k != "id"},
    actions=("retrieve", "update", "partial_update", "destroy"),
    refused=examples.SEAT_CLAIMED, serializer=SeatSerializer))
class SeatViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                  mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """One seat: rename or move it (zone, row, number, label) or delete it, while nobody
    holds or has bought it."""

    queryset = Seat.objects.all()
    serializer_class = SeatSerializer

    def perform_update(self, serializer: SeatSerializer) -> None:
        serializer.instance = services.update_seat(seat_id=serializer.instance.pk,
                                                   changes=serializer.validated_data)

    def perform_destroy(self, instance: Seat) -> None:
        services.delete_seat(seat_id=instance.pk)


class ZoneSeatsView(APIView):

    @extend_schema(responses={200: SeatSerializer(many=True)}, tags=["catalogue"],
                   examples=[response_example("Seats of a zone", examples.SEAT)])
    def get(self, request: Request, pk: int) -> Response:
        zone = get_object_or_404(Zone, pk=pk)
        return Response(SeatSerializer(Seat.objects.filter(zone=zone), many=True).data)

    @extend_schema(request=SeatRowsSerializer, responses={201: SeatSerializer(many=True)},
                   summary="Create seats by rows (e.g. rows A-T × 30 seats)", tags=["catalogue"],
                   examples=[request_example("Rows A and B, two seats each",
                                             examples.SEAT_ROWS_REQUEST),
                             response_example("Seats created (A1, A2, ...)", examples.SEAT,
                                              status=201)])
    def post(self, request: Request, pk: int) -> Response:
        zone = get_object_or_404(Zone, pk=pk)
        serializer = SeatRowsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        seats = services.create_seats_in_rows(
            zone=zone, rows=services.expand_rows(data["rows"]),
            seats_per_row=data["seats_per_row"], first_number=data["first_number"],
        )
        return Response(SeatSerializer(seats, many=True).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["transactions"])
@extend_schema_view(
    list=extend_schema(
        parameters=[TransactionFilterSerializer],
        responses={200: TransactionListSerializer(many=True), 400: ERROR},
        summary="Sales, newest first; reserved ones found by customer, ID number, deadline",
        examples=[response_example("Sales, newest first", examples.TRANSACTION_LIST_ITEM)]),
    retrieve=extend_schema(examples=[response_example("A sale with its audit trail",
                                                      examples.TRANSACTION)]),
)
class TransactionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Transaction.objects.none()  # for the schema (integer ids); see get_queryset

    def get_queryset(self):
        queryset = transactions_visible_to(self.request.user)
        if self.action == "retrieve":
            return transaction_with_details(queryset)
        if self.action == "list":
            query = TransactionFilterSerializer(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            filters = dict(query.validated_data)
            cashier = self.request.user if filters.pop("mine", False) else None
            return filter_transactions(queryset, cashier=cashier, **filters)
        return queryset

    def get_serializer_class(self):
        return TransactionSerializer if self.action == "retrieve" else TransactionListSerializer


# --- The seed documents' JSON endpoints, kept for the POS web page --------------------


@extend_schema(tags=["pos-page"], request=SeatIdsSerializer,
               responses={200: OpenApiResponse(OpenApiTypes.OBJECT,
                                               description="`{success, expires_at, hold}`"),
                          409: OpenApiResponse(description="`{success: false, error}`")},
               summary="Hold seats (seed endpoint): the event is the seats' event",
               examples=[request_example("Seat D1", examples.SEAT_RESERVE_REQUEST),
                         response_example("Held", examples.SEAT_RESERVE)])
class SeatReserveView(APIView):
    def post(self, request: Request) -> Response:
        serializer = SeatIdsSerializer(data=request.data)
        if not serializer.is_valid():
            return Response({"success": False, "error": _first_error(serializer.errors)},
                            status=status.HTTP_400_BAD_REQUEST)
        seat_ids = serializer.validated_data["seat_ids"]
        event_ids = set(Seat.objects.filter(id__in=seat_ids).values_list("zone__event_id",
                                                                           flat=True))
        if len(event_ids) != 1:
            error = ("These seats do not exist." if not event_ids
                     else "All seats of one hold must belong to one event.")
            return Response({"success": False, "error": error},
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            tx = reservation_services.hold_seats(user=request.user, event_id=event_ids.pop(),
                                                 seat_ids=seat_ids)
        except DomainError as exc:
            return Response({"success": False, "error": exc.message, "code": exc.code},
                            status=exc.status_code)
        expires_at = min(tx.reserved_tickets.values_list("reserved_until", flat=True))
        return Response({"success": True, "hold": tx.pk, "expires_at": expires_at.isoformat()})


def _first_error(errors) -> str:
    for field, messages in errors.items():
        first = messages[0] if isinstance(messages, list) else messages
        if isinstance(first, dict):
            first = next(iter(first.values()))
        return f"{field}: {first}"
    return "Invalid request."


class SeatAvailabilityView(APIView):

    @extend_schema(
        parameters=[OpenApiParameter("event", int, required=True)],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT,
                                        description="as /api/events/{id}/availability/"),
                   404: OpenApiResponse(description="no such event")},
        summary="Seat availability (seed endpoint)", tags=["pos-page"],
        examples=[response_example("Seat map (first seats)", examples.AVAILABILITY)],
    )
    def get(self, request: Request) -> HttpResponse:
        serializer = EventQuerySerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        return availability_response(request, event_id=serializer.validated_data["event"])


class EventQuerySerializer(serializers.Serializer):
    event = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
