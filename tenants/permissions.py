"""DRF permission classes for the roles. Views combine them with `|`.

The full role matrix (which role may call which endpoint) is in the README."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from tenants.roles import Role, has_role


class _RolePermission(BasePermission):
    roles: tuple[Role, ...] = ()
    message = "Your role does not allow this action."

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, *self.roles)


class IsVenueAdmin(_RolePermission):
    roles = (Role.VENUE_ADMIN,)
    message = "Only a venue admin may do this."


class IsCashier(_RolePermission):
    roles = (Role.CASHIER,)
    message = "Only a cashier may do this."


class IsOperator(_RolePermission):
    roles = (Role.OPERATOR,)
    message = "Only an operator may do this."


class IsStaffMember(_RolePermission):
    """Any of the three roles: reads shared by everyone who works at the venue."""

    roles = tuple(Role)
    message = "Only venue staff may see this."


class ReadForStaffWriteForVenueAdmin(BasePermission):
    """Staff read; only venue admins create, change or delete."""

    message = "Only a venue admin may change this."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return has_role(request.user, *Role)
        return has_role(request.user, Role.VENUE_ADMIN)
