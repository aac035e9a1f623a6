from django.urls import path

from tenants.views import SettingsView, TokenView

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("settings/", SettingsView.as_view(), name="tenant-settings"),
]
