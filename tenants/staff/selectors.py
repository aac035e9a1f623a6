"""Reads on staff: who works for the venue, in which role, on which devices."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db.models import Prefetch, QuerySet
from knox.models import get_token_model

from tenants.roles import Role

# A user's role is their highest group, in this order (a user normally has exactly one).
ROLE_ORDER: tuple[Role, ...] = (Role.VENUE_ADMIN, Role.CASHIER, Role.OPERATOR, Role.DOOR)


def staff_list() -> QuerySet[AbstractUser]:
    """Every user of the venue but superusers (the platform's, not the venue's), with their
    groups and device tokens, in username order: three queries whatever the number."""
    tokens = get_token_model().objects.order_by("-created", "-id")
    return (get_user_model().objects.filter(is_superuser=False).order_by("username")
            .prefetch_related("groups", Prefetch("auth_token_set", queryset=tokens)))


def role_of(user: AbstractUser) -> Role | None:
    """The staff member's role; None for a user in no role group. Reads prefetched groups
    when there are (staff_list)."""
    names = {group.name for group in user.groups.all()}
    return next((role for role in ROLE_ORDER if role.value in names), None)


def active_venue_admins() -> QuerySet[AbstractUser]:
    return get_user_model().objects.filter(is_active=True, groups__name=Role.VENUE_ADMIN.value)
