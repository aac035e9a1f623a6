"""The dashboard's API (venue admins and operators, tenants.permissions.ROLE_MATRIX): one
event's figures, one fiscal day's X figures. Thin views over sales.dashboard.selectors."""

from __future__ import annotations

from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fiscal import examples as fiscal_examples
from pos.openapi import ERROR, response_example
from sales.dashboard import examples, selectors
from sales.dashboard.errors import InvalidDay

EVENT_FIGURES = OpenApiResponse(OpenApiTypes.OBJECT, description=(
    "`{event, time_zone, generated_at, occupancy: {states, totals, zones: [{id, name, kind, "
    "capacity, counts: {sold, reserved, held, free, blocked}, seats (numbered zones): [{id, "
    "label, row, number, state}]}]}, sales_per_hour: [{hour, sales, tickets}], revenue: "
    "{payments: [{method, currency, count, amount, amount_ves, change_given_ves}], refunds, "
    "credit_notes: {count, amount_ves}, by_currency: {CUR: {received, refunded, net}}, "
    "received_ves, refunded_ves, net_ves, net_sales}, holds: {started, open, converted, "
    "expired, released, abandoned, conversion_rate, abandonment_rate}}`. Times on the "
    "venue's clock; definitions in docs/dashboard.md."))
DAY_FIGURES = OpenApiResponse(OpenApiTypes.OBJECT, description=(
    "The fiscal day's X report, exactly as `GET /api/fiscal/x-report/?day=` answers it."))


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidDay(day=text) from None


class EventDashboardView(APIView):
    @extend_schema(
        responses={200: EVENT_FIGURES, 404: ERROR},
        summary="Dashboard of an event: occupancy, sales per hour, revenue, holds",
        description=(
            "Occupancy per seat and zone (`sold`: paid in full; `reserved`: kept for a partly "
            "paid sale; `held`: a cashier's live hold; `free`; `blocked`), sales completed "
            "per hour of the venue's clock, the money received by method and currency net "
            "of the change given back (the X report's sum) and of what was handed back, "
            "and what became of the holds (conversion, abandonment). Changes nothing."),
        tags=["dashboard"],
        examples=[response_example("An event on sale", examples.EVENT_DASHBOARD),
                  response_example("No such event", examples.UNKNOWN_EVENT, status=404)],
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(selectors.event_dashboard(event_id=pk))


class DayDashboardView(APIView):
    @extend_schema(
        responses={200: DAY_FIGURES, 400: ERROR},
        summary="Dashboard of a fiscal day: its X figures (changes nothing)",
        tags=["dashboard"],
        examples=[response_example("The day's totals so far", fiscal_examples.X_REPORT),
                  response_example("Not a day", examples.INVALID_DAY, status=400)],
    )
    def get(self, request: Request, day: str) -> Response:
        return Response(selectors.day_dashboard(day=parse_day(day)))
