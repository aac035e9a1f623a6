"""Fiscal API: thin views over fiscal.services, fiscal.selectors and fiscal.printing.

Who may call what is tenants.permissions.ROLE_MATRIX (the default permission class):
venue admins configure (settings, series, exchange rates) and issue credit/debit notes;
cashiers issue documents through checkout, read their own (fiscal.selectors) and close
their shift at their terminal; operators and venue admins read reports, every shift, and
close the day (Z)."""

from __future__ import annotations

import base64
import hashlib
import re

from django.http import FileResponse, HttpResponse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fiscal import examples, printing, selectors, services
from fiscal.errors import DocumentNotFound, ShiftNotFound, TicketNotFound
from fiscal.models import ExchangeRate, FiscalDocument, FiscalSeries, Shift, ZReport
from fiscal.sales_book import SalesBook, parse_month
from fiscal.serializers import (
    DayQuerySerializer,
    DebitNoteRequestSerializer,
    ExchangeRateSerializer,
    FiscalDocumentListSerializer,
    FiscalDocumentSerializer,
    FiscalProfileSerializer,
    FiscalSeriesSerializer,
    ShiftCloseSerializer,
    ShiftSerializer,
    ZReportSerializer,
)
from fiscal.taxes import Line, TaxCategory
from pos.api import pos_terminal
from pos.exports import (
    PDF_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    FileFormatNegotiation,
    InvalidExportQuery,
    attachment,
    xlsx_file,
)
from pos.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from pos.openapi import request_example, response_example, viewset_examples
from pos.replica import stale_reads_ok

ERROR = OpenApiResponse(description="`{detail, code}` naming what was wrong")
PDF = OpenApiResponse(OpenApiTypes.BINARY, description="application/pdf, 80 mm wide")
HTML = OpenApiResponse(OpenApiTypes.STR, description="text/html sized for 80 mm paper")
REPORT = OpenApiResponse(OpenApiTypes.OBJECT, description=(
    "`{fiscal_day, documents, counts, net_sales: {base_total_ves, exempt_ves, iva_total_ves, "
    "municipal_ves, total_ves, igtf_ves, amount_due_ves}, taxes: [{category, rate, base_ves, "
    "iva_ves}], by_kind, series: [{series, kind, count, first, last}], payments: [{method, "
    "currency, count, amount, amount_ves}], receipts: {count, amount_ves}, not_in_z, "
    "z_reports, generated_at}`; net sales are invoices and debit notes minus credit notes"))


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


_STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def _html_response(html: str) -> HttpResponse:
    """A printable page. Its 80 mm stylesheet is inline (the same HTML becomes the PDF):
    the Content-Security-Policy allows exactly that stylesheet by its hash, so browsers
    that open the page to print it apply it (no 'unsafe-inline')."""
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    hashes = [f"'sha256-{base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()}'"
              for block in _STYLE_BLOCK.findall(html)]
    if hashes:
        response._csp_update = {"style-src": hashes}  # django-csp's csp_update, per answer
    return response


class FiscalSettingsView(APIView):

    @extend_schema(responses={200: FiscalProfileSerializer}, tags=["fiscal"],
                   summary="The venue's fiscal identity and tax rates",
                   examples=[response_example("Fiscal profile", examples.FISCAL_PROFILE)])
    def get(self, request: Request) -> Response:
        return Response(FiscalProfileSerializer(selectors.fiscal_profile()).data)

    @extend_schema(request=FiscalProfileSerializer, responses={200: FiscalProfileSerializer,
                                                               400: ERROR},
                   tags=["fiscal"], summary="Change the fiscal identity or rates (venue admin)",
                   examples=[OpenApiExample("Identity", request_only=True, value={
                       "legal_name": "Teatro Demo, C.A.", "rif": "J-12345678-4",
                       "fiscal_address": "Av. Urdaneta, Caracas"}),
                             response_example("Fiscal profile after the change",
                                              examples.FISCAL_PROFILE)])
    def patch(self, request: Request) -> Response:
        serializer = FiscalProfileSerializer(selectors.fiscal_profile(), data=request.data,
                                             partial=True)
        serializer.is_valid(raise_exception=True)
        profile = services.update_fiscal_profile(changes=serializer.validated_data)
        return Response(FiscalProfileSerializer(profile).data)


@extend_schema(tags=["fiscal"])
@extend_schema_view(**viewset_examples(
    "Series", examples.SERIES_CREATED, create=examples.SERIES_REQUEST,
    patch=examples.SERIES_PATCH,
    actions=("list", "create", "retrieve", "update", "partial_update")))  # no DELETE
class FiscalSeriesViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          mixins.CreateModelMixin, mixins.UpdateModelMixin,
                          viewsets.GenericViewSet):
    """Numbering series per document kind (and optionally per POS terminal)."""

    queryset = FiscalSeries.objects.all()
    serializer_class = FiscalSeriesSerializer
    pagination_class = None


@extend_schema(tags=["fiscal"])
@extend_schema_view(**viewset_examples("Exchange rate", examples.EXCHANGE_RATE,
                                       create=examples.EXCHANGE_RATE_REQUEST,
                                       patch=examples.EXCHANGE_RATE_PATCH))
class ExchangeRateViewSet(viewsets.ModelViewSet):
    """BCV rates, Bs per unit of a foreign currency, one per currency and day."""

    queryset = ExchangeRate.objects.select_related("created_by")
    serializer_class = ExchangeRateSerializer

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user)


@extend_schema(tags=["fiscal"])
@extend_schema_view(retrieve=extend_schema(examples=[
    response_example("An invoice with its fiscal snapshot", examples.DOCUMENT)]))
class FiscalDocumentViewSet(viewsets.ReadOnlyModelViewSet):
    """Issued documents. Cashiers see those of their own sales; admins and operators all."""


    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return FiscalDocument.objects.none()
        queryset = selectors.documents_visible_to(self.request.user)
        params = self.request.query_params
        if params.get("kind"):
            queryset = queryset.filter(kind=params["kind"])
        if params.get("day"):
            day = DayQuerySerializer(data={"day": params["day"]})
            day.is_valid(raise_exception=True)
            queryset = queryset.filter(fiscal_day=day.validated_data["day"])
        if params.get("transaction", "").isdigit():
            queryset = queryset.filter(transaction_id=int(params["transaction"]))
        return queryset

    def get_serializer_class(self):
        return FiscalDocumentListSerializer if self.action == "list" else FiscalDocumentSerializer

    def get_object(self):
        pk = str(self.kwargs["pk"])
        if not pk.isdigit():  # a malformed id ("null") is a 404, not a 500 (found by fuzzing)
            raise DocumentNotFound()
        document = self.get_queryset().filter(pk=int(pk)).first()
        if document is None:
            raise DocumentNotFound()
        return document

    @extend_schema(parameters=[
        OpenApiParameter("kind", str, enum=["invoice", "payment_receipt", "credit_note",
                                            "debit_note"]),
        OpenApiParameter("day", OpenApiTypes.DATE), OpenApiParameter("transaction", int)],
        examples=[response_example("Documents, newest first", examples.DOCUMENT_LIST_ITEM)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={(200, "text/html"): HTML},
                   summary="The document as 80 mm HTML",
                   examples=[response_example("Invoice (abridged)", examples.DOCUMENT_HTML,
                                              media_type="text/html")])
    @action(detail=True, methods=["get"])
    def html(self, request: Request, pk: int) -> HttpResponse:
        return _html_response(printing.document_html(self.get_object()))

    @extend_schema(responses={(200, "application/pdf"): PDF},
                   summary="The document as PDF (same template)",
                   examples=[response_example("PDF", examples.PDF,
                                              media_type="application/pdf")])
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: int) -> HttpResponse:
        document = self.get_object()
        html = printing.document_html(document)
        return _pdf_response(printing.html_to_pdf(html), document.display_number)

    @extend_schema(
        request=DebitNoteRequestSerializer,
        responses={201: FiscalDocumentSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
        summary="Increase an invoiced sale: a debit note referring to the invoice",
        examples=[request_example("A home delivery charge of USD 2",
                                  examples.DEBIT_NOTE_REQUEST),
                  response_example("Debit note", examples.DEBIT_NOTE, status=201)],
    )
    @action(detail=True, methods=["post"], url_path="debit-note")
    def debit_note(self, request: Request, pk: int) -> Response:
        serializer = DebitNoteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        note = services.issue_debit_note(
            invoice_id=int(pk), reason=data["reason"], issued_by=request.user,
            lines=[Line(description=line["description"], quantity=line["quantity"],
                        unit_price=line["unit_price"],
                        tax_category=TaxCategory(line["tax_category"]))
                   for line in data["lines"]],
            terminal=pos_terminal(request),
        )
        return Response(FiscalDocumentSerializer(note).data, status=status.HTTP_201_CREATED)


class XReportView(APIView):

    @extend_schema(parameters=[DayQuerySerializer], responses={200: REPORT},
                   summary="X report: the fiscal day's totals so far (changes nothing)",
                   tags=["fiscal"],
                   examples=[response_example("Totals so far", examples.X_REPORT)])
    def get(self, request: Request) -> Response:
        query = DayQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(selectors.x_report(day=query.validated_data.get("day")))


class ZReportView(APIView):

    @extend_schema(request=DayQuerySerializer,
                   responses={201: ZReportSerializer, 400: ERROR, 409: ERROR},
                   summary="Z report: close the fiscal day (America/Caracas)", tags=["fiscal"],
                   examples=[request_example("Close a given day (default: today)",
                                             {"day": examples.Z_REPORT["fiscal_day"]}),
                             response_example("Z report 1", examples.Z_REPORT, status=201)])
    def post(self, request: Request) -> Response:
        serializer = DayQuerySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.close_fiscal_day(day=serializer.validated_data.get("day"),
                                           closed_by=request.user)
        return Response(ZReportSerializer(report).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["fiscal"])
@extend_schema_view(
    list=extend_schema(examples=[response_example("Z reports", examples.Z_REPORT)]),
    retrieve=extend_schema(examples=[response_example("Z report 1", examples.Z_REPORT)]),
)
class ZReportViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = ZReport.objects.select_related("created_by")
    serializer_class = ZReportSerializer


@extend_schema(tags=["fiscal"])
@extend_schema_view(
    list=extend_schema(examples=[response_example("Shifts, newest first", examples.SHIFT)]),
    retrieve=extend_schema(examples=[response_example("Shift 7", examples.SHIFT)]),
)
class ShiftViewSet(viewsets.ReadOnlyModelViewSet):
    """Closed cashier shifts. Cashiers see their own; venue admins and operators all."""

    serializer_class = ShiftSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Shift.objects.none()
        return selectors.shifts_visible_to(self.request.user)

    def get_object(self):
        pk = str(self.kwargs["pk"])
        if not pk.isdigit():  # a malformed id is a 404, as for documents
            raise ShiftNotFound()
        shift = self.get_queryset().filter(pk=int(pk)).first()
        if shift is None:
            raise ShiftNotFound()
        return shift

    @extend_schema(
        request=ShiftCloseSerializer,
        responses={201: ShiftSerializer, 400: ERROR, 409: ERROR, 503: ERROR},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        summary="Close the signed-in cashier's shift at the terminal of X-POS-Terminal",
        description=(
            "Locks every document the caller issued at this terminal since their last "
            "close into a new shift (consecutive number) with what the till took, by "
            "method and currency, net of the change given in Bs. `opening_float`: the "
            "cash the drawer started with; `declared`: the cash counted in it; "
            "`difference` is declared minus expected (the float plus what was kept) per "
            "currency (a currency left out counts as none). With nothing sold since the last close "
            "the shift is empty, still recorded."),
        examples=[request_example("The drawer counted", examples.SHIFT_CLOSE_REQUEST),
                  response_example("Shift 7", examples.SHIFT, status=201)],
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def close(self, request: Request) -> Response:
        serializer = ShiftCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shift = services.close_shift(
            cashier=request.user, terminal=pos_terminal(request),
            declared=serializer.validated_data.get("declared"),
            opening_float=serializer.validated_data.get("opening_float"))
        return Response(ShiftSerializer(shift).data, status=status.HTTP_201_CREATED)


class TicketPrintView(APIView):
    """A ticket with a QR code of its code, as 80 mm HTML or PDF."""


    @extend_schema(responses={(200, "text/html"): HTML, (200, "application/pdf"): PDF,
                              404: ERROR}, tags=["fiscal"],
                   summary="Print a ticket (HTML; append pdf/ for PDF)",
                   examples=[response_example("Ticket A1 (abridged)", examples.TICKET_HTML,
                                              media_type="text/html"),
                             response_example("PDF", examples.PDF,
                                              media_type="application/pdf")])
    def get(self, request: Request, pk: int, fmt: str = "html") -> HttpResponse:
        ticket = selectors.tickets_visible_to(request.user).filter(pk=pk).first()
        if ticket is None:
            raise TicketNotFound()
        html = printing.ticket_html(ticket)
        if fmt == "pdf":
            return _pdf_response(printing.html_to_pdf(html), ticket.code)
        return _html_response(html)



class SalesBookView(APIView):
    """The Libro de Ventas of a month: JSON, XLSX or PDF (fiscal.sales_book)."""

    content_negotiation_class = FileFormatNegotiation
    FORMATS = ("json", "xlsx", "pdf")

    @extend_schema(
        tags=["fiscal"],
        parameters=[OpenApiParameter("month", str, required=True,
                                     description="YYYY-MM (fiscal days, America/Caracas)"),
                    OpenApiParameter("format", str, enum=list(FORMATS),
                                     description="default json")],
        summary="Libro de Ventas: one line per fiscal document of the month, and its totals",
        description=(
            "Invoices, debit notes (+) and credit notes (negative, naming the invoice they affect) "
            "whose fiscal day is in the month; payment receipts are not fiscal documents "
            "and are left out. Totals: the sum of the month's Z reports. XLSX with typed "
            "cells, PDF in A4 landscape."),
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description=(
                "`{month, issuer, lines: [{line, document, date, kind, number, "
                "control_number, buyer_name, buyer_tax_id, affects, total_ves, exempt_ves, "
                "base_total_ves, iva_total_ves, municipal_ves, igtf_ves, amount_due_ves, "
                "taxes}], totals: {documents, counts, ..., by_category, taxes}, "
                "generated_at}`")),
            (200, XLSX_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.BINARY,
                                                    description="XLSX workbook"),
            (200, PDF_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.BINARY,
                                                   description="PDF, A4 landscape"),
            400: ERROR,
        },
        examples=[response_example("November's book", examples.SALES_BOOK,
                                   media_type="application/json")],
    )
    @stale_reads_ok()  # a report: the hot standby may serve it (pos.replica)
    def get(self, request: Request) -> HttpResponse:
        fmt = str(request.query_params.get("format") or "json")
        if fmt not in self.FORMATS:
            raise InvalidExportQuery(f"format must be one of {', '.join(self.FORMATS)}, not "
                                     f"{fmt[:20]!r}.", field="format", code="invalid_format")
        book = SalesBook(parse_month(request.query_params.get("month")))
        if fmt == "json":
            return Response(book.as_dict())
        if fmt == "xlsx":
            return attachment(FileResponse(xlsx_file([book.sheet()],
                                                     time_zone=selectors.FISCAL_TZ),
                                           content_type=XLSX_MEDIA_TYPE),
                              f"{book.file_stem}.xlsx")
        return attachment(HttpResponse(book.pdf(), content_type=PDF_MEDIA_TYPE),
                          f"{book.file_stem}.pdf")
