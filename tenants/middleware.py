"""Tenant routing by host name (django-tenants), with the host → tenant lookup
remembered per process (tenants.identity)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django_tenants.middleware.main import TenantMainMiddleware

from tenants import identity
from tenants.models import Tenant


class CachedTenantMiddleware(TenantMainMiddleware):
    """First in the stack: the whole request reads the identity version once."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with identity.one_version_per_request():
            return super().__call__(request)

    def get_tenant(self, domain_model, hostname: str) -> Tenant:
        return identity.tenant_for_hostname(hostname)
