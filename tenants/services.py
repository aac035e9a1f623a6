"""Writes on tenants: creating venue organisations, their staff and their settings."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import DomainNameValidator
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, schema_context

from tenants import identity
from tenants.errors import InvalidTenant, TenantAlreadyExists
from tenants.models import Domain, Tenant, TenantSettings
from tenants.roles import ADMIN_SITE_ROLES, Role, ensure_role_groups

logger = structlog.get_logger(__name__)

SCHEMA_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
validate_domain_name = DomainNameValidator(accept_idna=False)


def _validate_new_tenant(*, schema_name: str, domain: str) -> None:
    if not SCHEMA_NAME_RE.match(schema_name) or schema_name.startswith("pg_"):
        raise InvalidTenant(
            f"Invalid schema name {schema_name!r}: use lower-case letters, digits and "
            "underscores, starting with a letter (at most 63 characters)."
        )
    if schema_name == get_public_schema_name():
        raise InvalidTenant("The public schema is not a tenant.")
    try:
        validate_domain_name(domain)
    except ValidationError as exc:
        raise InvalidTenant(f"Invalid domain {domain!r}.") from exc
    if Tenant.objects.filter(schema_name=schema_name).exists():
        raise TenantAlreadyExists(f"A tenant with schema {schema_name!r} already exists.")
    if Domain.objects.filter(domain=domain).exists():
        raise TenantAlreadyExists(f"The domain {domain!r} already belongs to a tenant.")


def ensure_public_tenant(*, domains: tuple[str, ...] = ("localhost", "127.0.0.1")) -> Tenant:
    """The public schema's tenant row and its host names (idempotent)."""
    public, _ = Tenant.objects.get_or_create(
        schema_name=get_public_schema_name(), defaults={"name": "Platform"}
    )
    for index, name in enumerate(domains):
        Domain.objects.get_or_create(
            domain=name, defaults={"tenant": public, "is_primary": index == 0}
        )
    return public


def create_staff_user(
    *, username: str, password: str, role: Role, email: str = ""
) -> AbstractUser:
    """Create or update a staff user with exactly one role in the current schema
    (idempotent: set-up, the demo tenant, tests; the venue's own staff management is
    tenants.staff.services, with its audit).

    Venue admins and operators are Django staff too, so they can use the admin of their
    own schema. The password is only set when it differs: setting it revokes the user's
    tokens (tenants.staff.signals).
    """
    User = get_user_model()
    try:
        validate_password(password)
    except ValidationError as exc:
        raise InvalidTenant(" ".join(exc.messages)) from exc
    ensure_role_groups()
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    if created or not user.check_password(password):
        user.set_password(password)
    user.is_staff = role in ADMIN_SITE_ROLES
    user.is_active = True
    user.save()
    group = Group.objects.get(name=role.value)
    if list(user.groups.all()) != [group]:
        user.groups.set([group])
    return user


def ensure_platform_superuser(*, username: str, password: str) -> tuple[AbstractUser, bool]:
    """The platform admin (a superuser of the public schema, where tenants and the beat
    schedule are managed): created when no user of that name exists, else left as it is (a
    password changed since is kept). Returns the user and whether it was created."""
    User = get_user_model()
    with schema_context(get_public_schema_name()):
        user = User.objects.filter(username=username).first()
        if user is not None:
            return user, False
        try:
            validate_password(password)
        except ValidationError as exc:
            raise InvalidTenant(" ".join(exc.messages)) from exc
        user = User.objects.create_superuser(username=username, email="", password=password)
    logger.info("platform.superuser_created", username=username)
    return user, True


def create_tenant(
    *,
    schema_name: str,
    domain: str,
    admin_username: str,
    admin_password: str,
    name: str | None = None,
    admin_email: str = "",
    set_up: Callable[[], object] | None = None,
) -> Tenant:
    """Create a venue organisation: its schema (migrated), host name, settings, role
    groups and a first venue admin. Refuses a taken schema name or domain. `set_up` runs
    in the new schema, in the same database transaction (what the apps above give a new
    tenant, e.g. its fiscal identity): if it fails, no tenant is created."""
    schema_name = schema_name.strip().lower()
    domain = domain.strip().lower()
    _validate_new_tenant(schema_name=schema_name, domain=domain)
    try:
        validate_password(admin_password)
    except ValidationError as exc:
        raise InvalidTenant(" ".join(exc.messages)) from exc

    with transaction.atomic():
        tenant = Tenant(schema_name=schema_name, name=name or schema_name)
        tenant.save(verbosity=0)  # creates and migrates the schema
        Domain.objects.create(domain=domain, tenant=tenant, is_primary=True)
        TenantSettings.objects.create(tenant=tenant)
        with schema_context(schema_name):
            create_staff_user(
                username=admin_username,
                password=admin_password,
                role=Role.VENUE_ADMIN,
                email=admin_email,
            )
            if set_up is not None:
                set_up()
    logger.info("tenant.created", schema=schema_name, domain=domain)
    return tenant


def current_tenant_settings() -> TenantSettings:
    """The reservation settings of the tenant whose schema the connection is set to (a
    request, a task or `schema_context`), created with the defaults when missing.
    Remembered per process until they change (tenants.identity); a copy, which the
    caller may change and save."""
    schema = connection.schema_name

    def load() -> TenantSettings:
        found = TenantSettings.objects.filter(tenant__schema_name=schema).first()
        if found is None:
            tenant = Tenant.objects.get(schema_name=schema)
            found, _ = TenantSettings.objects.get_or_create(tenant=tenant)
        return found

    return copy.copy(identity.remembered(("settings", schema), load))


def current_time_zone() -> ZoneInfo:
    """The venue's clock: the time zone of the tenant the connection is set to (its
    settings, remembered as they are); the platform's TIME_ZONE on the public schema."""
    if connection.schema_name == get_public_schema_name():
        return ZoneInfo(django_settings.TIME_ZONE)
    return ZoneInfo(current_tenant_settings().time_zone)


def update_tenant_settings(
    *, tenant_settings: TenantSettings, changes: dict[str, Any]
) -> TenantSettings:
    """Apply validated changes to a tenant's reservation settings."""
    for field, value in changes.items():
        setattr(tenant_settings, field, value)
    tenant_settings.full_clean(exclude=["tenant"])
    tenant_settings.save()
    logger.info("tenant_settings.updated", changes=sorted(changes))
    return tenant_settings
