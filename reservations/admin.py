from django.contrib import admin, messages
from django.utils import timezone

from pos.errors import DomainError
from reservations.models import (
    Alert,
    CleanupRun,
    ExtensionJob,
    HoldAttempt,
    ReservationStatsSnapshot,
    ReservedTicket,
    StatusChange,
)
from reservations.monitoring import acknowledge_alert
from reservations.services import release_hold
from sales.models import Transaction, transaction_kind


@admin.register(ReservedTicket)
class ReservedTicketAdmin(admin.ModelAdmin):
    list_display = ["id", "seat_or_quantity", "event", "kind", "transaction_id", "status",
                    "reserved_until", "time_left", "created_by"]
    list_filter = ["status", "event"]
    list_select_related = ["seat", "zone", "event", "created_by", "transaction"]
    search_fields = ["seat__label", "transaction__id"]
    readonly_fields = [f.name for f in ReservedTicket._meta.fields]
    actions = ["release_selected"]

    @admin.display(description="seat / quantity")
    def seat_or_quantity(self, obj: ReservedTicket) -> str:
        return obj.seat.label if obj.seat_id else f"{obj.zone.name} × {obj.quantity}"

    @admin.display(description="kind", ordering="transaction__status")
    def kind(self, obj: ReservedTicket) -> str:
        """What the item belongs to: a hold (pending), a reservation (reserved: partly
        paid, see its transaction for the balance) or a sale (completed)."""
        return transaction_kind(obj.transaction.status)

    @admin.display(description="time left")
    def time_left(self, obj: ReservedTicket) -> str:
        if obj.status != ReservedTicket.Status.ACTIVE:
            return "—"
        left = obj.reserved_until - timezone.now()
        if left.total_seconds() <= 0:
            return "expired (not yet recorded)"
        minutes, seconds = divmod(int(left.total_seconds()), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s"

    @admin.action(description="Release selected holds")
    def release_selected(self, request, queryset):
        released = failed = seats_freed = places_freed = 0
        for tx_id, seats in _seats_by_transaction(queryset).items():
            # Only general admission selected: the whole hold goes, seats and places.
            whole = ReservedTicket.objects.filter(
                transaction_id=tx_id, status=ReservedTicket.Status.ACTIVE)
            freed = list(whole.filter(seat_id__in=seats) if seats else whole)
            try:
                release_hold(user=request.user, transaction_id=tx_id, seat_ids=seats or None,
                             reason=StatusChange.Reason.ADMIN)
            except DomainError as exc:
                failed += 1
                self.message_user(request, f"Hold {tx_id}: {exc.message}", messages.WARNING)
                continue
            released += 1
            seats_freed += sum(1 for item in freed if item.seat_id)
            places_freed += sum(item.quantity for item in freed if not item.seat_id)
        ga = f", {places_freed} general admission place(s)" if places_freed else ""
        self.message_user(request, f"Released {released} hold(s) ({seats_freed} seat(s){ga}); "
                                   f"{failed} could not be.")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The items of a sale with a fiscal document are as issued (its release action still
        # lists them and refuses them: the sale is not a hold any more).
        if obj is not None and Transaction.has_fiscal_document(obj.transaction_id):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


def _seats_by_transaction(queryset) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = {}
    for tx_id, seat_id in queryset.filter(status=ReservedTicket.Status.ACTIVE).values_list(
        "transaction_id", "seat_id"
    ):
        grouped.setdefault(tx_id, [])
        if seat_id:
            grouped[tx_id].append(seat_id)
    return grouped


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "subject", "subject_id", "from_status", "to_status", "reason",
                    "actor"]
    list_filter = ["subject", "reason", "to_status"]
    search_fields = ["subject_id", "transaction__id"]
    readonly_fields = [f.name for f in StatusChange._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the jobs write: operators read them, nobody edits them by hand."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "status", "message", "last_seen_at",
                    "acknowledged_by"]
    list_filter = ["status", "kind"]
    list_select_related = ["acknowledged_by"]
    search_fields = ["message", "key"]
    actions = ["acknowledge_selected"]

    @admin.action(description="Acknowledge selected alerts", permissions=["change"])
    def acknowledge_selected(self, request, queryset):
        done = 0
        for alert_id in queryset.filter(status=Alert.Status.OPEN).values_list("id", flat=True):
            acknowledge_alert(alert_id=alert_id, user=request.user)
            done += 1
        self.message_user(request, f"Acknowledged {done} alert(s).")


@admin.register(CleanupRun)
class CleanupRunAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "trigger", "status", "holds_expired", "transactions_expired",
                    "started_at", "finished_at"]
    list_filter = ["status", "trigger"]


@admin.register(ExtensionJob)
class ExtensionJobAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "job_id", "requested_by", "hours", "event_id", "status",
                    "reservations", "tickets", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["requested_by"]


@admin.register(ReservationStatsSnapshot)
class ReservationStatsSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["taken_at", "event", "active_holds", "live_reservations", "expiring_soon",
                    "completed", "expired", "cancelled", "conversion_rate", "abandonment_rate"]
    list_filter = ["event"]
    list_select_related = ["event"]
    date_hierarchy = "taken_at"


@admin.register(HoldAttempt)
class HoldAttemptAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event", "seat", "zone", "outcome", "user"]
    list_filter = ["outcome", "event"]
    list_select_related = ["event", "seat", "zone", "user"]
