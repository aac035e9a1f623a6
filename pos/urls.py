"""URLs served on a tenant's host name (e.g. demo.localhost)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from pos.docs_views import RedocView
from pos.health import healthz

handler400 = "pos.api.json_bad_request"
handler403 = "pos.api.json_permission_denied"
handler404 = "pos.api.json_not_found"
handler500 = "pos.api.json_server_error"

api_patterns = [
    path("", include("tenants.urls")),
    path("", include("sales.checkout.urls")),
    path("", include("sales.checkin.urls")),
    path("", include("sales.blocks.urls")),
    path("", include("sales.dashboard.urls")),
    path("", include("reservations.urls")),
    path("", include("sales.urls")),
    path("", include("fiscal.urls")),
    path("", include("sales.exports.urls")),
    path("", include("tenants.staff.urls")),
    path("", include("sales.mail.urls")),
    path("", include("sales.webhooks.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (`?script`), not inline:
    # the Content-Security-Policy allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/", include(api_patterns)),
    path("sales/", include("sales.urls_pos")),
    path("pos/", include("pos.web.urls")),
    path("admin/", admin.site.urls),
]
