"""Tenant routing by host name (django-tenants), with the host → tenant lookup
remembered per process (tenants.identity)."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django_tenants.middleware.main import TenantMainMiddleware

from tenants import identity
from tenants.models import Tenant
from tenants.services import current_time_zone


def unknown_host(request: HttpRequest) -> JsonResponse:
    """A host name no venue answers on (or one outside ALLOWED_HOSTS): django-tenants would
    answer an empty text/html 404."""
    return JsonResponse({"detail": "No venue is served at this host name.",
                         "code": "unknown_host"}, status=404)


class CachedTenantMiddleware(TenantMainMiddleware):
    """First in the stack: the whole request reads the identity version once."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with identity.one_version_per_request():
            return super().__call__(request)

    @staticmethod
    def hostname_from_request(request: HttpRequest) -> str:
        try:
            return TenantMainMiddleware.hostname_from_request(request)
        except DisallowedHost:
            # Not in ALLOWED_HOSTS: no domain row has this name, so the tenant look-up
            # below answers it as an unknown host.
            return ""

    def get_tenant(self, domain_model, hostname: str) -> Tenant:
        if not hostname:
            raise domain_model.DoesNotExist
        return identity.tenant_for_hostname(hostname)

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponse:
        return unknown_host(request)


class TenantTimeZoneMiddleware:
    """The venue's clock for the whole request: the admin, the printed documents and the
    API's datetimes (ISO 8601, with the zone's offset) are in the tenant's time zone, not
    the server's. The zone comes with the settings each request already remembers
    (tenants.identity), so this costs no query once a worker has seen the tenant."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.activate(current_time_zone())
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
