from django.contrib import admin

from fiscal.models import ExchangeRate, FiscalProfile


@admin.register(FiscalProfile)
class FiscalProfileAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "rif", "iva_general", "igtf", "prices_include_tax"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["valid_on", "currency", "rate", "source", "created_by"]
    list_filter = ["currency", "source"]
    date_hierarchy = "valid_on"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
