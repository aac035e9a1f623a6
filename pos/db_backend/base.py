"""django-tenants' PostgreSQL backend, minus one statement per request.

django-tenants forgets the connection's search path at every `set_tenant` (the tenant
middleware calls it twice on each request: public, then the tenant), so each request
starts with `SET search_path` even when the worker's persistent connection already has
this tenant's path. Here the path the session really has is remembered, and a
`set_tenant` to that same path sets nothing. It is forgotten wherever PostgreSQL could
have undone the SET: a rollback, a rollback to a savepoint, a closed connection (after
django-tenants' own handling of each, which may itself issue a SET that is then undone).
Not safe behind a transaction-pooling proxy such as PgBouncer in transaction mode, which
TENANT_LIMIT_SET_CALLS already rules out."""

from __future__ import annotations

from typing import Any

from django_tenants.postgresql_backend import base


class DatabaseWrapper(base.DatabaseWrapper):
    # The search path of the session: the last SET that nothing can have undone since.
    _path_in_session: list[str] | None = None

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None:
        super().set_tenant(tenant, include_public)
        if (self._path_in_session is not None
                and self._path_in_session == self._get_cursor_search_paths()):
            self.search_path_set_schemas = self._path_in_session

    def _handle_search_path(self, cursor: Any = None) -> None:
        super()._handle_search_path(cursor)
        if self.search_path_set_schemas is not None:
            self._path_in_session = self.search_path_set_schemas

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._path_in_session = None

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._path_in_session = None

    def savepoint_rollback(self, sid: str) -> None:
        try:
            super().savepoint_rollback(sid)
        finally:
            self._path_in_session = None
