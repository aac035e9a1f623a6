"""Whatever changes a user (this app's services, the admin, `changepassword`, a shell),
the user's tokens follow: these receivers only detect the change and call the service.

- a new password (`set_password` then `save`) or a deactivation revokes every token;
- a role change (the user's groups, from either side of the relation) revokes every token;
- `staff_logged_out` tells the apps above when users are logged out of their devices;
- after each tenant schema is migrated, the role groups get the permissions of
  tenants.roles.ADMIN_PERMISSIONS (new models, new roles)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.signals import m2m_changed, post_migrate, post_save
from django.dispatch import Signal
from django_tenants.utils import get_public_schema_name

# Sent by tenants.staff.services when users are logged out of their devices: a device
# logging itself out, a venue admin revoking one terminal's token, or every token of a
# user revoked (password, deactivation, role change). Arguments: `user_ids`, `reason`.
# Apps above tenants listen (reservations releases the users' holds); this app knows
# none of them.
staff_logged_out = Signal()


def _user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    from tenants.staff.services import revoke_user_tokens

    if created:
        return
    # AbstractBaseUser keeps the raw password set by set_password() until save() has
    # finished (password_changed); a hash upgrade on log-in clears it first.
    if getattr(instance, "_password", None) is not None:
        revoke_user_tokens(user_ids=[instance.pk], reason="password_changed")
    elif not instance.is_active:
        revoke_user_tokens(user_ids=[instance.pk], reason="deactivated")


def _groups_changed(sender: Any, instance: Any, action: str, reverse: bool,
                    pk_set: set[int] | None, **kwargs: Any) -> None:
    from tenants.staff.services import revoke_user_tokens

    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if reverse:  # group.user_set.add(...): the users are in pk_set
        user_ids = (list(instance.user_set.values_list("pk", flat=True))
                    if action == "pre_clear" else sorted(pk_set or ()))
    else:
        user_ids = [instance.pk] if (action == "pre_clear" or pk_set) else []
    if user_ids:
        revoke_user_tokens(user_ids=user_ids, reason="role_changed")


def _grant_role_permissions(sender: Any, **kwargs: Any) -> None:
    from tenants.roles import ensure_role_groups

    if connection.schema_name != get_public_schema_name():
        ensure_role_groups()


def connect() -> None:
    user_model = get_user_model()
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="staff-user-saved")
    m2m_changed.connect(_groups_changed, sender=user_model.groups.through,
                        dispatch_uid="staff-user-groups")
    post_migrate.connect(_grant_role_permissions, sender=apps.get_app_config("staff"),
                         dispatch_uid="staff-role-permissions")
