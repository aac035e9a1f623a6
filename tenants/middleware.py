"""Tenant routing by host name (django-tenants), with the host → tenant lookup
remembered per process (tenants.identity)."""

from __future__ import annotations

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_tenants.middleware.main import TenantMainMiddleware

from tenants import identity
from tenants.models import Tenant


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
