"""Admin for the platform (public schema) and for each venue organisation's own settings.

The Django admin registry is global to the process, so models that live in the public
schema and concern every tenant (tenants, domains, the Celery beat schedule) are hidden
on a tenant's host: a venue admin never sees another organisation."""

from django.contrib import admin
from django.db import connection
from django_tenants.utils import get_public_schema_name

from pos.forms import StrictDecimalAdmin
from tenants.models import Domain, Tenant, TenantSettings


def on_public_schema() -> bool:
    return connection.schema_name == get_public_schema_name()


class PublicSchemaOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return on_public_schema() and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return on_public_schema() and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return on_public_schema() and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return on_public_schema() and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return on_public_schema() and super().has_delete_permission(request, obj)


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(PublicSchemaOnlyAdmin):
    list_display = ["schema_name", "name", "created_at"]
    search_fields = ["schema_name", "name"]
    inlines = [DomainInline]


@admin.register(Domain)
class DomainAdmin(PublicSchemaOnlyAdmin):
    list_display = ["domain", "tenant", "is_primary"]


@admin.register(TenantSettings)
class TenantSettingsAdmin(StrictDecimalAdmin, admin.ModelAdmin):
    """On a tenant's host, its venue admins see and change only their own settings."""

    list_display = [
        "tenant",
        "reservation_hold_minutes",
        "partial_payment_hours",
        "max_reservations_per_session",
        "cleanup_interval_minutes",
        "time_zone",
        "reservation_reminder_hours",
        "mail_language",
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("tenant")
        if on_public_schema():
            return queryset
        return queryset.filter(tenant__schema_name=connection.schema_name)

    def has_add_permission(self, request):
        return on_public_schema() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return on_public_schema() and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return ["tenant"] if not on_public_schema() else []


def _restrict_celery_beat_admin_to_public_schema() -> None:
    for model, model_admin in list(admin.site._registry.items()):
        if model._meta.app_label != "django_celery_beat":
            continue
        restricted = type(
            f"Public{type(model_admin).__name__}",
            (PublicSchemaOnlyAdmin, type(model_admin)),
            {},
        )
        admin.site.unregister(model)
        admin.site.register(model, restricted)


_restrict_celery_beat_admin_to_public_schema()
