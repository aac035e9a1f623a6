from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from fiscal.exports import DOCUMENTS
from fiscal.models import (
    ExchangeRate,
    FiscalDocument,
    FiscalProfile,
    FiscalSeries,
    Shift,
    VoidedTicket,
    ZReport,
)
from fiscal.printing import document_html
from pos.admin_display import money_column, rate_column
from pos.exports import admin_export_actions
from pos.forms import StrictDecimalAdmin


@admin.register(FiscalProfile)
class FiscalProfileAdmin(StrictDecimalAdmin, admin.ModelAdmin):
    list_display = ["legal_name", "rif", "iva_general", "igtf", "prices_include_tax"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExchangeRate)
class ExchangeRateAdmin(StrictDecimalAdmin, admin.ModelAdmin):
    list_display = ["valid_on", "currency", rate_column("rate", description="rate (Bs)"),
                    "source", "created_by"]
    list_filter = ["currency", "source"]
    date_hierarchy = "valid_on"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(FiscalSeries)
class FiscalSeriesAdmin(admin.ModelAdmin):
    list_display = ["kind", "terminal", "code", "control_prefix", "next_number",
                    "next_control_number"]

    def get_readonly_fields(self, request, obj=None):
        # Counters move only by issuing documents.
        return ["kind", "next_number", "next_control_number"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Issued documents, Z reports and closed shifts are immutable: the admin only shows
    them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FiscalDocument)
class FiscalDocumentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "control_number", "issued_at", "buyer_name",
                    money_column("total_ves", currency="VES"),
                    money_column("amount_due_ves", currency="VES"), "terminal", "z_report", "shift",
                    "print_link"]
    list_filter = ["kind", "fiscal_day", "terminal"]
    search_fields = ["control_number", "buyer_name", "buyer_tax_id"]
    readonly_fields = ["print_link"]
    actions = admin_export_actions(DOCUMENTS)

    def get_urls(self):
        # The API's print views take a token; this one takes the admin's session.
        return [path("<int:pk>/print/", self.admin_site.admin_view(self.print_view),
                     name="fiscal_fiscaldocument_print"), *super().get_urls()]

    def print_view(self, request, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        document = get_object_or_404(FiscalDocument, pk=pk)
        return HttpResponse(document_html(document), content_type="text/html; charset=utf-8")

    @admin.display(description="print")
    def print_link(self, obj: FiscalDocument) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("admin:fiscal_fiscaldocument_print", args=[obj.pk])
        return format_html('<a href="{}" target="_blank">print</a>', url)


@admin.register(ZReport)
class ZReportAdmin(ReadOnlyAdmin):
    list_display = ["number", "fiscal_day", "created_at", "created_by"]


@admin.register(Shift)
class ShiftAdmin(ReadOnlyAdmin):
    list_display = ["number", "cashier", "terminal", "opened_at", "closed_at"]
    list_filter = ["terminal"]
    list_select_related = ["cashier"]


@admin.register(VoidedTicket)
class VoidedTicketAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "credit_note", "voided_at"]
