"""The webhook API, for venue admins: endpoints (create, change, delete, rotate the
secret, send a test event) and the delivery log (filter, read the attempts, replay).
Thin views over sales.webhooks.services and selectors (docs/webhooks.md)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from pos.openapi import (
    ERROR,
    ERROR_SERIALIZER,
    request_example,
    response_example,
    viewset_examples,
)
from sales.webhooks import examples, selectors, services
from sales.webhooks.models import WebhookDelivery, WebhookEndpoint
from sales.webhooks.serializers import (
    DeliveryDetailSerializer,
    DeliveryFilterSerializer,
    DeliverySerializer,
    EndpointSerializer,
    EndpointWithSecretSerializer,
    RotateSecretSerializer,
)

_ENDPOINT_DOCS = viewset_examples("Webhook endpoint", examples.ENDPOINT,
                                  create=examples.ENDPOINT_REQUEST,
                                  patch=examples.ENDPOINT_PATCH)
_ENDPOINT_DOCS["create"] = extend_schema(
    request=EndpointSerializer, responses={201: EndpointWithSecretSerializer, 400: ERROR},
    summary="Register a URL for events (the answer shows its secret, once)",
    description=(
        "The URL must be http(s) and resolve to public addresses (400 naming `url` "
        "otherwise). The answer's `secret` signs every delivery "
        "(`X-POS-Signature`, docs/webhooks.md); it is not shown again."),
    examples=[request_example("An ERP told of sales and refunds", examples.ENDPOINT_REQUEST),
              response_example("Registered, with its secret", examples.ENDPOINT_CREATED,
                               status=201),
              response_example("A private address", examples.UNSAFE_URL, status=400)])


@extend_schema(tags=["webhooks"])
@extend_schema_view(**_ENDPOINT_DOCS)
class WebhookEndpointViewSet(viewsets.ModelViewSet):
    queryset = WebhookEndpoint.objects.none()  # for the schema; see get_queryset
    serializer_class = EndpointSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.endpoints()

    def create(self, request: Request, *args, **kwargs) -> Response:
        body = EndpointSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        endpoint = services.create_endpoint(created_by=request.user, **body.validated_data)
        return Response(EndpointWithSecretSerializer(endpoint).data,
                        status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: EndpointSerializer) -> None:
        serializer.instance = services.update_endpoint(endpoint=serializer.instance,
                                                       **serializer.validated_data)

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        services.delete_endpoint(endpoint=instance)

    @extend_schema(
        request=RotateSecretSerializer,
        responses={200: EndpointWithSecretSerializer, 400: ERROR},
        summary="Rotate the endpoint's secret (the answer shows the new one, once)",
        description=(
            "Deliveries are signed with the new secret from now on and, for `grace_hours` "
            "(default 24, at most 168), with the old one as well: the signature header "
            "then carries two `v1=` values, so the receiver may switch at leisure."),
        examples=[request_example("Keep the old secret valid for a day",
                                  examples.ROTATE_REQUEST),
                  response_example("The new secret", examples.ROTATED)])
    @action(detail=True, methods=["post"], url_path="rotate-secret", url_name="rotate-secret")
    def rotate_secret(self, request: Request, pk: int) -> Response:
        body = RotateSecretSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        endpoint = services.rotate_secret(endpoint=self.get_object(), **body.validated_data)
        return Response(EndpointWithSecretSerializer(endpoint).data)

    @extend_schema(
        request=None,
        responses={202: DeliverySerializer, 409: ERROR_SERIALIZER},
        summary="Send a test event (`ping`) to the endpoint",
        description=(
            "A signed `ping` delivery, whatever the endpoint subscribes to, logged and "
            "retried like any other: follow it in /api/webhooks/deliveries/{id}/. 409 "
            "`endpoint_inactive` for a deactivated endpoint."),
        examples=[response_example("Queued", examples.PING, status=202),
                  response_example("Deactivated", examples.ENDPOINT_INACTIVE, status=409)])
    @action(detail=True, methods=["post"])
    def ping(self, request: Request, pk: int) -> Response:
        delivery = services.send_ping(endpoint=self.get_object(), user=request.user)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["webhooks"])
@extend_schema_view(
    list=extend_schema(
        parameters=[DeliveryFilterSerializer],
        responses={200: DeliverySerializer(many=True), 400: ERROR},
        summary="The delivery log, newest first, by endpoint, status or event type",
        examples=[response_example("Deliveries", examples.DELIVERY)]),
    retrieve=extend_schema(
        responses={200: DeliveryDetailSerializer, 404: ERROR_SERIALIZER},
        summary="A delivery with the body sent and every attempt's answer",
        examples=[response_example("Failed once, then delivered", examples.DELIVERY_DETAIL)]),
)
class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             viewsets.GenericViewSet):
    queryset = WebhookDelivery.objects.none()  # for the schema; see get_queryset
    lookup_value_regex = r"[0-9]+"  # the id is read by the selector: /null/ is a 404

    def get_queryset(self):
        if self.action == "list":
            query = DeliveryFilterSerializer(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            filters = dict(query.validated_data)
            return selectors.deliveries(endpoint_id=filters.get("endpoint"),
                                        status=filters.get("status"),
                                        event_type=filters.get("event_type"),
                                        event_id=filters.get("event_id"))
        return selectors.deliveries()

    def get_serializer_class(self):
        return DeliveryDetailSerializer if self.action == "retrieve" else DeliverySerializer

    def retrieve(self, request: Request, pk: int) -> Response:
        return Response(DeliveryDetailSerializer(selectors.delivery(pk)).data)

    @extend_schema(
        request=None,
        responses={202: DeliverySerializer, 404: ERROR_SERIALIZER, 409: ERROR_SERIALIZER},
        summary="Send the delivery's event again (same event id, signed afresh)",
        description=(
            "A new delivery (`replay_of` this one) with the same `event_id` and body, so a "
            "receiver that already processed it can recognise it; it is signed at the time "
            "of each attempt and has its own attempt log and retries."),
        examples=[response_example("Replay queued", examples.REPLAYED, status=202),
                  response_example("Deactivated", examples.ENDPOINT_INACTIVE, status=409)])
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: int) -> Response:
        replay = services.replay_delivery(delivery=selectors.delivery(pk), user=request.user)
        return Response(DeliverySerializer(replay).data, status=status.HTTP_202_ACCEPTED)
