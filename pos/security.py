"""Response hardening that Django's settings cannot express on their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import csp.middleware
import csp.utils
from csp.constants import HEADER, HEADER_REPORT_ONLY
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.functional import cached_property


class SecureCookiesOnHttpsMiddleware:
    """Marks every cookie of an answer to an HTTPS request `Secure` (the session, CSRF and
    language cookies). SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE would mark them on
    plain HTTP too, where a browser then never sends them back (`make run` serves
    http://demo.localhost:8000/). HTTPS is what `request.is_secure()` says: the scheme, or
    X-Forwarded-Proto from the TLS proxy (SECURE_PROXY_SSL_HEADER)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the venue's policy (settings.CONTENT_SECURITY_POLICY)
    built once per process: django-csp builds the header from the settings on every
    answer, which cost the API's hot path more than the tenant look-up. An answer that
    changes the policy (`csp_update` on the API docs, a nonce used, an exemption, a
    header already set) goes through django-csp's own path, unchanged."""

    _PER_ANSWER = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt",
                   "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro", "_csp_exempt_ro")

    @cached_property
    def _policies(self) -> tuple[str, str]:
        no_change = asdict(csp.middleware.PolicyParts())
        for name in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
            if (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES"):
                return "", ""  # per path: never built once (not used here)
        return (csp.utils.build_policy(**no_change),
                csp.utils.build_policy(**no_change, report_only=True))

    def process_response(self, request: HttpRequest,
                         response: HttpResponseBase) -> HttpResponseBase:
        policy, report_only = self._policies
        if (not policy or getattr(request, "_csp_nonce", None) is not None
                or any(hasattr(response, name) for name in self._PER_ANSWER)
                or HEADER in response or HEADER_REPORT_ONLY in response):
            return super().process_response(request, response)
        response[HEADER] = policy
        if report_only:
            response[HEADER_REPORT_ONLY] = report_only
        # As django-csp: a nonce asked for after the header is written is an error.
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
