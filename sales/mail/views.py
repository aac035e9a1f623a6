"""The signed-in user's own alert subscriptions: which operator alerts they get by
e-mail. Operators and venue admins (tenants.permissions.ROLE_MATRIX)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pos.openapi import request_example, response_example
from sales.mail import examples, selectors, services
from sales.mail.serializers import (
    AlertSubscriptionsInputSerializer,
    AlertSubscriptionsSerializer,
)


def _answer(request: Request) -> Response:
    return Response({"email": request.user.email,
                     "subscriptions": selectors.subscriptions_of(request.user)})


class MyAlertSubscriptionsView(APIView):
    @extend_schema(responses={200: AlertSubscriptionsSerializer},
                   summary="My alert subscriptions: every alert kind, and whether I get it "
                           "by e-mail", tags=["operations"],
                   examples=[response_example("Two kinds by e-mail", examples.SUBSCRIPTIONS)])
    def get(self, request: Request) -> Response:
        return _answer(request)

    @extend_schema(
        request=AlertSubscriptionsInputSerializer,
        responses={200: AlertSubscriptionsSerializer,
                   400: OpenApiResponse(description="An unknown kind, or not a list")},
        summary="Set my alert subscriptions (exactly these kinds)", tags=["operations"],
        examples=[request_example("Contested seats and abandonment",
                                  examples.SUBSCRIPTIONS_PUT),
                  response_example("Two kinds by e-mail", examples.SUBSCRIPTIONS),
                  response_example("An unknown kind", examples.BAD_KIND, status=400)])
    def put(self, request: Request) -> Response:
        body = AlertSubscriptionsInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.set_alert_subscriptions(user=request.user, kinds=body.validated_data["kinds"])
        return _answer(request)
