"""Row locks of the staff app, in one place (the house rule: no select_for_update
elsewhere)."""

from __future__ import annotations

from django.contrib.auth.models import Group


def lock_role_group(*, name: str) -> Group:
    """The role's group row, locked until the transaction ends: changes to who holds the
    role queue here, and each reads the holders only once it has the lock (a new snapshot
    per statement), so two venue admins demoting each other at once cannot both succeed."""
    return Group.objects.select_for_update().get(name=name)
