"""The demo tenant that `make run` sets up: schema `demo` at demo.localhost."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context

from tenants.models import Tenant
from tenants.roles import Role
from tenants.services import create_staff_user, create_tenant, ensure_public_tenant

DEMO_SCHEMA = "demo"
DEMO_DOMAIN = "demo.localhost"
DEMO_USERS = {"admin": Role.VENUE_ADMIN, "cashier": Role.CASHIER, "operator": Role.OPERATOR}
# Other apps add their demo data here; each entry is idempotent.
DEMO_DATA_BUILDERS: list[str] = ["sales.demo.ensure_demo_catalogue"]


def ensure_demo_tenant(*, password: str | None = None) -> Tenant:
    """Create or refresh the demo tenant, its users and its data (idempotent)."""
    password = password or settings.POS_DEMO_PASSWORD
    ensure_public_tenant()
    tenant = Tenant.objects.filter(schema_name=DEMO_SCHEMA).first()
    if tenant is None:
        tenant = create_tenant(
            schema_name=DEMO_SCHEMA,
            domain=DEMO_DOMAIN,
            name="Demo venues",
            admin_username="admin",
            admin_password=password,
        )
    with schema_context(DEMO_SCHEMA):
        for username, role in DEMO_USERS.items():
            create_staff_user(username=username, password=password, role=role)
        for path in DEMO_DATA_BUILDERS:
            try:
                builder = import_string(path)
            except ImportError:
                continue
            builder()
    return tenant
