"""URLs served on the platform's own host names (localhost, 127.0.0.1): health and the
platform admin (tenants, domains, the Celery beat schedule). Venue data is only ever
served on the venue's own host."""

from django.contrib import admin
from django.urls import path

from pos.health import healthz

handler400 = "pos.api.json_bad_request"
handler403 = "pos.api.json_permission_denied"
handler404 = "pos.api.json_not_found"
handler500 = "pos.api.json_server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
