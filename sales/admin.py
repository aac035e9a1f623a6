from django.contrib import admin

from pos.forms import StrictDecimalAdmin
from reservations.models import StatusChange
from sales.models import Event, Payment, Seat, Ticket, Transaction, Venue, Zone


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["name", "city"]
    search_fields = ["name"]


class ZoneInline(StrictDecimalAdmin, admin.TabularInline):
    model = Zone
    extra = 0


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["name", "venue", "starts_at", "currency", "status"]
    list_filter = ["status", "venue"]
    search_fields = ["name"]
    inlines = [ZoneInline]


@admin.register(Zone)
class ZoneAdmin(StrictDecimalAdmin, admin.ModelAdmin):
    list_display = ["name", "event", "kind", "capacity", "price", "tax_category"]
    list_filter = ["kind", "event"]


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    list_display = ["label", "zone", "row", "number"]
    list_filter = ["zone__event"]
    search_fields = ["label"]
    list_select_related = ["zone"]


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    readonly_fields = ["method", "currency", "amount", "exchange_rate", "received_by",
                       "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


class StatusChangeInline(admin.TabularInline):
    """The audit trail of the sale, its held items and its payments: who, when, from, to,
    why."""

    model = StatusChange
    extra = 0
    can_delete = False
    fields = ["created_at", "subject", "subject_id", "from_status", "to_status", "reason",
              "actor", "note"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    verbose_name_plural = "history (audit trail)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    """Read-mostly: sales change state only through the services (API), never here."""

    list_display = ["id", "event", "status", "cashier", "subtotal", "currency",
                    "payment_deadline", "created_at"]
    list_filter = ["status", "event"]
    search_fields = ["id", "customer_name", "customer_tax_id"]
    list_select_related = ["event", "cashier"]
    readonly_fields = ["event", "cashier", "status", "currency", "subtotal", "payment_deadline",
                       "extensions_used", "created_at", "updated_at", "completed_at"]
    inlines = [PaymentInline, StatusChangeInline]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["id", "transaction", "method", "currency", "amount", "received_by",
                    "created_at"]
    list_filter = ["method", "currency"]
    readonly_fields = ["transaction", "method", "currency", "amount", "exchange_rate",
                       "received_by", "created_at"]


@admin.register(Ticket)
class TicketAdmin(StrictDecimalAdmin, admin.ModelAdmin):
    list_display = ["code", "event", "zone", "seat", "price", "issued_at"]
    search_fields = ["code"]
    list_select_related = ["event", "zone", "seat"]
