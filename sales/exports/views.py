"""`GET /api/exports/{kind}/`: sales, payments, fiscal documents or check-ins of a date
range (and an event) as CSV (streamed) or XLSX. Venue admins and operators
(tenants.permissions.ROLE_MATRIX)."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema,
)
from rest_framework.request import Request
from rest_framework.views import APIView

from pos.exports import (
    MAX_RANGE_DAYS,
    XLSX_MEDIA_TYPE,
    FileFormatNegotiation,
    file_answer,
    parse_export_query,
)
from sales.exports.files import check_event
from sales.exports.selectors import EXPORTS
from tenants.services import current_time_zone

QUERY_PARAMETERS = [
    OpenApiParameter("date_from", OpenApiTypes.DATE, required=True,
                     description="first day, inclusive, on the venue's clock (its time zone)"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, required=True,
                     description=f"last day, inclusive; at most {MAX_RANGE_DAYS} days "
                                 "after date_from"),
    OpenApiParameter("event", int, description="only this event's records"),
    OpenApiParameter("format", str, enum=["csv", "xlsx"], description="default csv"),
]
CSV_EXAMPLE = ("\ufeffid,created_at,completed_at,status,event,...\n"
               "41,2026-11-05 19:02:11,2026-11-05 19:03:40,completed,7,...\n")
BAD_RANGE = {"detail": "date_to (01/11/2026) is before date_from (30/11/2026).",
             "code": "invalid_range", "field": "date_to"}


class ExportView(APIView):
    content_negotiation_class = FileFormatNegotiation

    @extend_schema(
        tags=["exports"], parameters=QUERY_PARAMETERS,
        summary="Export sales, payments, fiscal documents or check-ins (CSV or XLSX)",
        description=(
            "`kind`: `sales` (transactions created in the range, any status, with their "
            "invoice), `payments` (taken in the range), `documents` (fiscal documents "
            "issued in the range, every kind) or `checkins` (door scans made in the range)."
            " CSV: UTF-8 with BOM, comma-separated, amounts with a dot, times on the "
            "venue's clock, streamed. XLSX: typed cells (dates, numbers with a format). "
            "A bad or missing parameter is a 400 `{detail, code, field}`."),
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY,
                                               description="CSV file (attachment)"),
            (200, XLSX_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.BINARY,
                                                    description="XLSX workbook (attachment)"),
            400: OpenApiResponse(description="`{detail, code, field}`: the parameter that "
                                             "was wrong"),
        },
        examples=[OpenApiExample("Sales as CSV (abridged)", value=CSV_EXAMPLE,
                                 response_only=True, status_codes=["200"],
                                 media_type="text/csv"),
                  OpenApiExample("date_to before date_from", value=BAD_RANGE,
                                 response_only=True, status_codes=["400"])],
    )
    def get(self, request: Request, kind: str):
        export = EXPORTS[kind]
        query = parse_export_query(request.query_params, time_zone=current_time_zone())
        check_event(query)
        return file_answer(export, export.records(query), fmt=query.format,
                           time_zone=query.time_zone, file_name=query.file_name(export.name))
