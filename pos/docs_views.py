"""The API docs pages (Swagger UI at /api/docs/, ReDoc at /api/redoc/) under the
Content-Security-Policy. Both come from drf-spectacular-sidecar's static files, with
templates of our own (pos/templates/drf_spectacular/) that carry no inline script or style.

ReDoc renders with styled-components, which writes `<style>` elements at run time, and
parses the schema in a web worker it starts from a blob: URL: its page alone allows
inline styles and blob: workers. Scripts stay same-origin only, there as everywhere."""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularRedocView

REDOC_CSP = {"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}


@method_decorator(csp_update(REDOC_CSP), name="dispatch")
class RedocView(SpectacularRedocView):
    pass
