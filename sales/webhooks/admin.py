"""The webhooks in the Django admin: venue admins deactivate or delete endpoints and read
the delivery log with its attempts, and replay deliveries. Endpoints are registered and
their secrets rotated through the API, which shows a secret once (the admin never shows
one)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from pos.errors import DomainError
from sales.webhooks import services
from sales.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "events", "is_active", "description", "created_by", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    fields = ["url", "events", "description", "is_active", "previous_secret_expires_at",
              "created_by", "created_at", "updated_at"]
    readonly_fields = ["url", "events", "previous_secret_expires_at", "created_by",
                       "created_at", "updated_at"]
    actions = ["send_ping"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # POST /api/webhooks/endpoints/ (it shows the new secret once)

    def save_model(self, request, obj: WebhookEndpoint, form, change) -> None:
        services.update_endpoint(endpoint=obj, description=obj.description,
                                 is_active=obj.is_active)

    def delete_model(self, request, obj: WebhookEndpoint) -> None:
        services.delete_endpoint(endpoint=obj)

    def delete_queryset(self, request, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            services.delete_endpoint(endpoint=endpoint)

    @admin.action(description="Send a test event (ping)", permissions=["change"])
    def send_ping(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            try:
                services.send_ping(endpoint=endpoint, user=request.user)
            except DomainError as exc:
                self.message_user(request, f"{endpoint.url}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"Ping queued for {endpoint.url}.")


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "duration_ms", "status_code", "error", "response_body"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "event_type", "event_id", "endpoint", "status", "attempts",
                    "last_status_code", "next_attempt_at", "created_at"]
    list_filter = ["status", "event_type", "endpoint"]
    search_fields = ["event_id"]
    list_select_related = ["endpoint"]
    readonly_fields = ["endpoint", "event_type", "event_id", "status", "attempts",
                       "next_attempt_at", "last_status_code", "replay_of", "requested_by",
                       "created_at", "finished_at", "body"]
    fields = readonly_fields
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Replay the selected deliveries (same event id)",
                  permissions=["change"])
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        done = 0
        for delivery in queryset.select_related("endpoint"):
            try:
                services.replay_delivery(delivery=delivery, user=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"Delivery {delivery.pk}: {exc.message}",
                                  messages.ERROR)
        if done:
            self.message_user(request, f"{done} replay(s) queued.")
