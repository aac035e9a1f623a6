from __future__ import annotations

from django.db.models import QuerySet
from django_tenants.utils import get_public_schema_name

from tenants.models import Tenant


def venue_tenants(*, schema_name: str | None = None) -> QuerySet[Tenant]:
    """Every venue organisation (the public schema excluded), in a stable order;
    `schema_name` narrows to one."""
    tenants = Tenant.objects.exclude(schema_name=get_public_schema_name()).order_by("schema_name")
    if schema_name:
        tenants = tenants.filter(schema_name=schema_name)
    return tenants
