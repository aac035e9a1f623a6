"""Tenant routing by host name (django-tenants), with the host → tenant lookup
remembered per process (tenants.identity)."""

from __future__ import annotations

from django_tenants.middleware.main import TenantMainMiddleware

from tenants import identity
from tenants.models import Tenant


class CachedTenantMiddleware(TenantMainMiddleware):
    def get_tenant(self, domain_model, hostname: str) -> Tenant:
        return identity.tenant_for_hostname(hostname)
