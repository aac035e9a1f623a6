"""Who a request is, remembered per worker process: the tenant behind a host name, the
user (with their roles) behind an API token (by the token's digest, never the token), and
the tenant's settings.

Without this every API request spends four database round trips, each with its ORM
compilation, before its own work: the domain, the token and user, the user's groups, and
the `SET search_path` to reach the domain table; a hold one more for the settings
(docs/performance.md).

An entry is trusted only while the shared *identity version* in Redis is the one it was
remembered under, and for at most `MAX_AGE_S`. Any change to a domain, tenant, its
settings, a user, token, group or group membership replaces the version (signals below:
at once and again after the commit), so a revoked token or a deactivated user is refused
on the very next request in every worker. A queryset `.update()` sends no signal: change
these models with `save()`. With Redis unreachable nothing is remembered and every
lookup goes to PostgreSQL. `MAX_AGE_S` bounds the one case the version cannot cover: a
change made while Redis was down, followed by Redis coming back with its old data."""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from rest_framework import exceptions

from tenants.models import Domain, Tenant, TenantSettings
from tenants.roles import roles_of

VERSION_KEY = "identity:version"
MAX_AGE_S = 60.0
MAX_ENTRIES = 10_000  # past this the whole store is dropped: cheaper than an LRU

T = TypeVar("T")
_entries: dict[tuple[str, ...], tuple[str, float, Any]] = {}


# Inside a request (`one_version_per_request`) the version is read from Redis once, for
# the tenant, the token and the settings together (None, Redis unreachable, included).
_OUTSIDE_REQUEST = object()
_NOT_READ = object()
_request_version: ContextVar[Any] = ContextVar("identity_version", default=_OUTSIDE_REQUEST)


@contextmanager
def one_version_per_request() -> Iterator[None]:
    token = _request_version.set(_NOT_READ)
    try:
        yield
    finally:
        _request_version.reset(token)


def current_version() -> str | None:
    """The shared version, created when missing (a new or flushed Redis); None when Redis
    cannot be reached."""
    memo = _request_version.get()
    if memo is not _OUTSIDE_REQUEST and memo is not _NOT_READ:
        return memo
    version = _read_version()
    if memo is _NOT_READ:
        _request_version.set(version)
    return version


def _read_version() -> str | None:
    version = cache.get(VERSION_KEY)
    if version is None:
        fresh = secrets.token_hex(8)
        # The cache ignores Redis errors: add() answers True (stored), False (another
        # process stored one first) or None (Redis unreachable: nothing is remembered).
        added = cache.add(VERSION_KEY, fresh, timeout=None)
        if added:
            version = fresh
        elif added is False:
            version = cache.get(VERSION_KEY)
    return version


def replace_version() -> None:
    """Every process forgets what it remembered (at its next lookup)."""
    cache.set(VERSION_KEY, secrets.token_hex(8), timeout=None)
    if _request_version.get() is not _OUTSIDE_REQUEST:
        _request_version.set(_NOT_READ)  # this request reads the new one


def remembered(key: tuple[str, ...], load: Callable[[], T]) -> T:
    """The value for `key` as remembered under the current version, else `load()` (whose
    exceptions pass through and are not remembered)."""
    version = current_version()
    if version is None:
        return load()
    hit = _entries.get(key)
    if hit is not None and hit[0] == version and time.monotonic() - hit[1] < MAX_AGE_S:
        return hit[2]
    value = load()
    if len(_entries) >= MAX_ENTRIES:
        _entries.clear()
    _entries[key] = (version, time.monotonic(), value)
    return value


def forget_all() -> None:
    """This process's entries only (tests)."""
    _entries.clear()


def tenant_for_hostname(hostname: str) -> Tenant:
    """The tenant a host name routes to; Domain.DoesNotExist when none. A copy: the tenant
    middleware writes on it."""
    def load() -> Tenant:
        return Domain.objects.select_related("tenant").get(domain=hostname).tenant

    return copy.copy(remembered(("domain", hostname), load))


class CachedTokenAuthentication(TokenAuthentication):
    """django-rest-knox's token authentication (`Authorization: Token <token>`, per-device
    tokens of which only a digest is stored), remembered per schema and token digest; the
    user comes with their roles already read (tenants.roles.roles_of)."""

    def authenticate_credentials(self, token: bytes) -> tuple[Any, Any]:
        try:
            key = token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None

        def load() -> tuple[Any, Any]:
            user, auth_token = super(CachedTokenAuthentication, self).authenticate_credentials(
                token)
            roles_of(user)  # read now, remembered on the user object
            return user, auth_token

        # What a worker keeps is keyed by the digest: no token lies in its memory. The
        # schema is part of the key: a token is only ever valid on its own tenant.
        user, auth_token = remembered(("token", connection.schema_name, hash_token(key)), load)
        if auth_token.expiry is not None and auth_token.expiry <= timezone.now():
            raise exceptions.AuthenticationFailed("Invalid token.")
        return copy.copy(user), auth_token

    def _cleanup_token(self, auth_token) -> bool:
        """Whether this token has expired. knox also sweeps the user's other expired tokens
        here, one more query on every look-up; issuing a token sweeps them instead
        (tenants.staff.services.issue_token)."""
        return auth_token.expiry is not None and auth_token.expiry <= timezone.now()


def _identity_changed(**kwargs: Any) -> None:
    replace_version()
    # A request between this and the commit may remember the old rows under the new
    # version; replacing it again after the commit retires that.
    transaction.on_commit(replace_version)


def watch(*models: type, on_save: Callable[..., None] | None = None) -> None:
    """Forget what is remembered whenever a row of these models is saved or deleted (other
    apps watch theirs too, e.g. the fiscal profile). `on_save` replaces the reaction to a
    save (tokens: a new one is in nobody's memory)."""
    for model in models:
        post_save.connect(on_save or _identity_changed, sender=model,
                          dispatch_uid=f"identity-save-{model}")
        post_delete.connect(_identity_changed, sender=model,
                            dispatch_uid=f"identity-delete-{model}")


def _token_saved(created: bool, **kwargs: Any) -> None:
    # A new token (every log-in) is in no worker's memory yet: nothing to forget.
    if not created:
        _identity_changed(**kwargs)


def connect_signals() -> None:
    user_model = get_user_model()
    watch(Domain, Tenant, TenantSettings, user_model, Group)
    watch(get_token_model(), on_save=_token_saved)
    m2m_changed.connect(_identity_changed, sender=user_model.groups.through,
                        dispatch_uid="identity-user-groups")
