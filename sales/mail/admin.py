from django.contrib import admin

from sales.mail.models import AlertSubscription, OutgoingMail


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """The e-mail log: what was sent to whom, and what failed and why (read only)."""

    list_display = ["created_at", "kind", "recipient", "status", "attempts", "sent_at",
                    "last_error"]
    list_filter = ["kind", "status"]
    search_fields = ["recipient", "key"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AlertSubscription)
class AlertSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "created_at"]
    list_filter = ["kind"]
