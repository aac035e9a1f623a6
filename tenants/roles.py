"""The three staff roles of a venue organisation, kept as Django groups in each schema."""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission


class Role(StrEnum):
    VENUE_ADMIN = "venue_admin"
    CASHIER = "cashier"
    OPERATOR = "operator"


# Django admin permissions each role's group gets in its schema (the API checks roles,
# the admin checks these).
ADMIN_PERMISSIONS: dict[Role, dict[str, tuple[str, ...]]] = {
    Role.VENUE_ADMIN: {
        "sales": ("add", "change", "delete", "view"),
        "reservations": ("add", "change", "delete", "view"),
        "fiscal": ("add", "change", "view"),
        "tenants": ("change", "view"),
    },
    Role.OPERATOR: {
        "sales": ("view",),
        "reservations": ("view", "change"),
        "fiscal": ("view",),
    },
    Role.CASHIER: {},
}


def ensure_role_groups() -> None:
    """Create the role groups and their admin permissions in the current schema
    (idempotent)."""
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted = Permission.objects.none()
        for app_label, actions in ADMIN_PERMISSIONS[role].items():
            for action in actions:
                wanted = wanted | Permission.objects.filter(
                    content_type__app_label=app_label, codename__startswith=f"{action}_"
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
