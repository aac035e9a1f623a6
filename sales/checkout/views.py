"""The till's API: holds (reservations.services), their price, quote, checkout and
payments (sales.checkout.services). Thin views. Who may call them is
tenants.permissions.ROLE_MATRIX (the default permission class); whose holds a user acts
on is reservations.selectors.holds_visible_to."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fiscal import examples as fiscal_examples
from fiscal.serializers import CreditNoteRequestSerializer, FiscalDocumentSerializer
from fiscal.services import CreditLine
from pos.api import pos_terminal
from pos.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from pos.openapi import ERROR, request_example, response_example
from reservations import examples, services
from reservations.errors import HoldNotFound
from reservations.selectors import hold_items, holds_visible_to
from reservations.serializers import (
    GrantSerializer,
    HoldCreateSerializer,
    SeatIdsSerializer,
    plain_hold_request,
)
from sales import examples as sales_examples
from sales.checkout import services as checkout
from sales.checkout.serializers import (
    AMOUNTS_DUE,
    CancelReservationSerializer,
    CheckoutSerializer,
    HoldAnswerSerializer,
    PaymentsSerializer,
    QuoteSerializer,
    payment_inputs,
    quote_data,
)
from sales.serializers import CheckoutResultSerializer, checkout_result_data

# The breakdown itself, at the top level (fiscal.taxes.TaxBreakdown.to_dict).
QUOTE = OpenApiResponse(OpenApiTypes.OBJECT, description=(
    "Fiscal breakdown in Bs and in the sale currency: bases and IVA per rate, total, IGTF, "
    "amount due, paid, balance (negative: change to give), and `amounts_due`: "
    + AMOUNTS_DUE["description"]))
HOLD_EXAMPLE = request_example("Seats A1 and A2 and two general-admission places",
                               examples.HOLD_REQUEST)
CONFLICT_EXAMPLE = OpenApiExample(
    "Seats taken",
    value={"detail": "The following seats are not available: A1 (reserved), A2 (sold).",
           "code": "seats_unavailable",
           "seats": [{"id": 1, "label": "A1", "reason": "reserved"},
                     {"id": 2, "label": "A2", "reason": "sold"}],
           "zones": []},
    response_only=True, status_codes=["409"],
)
CHECKOUT_EXAMPLE = OpenApiExample(
    "Paid in dollars cash",
    value={"payments": [{"method": "cash", "currency": "USD", "amount": "60.00"}],
           "customer": {"name": "María Pérez", "tax_id": "V-12345678"}, "reserve": False},
    request_only=True,
)


def hold_response(tx, *, status_code: int = status.HTTP_200_OK) -> Response:
    """A hold with its items and its price (subtotal, tax, total, amounts due)."""
    items, now = hold_items(tx), timezone.now()
    quote = checkout.hold_quote(tx, items, now)
    data = HoldAnswerSerializer(tx, context={"items": items, "now": now, "quote": quote}).data
    return Response(data, status=status_code)


class HoldListCreateView(APIView):
    @extend_schema(
        request=HoldCreateSerializer,
        responses={201: HoldAnswerSerializer, 400: ERROR, 409: ERROR, 503: ERROR},
        examples=[HOLD_EXAMPLE,
                  request_example("Best available: the 4 best adjacent seats of a zone",
                                  examples.BEST_AVAILABLE_REQUEST),
                  request_example("Venue admin: hold a blocked seat to sell it",
                                  examples.HOLD_BLOCKED_REQUEST),
                  response_example("Held for 10 minutes", examples.HOLD, status=201),
                  CONFLICT_EXAMPLE,
                  OpenApiExample("Seat blocked by the venue", value=examples.BLOCKED_CONFLICT,
                                 response_only=True, status_codes=["409"]),
                  OpenApiExample("Best available: no block of 4", response_only=True,
                                 value=examples.NO_ADJACENT_SEATS, status_codes=["409"])],
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        summary="Hold seats and general-admission places, or the best available seats",
        description=(
            "`seat_ids` and `zones`: those seats and places, all or nothing (409 "
            "`seats_unavailable` names each seat and why: reserved, sold, blocked). "
            "`include_blocked: true` (venue admins only, else 403): blocked seats too. "
            "`zone` + `best_available: N` (+ `together`, default true): the server picks "
            "the N best free seats of the numbered zone (front and centre, or the zone's "
            "`row_order`; adjacent in one row when together; never a single empty seat "
            "left between taken ones when avoidable) and holds them; 409 "
            "`no_adjacent_seats` (together) or `not_enough_seats` naming the zone."),
        tags=["holds"],
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = plain_hold_request(request.data)
        if data is None:  # anything unusual: the serializer validates it, or says why not
            serializer = HoldCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        if "best_available" in data:
            tx = services.hold_best_available(
                user=request.user, event_id=data["event"], zone_id=data["zone"],
                quantity=data["best_available"], together=data.get("together", True))
            return hold_response(tx, status_code=status.HTTP_201_CREATED)
        tx = services.hold_seats(
            user=request.user,
            event_id=data["event"],
            seat_ids=data["seat_ids"],
            zones=[services.ZoneQuantity(zone_id=z["zone"], quantity=z["quantity"])
                   for z in data["zones"]],
            include_blocked=data.get("include_blocked", False),
        )
        return hold_response(tx, status_code=status.HTTP_201_CREATED)


class HoldDetailView(APIView):
    @extend_schema(responses={200: HoldAnswerSerializer, 404: ERROR}, tags=["holds"],
                   examples=[response_example("A live hold", examples.HOLD)])
    def get(self, request: Request, pk: int) -> Response:
        tx = holds_visible_to(request.user).filter(pk=pk).first()
        if tx is None:
            raise HoldNotFound()
        return hold_response(tx)

    @extend_schema(responses={200: HoldAnswerSerializer, 404: ERROR, 409: ERROR, 410: ERROR},
                   summary="Release the whole hold", tags=["holds"],
                   examples=[response_example("Released", examples.HOLD_CANCELLED)])
    def delete(self, request: Request, pk: int) -> Response:
        return hold_response(services.release_hold(user=request.user, transaction_id=pk))


class HoldReleaseView(APIView):
    @extend_schema(request=SeatIdsSerializer,
                   responses={200: HoldAnswerSerializer, 400: ERROR, 404: ERROR, 409: ERROR,
                              410: ERROR},
                   summary="Release some seats of a hold", tags=["holds"],
                   examples=[request_example("Let A2 go", examples.RELEASE_REQUEST),
                             response_example("A2 released, the rest still held",
                                              examples.HOLD_AFTER_RELEASE)])
    def post(self, request: Request, pk: int) -> Response:
        serializer = SeatIdsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tx = services.release_hold(user=request.user, transaction_id=pk,
                                   seat_ids=serializer.validated_data["seat_ids"])
        return hold_response(tx)


class HoldExtendView(APIView):
    @extend_schema(request=None, responses={200: HoldAnswerSerializer, 409: ERROR, 410: ERROR},
                   summary="Extend a hold once by the venue's hold minutes", tags=["holds"],
                   examples=[response_example("Ten more minutes, no extension left",
                                              examples.HOLD_EXTENDED)])
    def post(self, request: Request, pk: int) -> Response:
        return hold_response(services.extend_hold(user=request.user, transaction_id=pk))


class HoldGrantView(APIView):
    @extend_schema(request=GrantSerializer,
                   responses={200: HoldAnswerSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
                   summary="Venue admin: keep a live hold longer (a VIP or group sale), up to "
                           "the venue's max_granted_hold_minutes, with a reason (audited)",
                   tags=["holds"],
                   examples=[request_example("Two hours for a school group",
                                             examples.GRANT_REQUEST),
                             response_example("Held two hours from now", examples.HOLD_GRANTED),
                             response_example("Above the venue's cap", examples.GRANT_OVER_CAP,
                                              status=400),
                             response_example("The hold had expired",
                                              examples.GRANT_HOLD_NOT_ACTIVE, status=409)])
    def post(self, request: Request, pk: int) -> Response:
        serializer = GrantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tx = services.grant_hold_time(user=request.user, transaction_id=pk,
                                      minutes=serializer.validated_data["minutes"],
                                      reason=serializer.validated_data["reason"])
        return hold_response(tx)


class HoldQuoteView(APIView):
    @extend_schema(request=QuoteSerializer,
                   responses={200: QUOTE, 400: ERROR, 404: ERROR, 409: ERROR, 410: ERROR},
                   summary="Amount due with IVA and IGTF for given payments (changes nothing)",
                   tags=["holds"],
                   examples=[request_example("USD 50 cash", examples.QUOTE_REQUEST),
                             response_example("IVA 16 %, IGTF 3 % on the dollars, in Bs",
                                              examples.QUOTE)])
    def post(self, request: Request, pk: int) -> Response:
        serializer = QuoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        quote = checkout.quote_hold(
            user=request.user, transaction_id=pk,
            payments=payment_inputs(serializer.validated_data["payments"]),
        )
        return Response(quote_data(quote))


class HoldCheckoutView(APIView):
    @extend_schema(
        request=CheckoutSerializer,
        responses={200: CheckoutResultSerializer, 400: ERROR, 404: ERROR, 409: ERROR,
                   410: ERROR},
        examples=[CHECKOUT_EXAMPLE, response_example("Completed: invoice and tickets",
                                                     examples.CHECKOUT_RESULT)],
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        summary="Pay a hold: completed when paid in full; a balance only as a reservation "
                "asked for (`reserve`)",
        tags=["holds"],
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        serializer = CheckoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        customer = data.get("customer")
        result = checkout.checkout_hold(
            user=request.user,
            transaction_id=pk,
            payments=payment_inputs(data["payments"]),
            customer=checkout.Customer(**customer) if customer else None,
            reserve=data["reserve"],
            terminal=pos_terminal(request),
        )
        return Response(checkout_result_data(result))


class TransactionPaymentsView(APIView):
    @extend_schema(request=PaymentsSerializer,
                   responses={200: CheckoutResultSerializer, 400: ERROR, 404: ERROR,
                              409: ERROR, 410: ERROR},
                   parameters=[IDEMPOTENCY_KEY_PARAMETER],
                   summary="Add a payment to a reserved (partially paid) transaction",
                   tags=["transactions"],
                   examples=[request_example("Bs by pago móvil",
                                             sales_examples.PAYMENTS_REQUEST),
                             response_example("Still reserved: a balance remains",
                                              sales_examples.PAYMENT_RESULT)])
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        serializer = PaymentsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = checkout.add_payment(
            user=request.user, transaction_id=pk,
            payments=payment_inputs(serializer.validated_data["payments"]),
            reserve=serializer.validated_data["reserve"],
            terminal=pos_terminal(request),
        )
        return Response(checkout_result_data(result))


class CreditNoteView(APIView):
    """`/api/fiscal/documents/{id}/credit-note/`: a refund, orchestrated by the till (the
    credit note, then the seats back on sale)."""

    @extend_schema(
        request=CreditNoteRequestSerializer,
        responses={201: FiscalDocumentSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
        summary="Refund or cancel an invoiced sale: a credit note (full, or per line); the "
                "refunded seats and units are back on sale at once",
        tags=["fiscal"],
        examples=[OpenApiExample("Full refund", request_only=True,
                                 value={"reason": "Evento cancelado"}),
                  OpenApiExample("One unit of line 0", request_only=True,
                                 value={"reason": "Devolución", "lines": [
                                     {"line": 0, "quantity": 1}]}),
                  response_example("Credit note for seat A1", fiscal_examples.CREDIT_NOTE,
                                   status=201)],
    )
    def post(self, request: Request, pk: int) -> Response:
        serializer = CreditNoteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lines = data.get("lines")
        note = checkout.refund_sale(
            invoice_id=int(pk), reason=data["reason"], issued_by=request.user,
            lines=None if lines is None else [CreditLine(**line) for line in lines],
            terminal=pos_terminal(request),
        )
        return Response(FiscalDocumentSerializer(note).data, status=status.HTTP_201_CREATED)


class ReservationCancelView(APIView):
    @extend_schema(request=CancelReservationSerializer,
                   responses={200: CheckoutResultSerializer, 400: ERROR, 404: ERROR,
                              409: ERROR},
                   summary="Cancel a reserved (partially paid) transaction: seats freed, "
                           "payments handed back (refund records), audit",
                   tags=["transactions"],
                   examples=[request_example("The customer gave up",
                                             {"reason": "El cliente desistió"}),
                             response_example("Cancelled: seats freed, payments handed back",
                                              sales_examples.RESERVATION_CANCELLED)])
    def post(self, request: Request, pk: int) -> Response:
        serializer = CancelReservationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tx = checkout.cancel_reservation(user=request.user, transaction_id=pk,
                                         reason=serializer.validated_data["reason"])
        return Response(checkout_result_data(checkout.CheckoutResult(transaction=tx,
                                                                     quote=None)))
