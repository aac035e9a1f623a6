"""The staff roles of a venue organisation, kept as Django groups in each schema."""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission


class Role(StrEnum):
    VENUE_ADMIN = "venue_admin"
    CASHIER = "cashier"
    OPERATOR = "operator"
    # Door staff scan tickets at the gates (sales.checkin) and read their own scans;
    # nothing of the box office (tenants.permissions).
    DOOR = "door"


# Roles that may use the tenant's Django admin (is_staff): venue admins manage the venue
# there, operators read the jobs, alerts and records docs/operations.md sends them to.
ADMIN_SITE_ROLES: frozenset[Role] = frozenset({Role.VENUE_ADMIN, Role.OPERATOR})


# Django admin permissions each role's group gets in its schema (the API checks roles,
# the admin checks these). A key is an app label (every model of the app) or
# "app_label.model" (that model only: a venue admin manages users, not groups or
# permissions, which would let them grant themselves anything).
ADMIN_PERMISSIONS: dict[Role, dict[str, tuple[str, ...]]] = {
    Role.VENUE_ADMIN: {
        "sales": ("add", "change", "delete", "view"),
        "reservations": ("add", "change", "delete", "view"),
        "fiscal": ("add", "change", "view"),
        "webhooks": ("change", "delete", "view"),  # endpoints and their delivery log
        "tenants": ("change", "view"),
        "auth.user": ("add", "change", "view"),
        "staff.devicetoken": ("view", "delete"),  # cut off one lost device
        "staff.staffchange": ("view",),
        "axes.accessattempt": ("view", "delete"),  # lift a log-in lock-out
        "mail": ("view",),  # the e-mail log and subscriptions (sales.mail)
    },
    Role.OPERATOR: {
        "sales": ("view",),
        "reservations": ("view", "change"),
        "fiscal": ("view",),
        "mail": ("view",),
    },
    Role.CASHIER: {},
    Role.DOOR: {},
}


def ensure_role_groups() -> None:
    """Create the role groups and their admin permissions in the current schema
    (idempotent)."""
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted = Permission.objects.none()
        for target, actions in ADMIN_PERMISSIONS[role].items():
            app_label, _, model = target.partition(".")
            scope = {"content_type__app_label": app_label}
            if model:
                scope["content_type__model"] = model
            for action in actions:
                wanted = wanted | Permission.objects.filter(
                    codename__startswith=f"{action}_", **scope
                )
        group.permissions.set(wanted)


def roles_of(user: AbstractBaseUser | AnonymousUser) -> frozenset[Role]:
    """The user's roles, read once per user object. Superusers have every role."""
    if not user or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_pos_roles", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        roles = frozenset(Role)
    else:
        names = set(user.groups.values_list("name", flat=True))
        roles = frozenset(role for role in Role if role.value in names)
    user._pos_roles = roles
    return roles


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))
