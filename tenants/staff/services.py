"""Writes on staff: creating them, changing their role, name and activity, resetting their
password, and their device tokens (django-rest-knox).

Tokens die with what they vouch for: a password change, a deactivation or a role change
revokes every token of the user (tenants.staff.signals calls `revoke_user_tokens` whatever
made the change: this module, the admin, `changepassword`, a shell). Sessions die on a
password change through Django's session hash. Each revoked token is refused on the very
next request in every worker (its delete replaces the identity version, tenants.identity).
"""

from __future__ import annotations

import structlog
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from knox.models import get_token_model

from tenants.login_throttle import normalize_username
from tenants.roles import ADMIN_SITE_ROLES, Role, ensure_role_groups
from tenants.staff.errors import InvalidStaff, LastVenueAdmin, StaffNotFound, UsernameTaken
from tenants.staff.lock_objects import lock_role_group
from tenants.staff.models import DeviceToken, StaffChange
from tenants.staff.selectors import active_venue_admins, role_of
from tenants.staff.signals import staff_logged_out

logger = structlog.get_logger(__name__)

Via = StaffChange.Via


# --- Tokens ----------------------------------------------------------------------------


def issue_token(*, user: AbstractUser, terminal: str = "") -> tuple[DeviceToken, str]:
    """A fresh token for one device; returns the row and the token (shown once, only its
    digest is stored). A terminal that logs in again gets a new token and its previous one
    is revoked; a log-in without a terminal name adds a token. The user's expired tokens
    are swept, and past POS_TOKENS_PER_USER the oldest are revoked."""
    Token = get_token_model()
    terminal = terminal.strip()
    with transaction.atomic():
        stale = Q(expiry__lte=timezone.now())
        if terminal:
            stale |= Q(terminal=terminal)
        Token.objects.filter(Q(user=user) & stale).delete()
        instance, token = Token.objects.create(user=user, terminal=terminal)
        surplus = list(Token.objects.filter(user=user).order_by("-created", "-id")
                       .values_list("id", flat=True)[settings.POS_TOKENS_PER_USER:])
        if surplus:
            Token.objects.filter(id__in=surplus).delete()
    logger.info("token.issued", user=user.get_username(), terminal=terminal)
    return instance, token


def log_out_token(*, token: DeviceToken) -> None:
    """Revoke the token the caller authenticated with (its device logs out; the user's
    holds are released, see `staff_logged_out`)."""
    token.delete()
    logger.info("token.logged_out", user_id=token.user_id, terminal=token.terminal)
    staff_logged_out.send(sender=DeviceToken, user_ids=[token.user_id], reason="logout")


def revoke_user_tokens(*, user_ids: list[int], reason: str) -> int:
    """Revoke every token of these users (they are logged out everywhere: `staff_logged_out`
    is sent even when they had none, e.g. a deactivated cashier of the POS page); how many
    there were."""
    count, _ = get_token_model().objects.filter(user_id__in=user_ids).delete()
    if count:
        logger.info("token.revoked", user_ids=user_ids, reason=reason, count=count)
    staff_logged_out.send(sender=DeviceToken, user_ids=list(user_ids), reason=reason)
    return count


def revoke_device_token(*, user: AbstractUser, token_id: int, actor: AbstractUser,
                        via: str = Via.API) -> None:
    """A venue admin cuts off one device of a staff member (a lost terminal)."""
    with transaction.atomic():
        token = get_token_model().objects.filter(user=user, pk=token_id).first()
        if token is None:
            raise StaffNotFound("No such token for this staff member.")
        token.delete()
        _record(user=user, actor=actor, via=via, action=StaffChange.Action.TOKEN_REVOKED,
                to_value=token.terminal)
        staff_logged_out.send(sender=DeviceToken, user_ids=[user.pk], reason="token_revoked")


# --- Staff -----------------------------------------------------------------------------


def _role_group(role: Role) -> Group:
    group = Group.objects.filter(name=role.value).first()
    if group is None:  # a schema created before this role existed
        ensure_role_groups()
        group = Group.objects.get(name=role.value)
    return group


def _record(*, user: AbstractUser, actor: AbstractUser | None, via: str, action: str,
            from_value: str = "", to_value: str = "") -> StaffChange:
    change = StaffChange.objects.create(
        user=user, username=user.get_username(), actor=actor, via=via, action=action,
        from_value=from_value, to_value=to_value)
    logger.info("staff.changed", user=user.get_username(), action=action,
                actor=actor.get_username() if actor else None, via=via,
                from_value=from_value, to_value=to_value)
    return change


def _check_password(password: str, user: AbstractUser) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidStaff(" ".join(exc.messages), field="password") from exc


def create_staff(*, username: str, name: str, role: Role, password: str,
                 actor: AbstractUser | None, via: str) -> AbstractUser:
    """Create a staff member with one role and an initial password (Django's password
    validators apply); refuses a username already taken in the venue, in any case."""
    User = get_user_model()
    username = username.strip()
    candidate = User(username=username, first_name=name.strip())
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise InvalidStaff(" ".join(exc.messages), field="username") from exc
    _check_password(password, candidate)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise UsernameTaken(f"The username {username!r} is taken.", field="username")
        candidate.set_password(password)
        candidate.is_staff = role in ADMIN_SITE_ROLES
        candidate.save()
        candidate.groups.set([_role_group(role)])
        _record(user=candidate, actor=actor, via=via, action=StaffChange.Action.CREATED,
                to_value=role.value)
    return candidate


def change_staff(*, user: AbstractUser, actor: AbstractUser | None, via: str,
                 role: Role | None = None, name: str | None = None,
                 is_active: bool | None = None) -> AbstractUser:
    """Change a staff member's role, name or activity, one audit row per change. The venue
    always keeps an active venue admin: demoting or deactivating the last one (oneself
    included) is refused. A role change or deactivation revokes the user's tokens."""
    with transaction.atomic():
        lock_role_group(name=Role.VENUE_ADMIN.value)
        before = role_of(user)
        loses_admin = before == Role.VENUE_ADMIN and user.is_active and (
            (role is not None and role != Role.VENUE_ADMIN) or is_active is False)
        if loses_admin and not active_venue_admins().exclude(pk=user.pk).exists():
            raise LastVenueAdmin()
        changes: list[tuple[str, str, str]] = []
        if name is not None and name.strip() != user.first_name:
            changes.append((StaffChange.Action.RENAMED, user.first_name, name.strip()))
            user.first_name = name.strip()
        if is_active is not None and is_active != user.is_active:
            action = (StaffChange.Action.REACTIVATED if is_active
                      else StaffChange.Action.DEACTIVATED)
            changes.append((action, "", ""))
            user.is_active = is_active
        if role is not None and role != before:
            changes.append((StaffChange.Action.ROLE_CHANGED,
                            before.value if before else "", role.value))
            user.is_staff = role in ADMIN_SITE_ROLES
        if not changes:
            return user
        user.save()
        if role is not None and role != before:
            user.groups.set([_role_group(role)])
        for action, from_value, to_value in changes:
            _record(user=user, actor=actor, via=via, action=action, from_value=from_value,
                    to_value=to_value)
    return user


def reset_staff_password(*, user: AbstractUser, password: str, actor: AbstractUser | None,
                         via: str) -> AbstractUser:
    """Set a new password (Django's validators apply). Every token and session of the user
    dies with the old one, and the log-in throttle forgets the user's failed attempts."""
    _check_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save()
        _record(user=user, actor=actor, via=via, action=StaffChange.Action.PASSWORD_RESET)
    AxesProxyHandler.reset_attempts(username=normalize_username(user.get_username()))
    return user
