from django.urls import path

from sales.exports import views
from sales.exports.selectors import EXPORTS

# One path per export (`export-sales`, `export-payments`, ...): each its own operation in
# the API schema and its own line in the role matrix.
urlpatterns = [
    path(f"exports/{kind}/", views.ExportView.as_view(), {"kind": kind}, name=f"export-{kind}")
    for kind in EXPORTS
]
