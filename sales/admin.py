from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from pos.admin_display import money_column, rate_column
from pos.errors import DomainError
from pos.exports import admin_export_actions
from pos.formatting import format_money
from pos.forms import StrictDecimalAdmin
from reservations.models import ReservedTicket, StatusChange
from sales import services
from sales.blocks import services as blocks
from sales.blocks.selectors import SeatSelection
from sales.checkout.services import cancel_reservation, hold_quote
from sales.exports.selectors import CHECKINS, PAYMENTS, SALES
from sales.models import (
    CheckinScan,
    Event,
    Payment,
    Seat,
    SeatBlock,
    SeatBlockChange,
    Ticket,
    Transaction,
    Venue,
    Zone,
    transaction_kind,
)
from sales.serializers import SeatRowsSerializer


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["name", "city"]
    search_fields = ["name"]


# --- The catalogue: every write through sales.services (sold means sold) ----------------


class CatalogueForm(forms.ModelForm):
    """Explains a refusal of "sold means sold" on the form, before anything is saved (the
    service checks again under its locks when it saves)."""

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.changed_data
                if name in self.cleaned_data}

    def refusal(self, changes: dict[str, Any]) -> DomainError | None:
        return None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk is not None and not self.errors:
            refusal = self.refusal(self.changes())
            if refusal is not None:
                raise ValidationError(refusal.message, code=refusal.code)
        return cleaned


class CatalogueAdmin(admin.ModelAdmin):
    """Saves and deletes through the catalogue services, which apply the rules, refresh
    availability and name what blocks a refusal; a refusal the form could not foresee (a
    sale in the meantime) comes back as a message, not a server error."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            try:
                self.delete_model(request, obj)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)


class EventForm(CatalogueForm):
    def refusal(self, changes: dict[str, Any]) -> DomainError | None:
        return services.event_change_refusal(self.instance, changes)


class ZoneInline(StrictDecimalAdmin, admin.TabularInline):
    """Zones are listed here and changed on their own page, one at a time: saving an event
    and its zones in one go would take the event's row before its zones', the reverse of the
    order holds take them in."""

    model = Zone
    extra = 0
    fields = ["name", "kind", "capacity", "price", "tax_category"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(CatalogueAdmin):
    form = EventForm
    list_display = ["name", "venue", "starts_at", "currency", "status",
                    "reservation_hold_minutes", "partial_payment_hours"]
    list_filter = ["status", "venue"]
    search_fields = ["name"]
    inlines = [ZoneInline]

    def save_model(self, request, obj: Event, form: EventForm, change: bool) -> None:
        if change:
            services.update_event(event_id=obj.pk, changes=form.changes())
        else:
            obj.pk = services.create_event(data=form.cleaned_data).pk

    def delete_model(self, request, obj: Event) -> None:
        services.delete_event(event_id=obj.pk)


class ZoneForm(CatalogueForm):
    def refusal(self, changes: dict[str, Any]) -> DomainError | None:
        return services.zone_change_refusal(self.instance, changes)


@admin.register(Zone)
class ZoneAdmin(StrictDecimalAdmin, CatalogueAdmin):
    form = ZoneForm
    list_display = ["name", "event", "kind", "capacity",
                    money_column("price", currency_field="event.currency"), "tax_category"]
    list_filter = ["kind", "event"]
    actions = ["add_seat_rows"]

    @admin.action(description="Add seats by rows (e.g. rows A-T × 30 seats)",
                  permissions=["change"])
    def add_seat_rows(self, request, queryset):
        """The API's seat rows (same input, same service) for one zone: a form first, then
        the seats, or the refusal as a message."""
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one zone to add seats to.",
                              messages.WARNING)
            return None
        zone = queryset.get()
        if "apply" not in request.POST:
            return self._seat_rows_form(request, zone, {"rows": "", "seats_per_row": "",
                                                        "first_number": 1})
        serializer = SeatRowsSerializer(data={
            key: request.POST[key] for key in ("rows", "seats_per_row", "first_number")
            if request.POST.get(key, "").strip()})
        if not serializer.is_valid():
            for field, problems in serializer.errors.items():
                self.message_user(request, f"{field}: {' '.join(map(str, problems))}",
                                  messages.ERROR)
            return self._seat_rows_form(request, zone, request.POST)
        data = serializer.validated_data
        try:
            seats = services.create_seats_in_rows(
                zone=zone, rows=services.expand_rows(data["rows"]),
                seats_per_row=data["seats_per_row"], first_number=data["first_number"])
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return self._seat_rows_form(request, zone, request.POST)
        self.message_user(request, f"Added {len(seats)} seat(s) to {zone.name} "
                                   f"({seats[0].label} to {seats[-1].label}).")
        return None

    def _seat_rows_form(self, request, zone: Zone, values) -> TemplateResponse:
        return TemplateResponse(request, "admin/sales/zone/seat_rows.html", {
            **self.admin_site.each_context(request), "title": f"Add seats to {zone}",
            "opts": self.model._meta, "zone": zone, "values": values,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME})

    def save_model(self, request, obj: Zone, form: ZoneForm, change: bool) -> None:
        if change:
            services.update_zone(zone_id=obj.pk, changes=form.changes())
        else:
            data = {k: v for k, v in form.cleaned_data.items() if k != "event"}
            obj.pk = services.create_zone(event=form.cleaned_data["event"], data=data).pk

    def delete_model(self, request, obj: Zone) -> None:
        services.delete_zone(zone_id=obj.pk)


class SeatForm(CatalogueForm):
    def refusal(self, changes: dict[str, Any]) -> DomainError | None:
        return services.seat_change_refusal(self.instance, changes)


class SeatActionForm(ActionForm):
    reason = forms.CharField(required=False, max_length=200,
                             help_text="Why (required to block)")


def _by_event(queryset) -> dict[int, list[int]]:
    seats: dict[int, list[int]] = {}
    for seat_id, event_id in queryset.values_list("id", "zone__event_id"):
        seats.setdefault(event_id, []).append(seat_id)
    return seats


def block_or_unblock(modeladmin: admin.ModelAdmin, request, seats: dict[int, list[int]], *,
                     block: bool) -> None:
    """The API's service, per event of the selected seats; the reason from the action
    bar; a refusal (held or sold seats, no reason) as a message."""
    reason = request.POST.get("reason", "").strip()
    done = 0
    for event_id, seat_ids in seats.items():
        action = blocks.block_seats if block else blocks.unblock_seats
        try:
            result = action(user=request.user, event_id=event_id, reason=reason,
                            selection=SeatSelection(seat_ids=seat_ids))
        except DomainError as exc:
            modeladmin.message_user(request, exc.message, messages.ERROR)
            continue
        done += len(result.changed)
    verb = "blocked" if block else "unblocked"
    modeladmin.message_user(request, f"{done} seat(s) {verb}.")


@admin.register(Seat)
class SeatAdmin(CatalogueAdmin):
    form = SeatForm
    action_form = SeatActionForm
    list_display = ["label", "zone", "row", "number", "blocked"]
    list_filter = ["zone__event", ("block", admin.EmptyFieldListFilter)]
    search_fields = ["label"]
    list_select_related = ["zone", "block"]
    actions = ["block_seats", "unblock_seats"]

    @admin.display(description="blocked")
    def blocked(self, obj: Seat) -> str:
        block = getattr(obj, "block", None)
        return f"blocked: {block.reason}" if block else ""

    @admin.action(description="Block selected seats (reason in the box)",
                  permissions=["change"])
    def block_seats(self, request, queryset) -> None:
        block_or_unblock(self, request, _by_event(queryset), block=True)

    @admin.action(description="Unblock selected seats", permissions=["change"])
    def unblock_seats(self, request, queryset) -> None:
        block_or_unblock(self, request, _by_event(queryset), block=False)

    def save_model(self, request, obj: Seat, form: SeatForm, change: bool) -> None:
        if change:
            services.update_seat(seat_id=obj.pk, changes=form.changes())
        else:
            obj.pk = services.create_seat(**form.cleaned_data).pk

    def delete_model(self, request, obj: Seat) -> None:
        services.delete_seat(seat_id=obj.pk)


# --- What a sale leaves behind: written only by the services ---------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records only the services write (payments by checkout and the payments API, tickets
    by the checkout that completes a sale): the admin shows them and changes nothing."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = ["method", "amount_paid", "rate", "received_by", "created_at"]
    readonly_fields = fields
    amount_paid = staticmethod(money_column("amount", currency_field="currency",
                                            description="amount"))
    rate = staticmethod(rate_column("exchange_rate", description="exchange rate (Bs)"))

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
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

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    """Read-mostly: sales change state only through the services (API, or the admin's
    release action on held items), never here. Before a fiscal document is issued, the
    customer's name, tax id and e-mail may be corrected; once one is, nothing may (it
    recorded them: a correction is a credit or debit note). Never deleted: the sale and
    its audit trail are one record."""

    list_display = ["id", "event", "kind", "status", "cashier",
                    money_column("subtotal", currency_field="currency"),
                    "paid", "balance", "payment_deadline", "created_at"]
    list_filter = ["status", "event"]
    search_fields = ["id", "customer_name", "customer_tax_id"]
    list_select_related = ["event", "cashier"]
    readonly_fields = ["event", "cashier", "status", "currency", "subtotal", "payment_deadline",
                       "extensions_used", "created_at", "updated_at", "completed_at"]
    inlines = [PaymentInline, StatusChangeInline]
    actions = ["cancel_reservations", *admin_export_actions(SALES)]

    def get_queryset(self, request):
        # What a reservation's figures need (hold_quote), in two queries for the whole page.
        return super().get_queryset(request).prefetch_related(
            Prefetch("reserved_tickets",
                     queryset=ReservedTicket.objects.select_related("seat", "zone")),
            "payments")

    @admin.display(description="kind", ordering="status")
    def kind(self, obj: Transaction) -> str:
        return transaction_kind(obj.status)

    def _reservation_quote(self, obj: Transaction):
        """A reservation's figures, as the API's transaction answer computes them (None for
        any other status, or when it cannot be priced: no exchange rate)."""
        if obj.status != Transaction.Status.RESERVED:
            return None
        if not hasattr(obj, "_admin_quote"):
            items = [i for i in obj.reserved_tickets.all()
                     if i.status == ReservedTicket.Status.ACTIVE]
            obj._admin_quote = hold_quote(obj, items)
        return obj._admin_quote

    @admin.display(description="paid")
    def paid(self, obj: Transaction) -> str:
        quote = self._reservation_quote(obj)
        if quote is None:
            return "—"
        paid = quote.breakdown.paid_ves
        if obj.currency == "VES":
            return format_money(paid, "VES")
        return (f"{format_money(quote.in_sale_currency(paid), obj.currency)} "
                f"({format_money(paid, 'VES')})")

    @admin.display(description="balance")
    def balance(self, obj: Transaction) -> str:
        quote = self._reservation_quote(obj)
        if quote is None:
            return "—"
        due = quote.amounts_due
        return " / ".join(format_money(due[c], c)
                          for c in sorted(due, key=lambda c: c != obj.currency))

    @admin.action(description="Cancel selected reservations (seats freed, payments handed "
                              "back)", permissions=["change"])
    def cancel_reservations(self, request, queryset) -> None:
        """Through the till's service, as the API does (audit rows name the admin)."""
        done = 0
        for tx_id in queryset.values_list("id", flat=True):
            try:
                cancel_reservation(user=request.user, transaction_id=tx_id,
                                   reason="cancelled in the admin")
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{tx_id}: {exc.message}", level=messages.WARNING)
        if done:
            self.message_user(request, f"{done} reservation(s) cancelled.")

    def has_change_permission(self, request, obj: Transaction | None = None) -> bool:
        if obj is not None and Transaction.has_fiscal_document(obj.pk):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj: Transaction | None = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["id", "transaction", "method",
                    money_column("amount", currency_field="currency"), "received_by",
                    "created_at"]
    list_filter = ["method", "currency"]
    actions = admin_export_actions(PAYMENTS)


@admin.register(CheckinScan)
class CheckinScanAdmin(ReadOnlyAdmin):
    """The door's log, as scanned (sales.checkin): read and exported, never changed."""

    list_display = ["scanned_at", "action", "result", "reason", "ticket", "gate", "device",
                    "user", "offline"]
    list_filter = ["result", "action", "offline", "gate"]
    search_fields = ["code", "ticket__code"]
    list_select_related = ["ticket", "user"]
    date_hierarchy = "scanned_at"
    actions = admin_export_actions(CHECKINS)


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["code", "event", "zone", "seat",
                    money_column("price", currency_field="event.currency"), "issued_at"]
    search_fields = ["code"]
    list_select_related = ["event", "zone", "seat"]


# --- Blocked seats: written only by sales.blocks.services (audited) ----------------------


@admin.register(SeatBlock)
class SeatBlockAdmin(admin.ModelAdmin):
    """The blocked seats. Blocked from the seats' list (action "Block selected seats");
    unblocked here or there, through the same service as the API (audited)."""

    action_form = SeatActionForm
    list_display = ["seat", "zone", "event", "reason", "blocked_by", "created_at"]
    list_filter = ["seat__zone__event"]
    search_fields = ["seat__label", "reason"]
    list_select_related = ["seat__zone__event", "blocked_by"]
    readonly_fields = ["seat", "reason", "blocked_by", "created_at"]
    actions = ["unblock"]

    @admin.display(description="zone")
    def zone(self, obj: SeatBlock) -> str:
        return obj.seat.zone.name

    @admin.display(description="event")
    def event(self, obj: SeatBlock) -> str:
        return obj.seat.zone.event.name

    @admin.action(description="Unblock selected seats (back on sale)", permissions=["unblock"])
    def unblock(self, request, queryset) -> None:
        block_or_unblock(self, request, _by_event(Seat.objects.filter(
            id__in=queryset.values_list("seat_id", flat=True))), block=False)

    def has_unblock_permission(self, request) -> bool:
        return request.user.has_perm("sales.change_seat")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # unblock is the audited way
        return actions

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SeatBlockChange)
class SeatBlockChangeAdmin(ReadOnlyAdmin):
    """The audit of blocks and unblocks: append-only."""

    list_display = ["created_at", "event", "action", "reason", "seats", "user"]
    list_filter = ["action", "event"]
    list_select_related = ["event", "user"]

    @admin.display(description="seats")
    def seats(self, obj: SeatBlockChange) -> str:
        return ", ".join(obj.labels[:30]) + (" …" if len(obj.labels) > 30 else "")
