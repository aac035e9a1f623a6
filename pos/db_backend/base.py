"""django-tenants' PostgreSQL backend, in one of two modes (DATABASES "POOLING").

Direct to PostgreSQL ("POOLING" empty, the default): one statement less per request.
django-tenants forgets the connection's search path at every `set_tenant` (the tenant
middleware calls it twice on each request: public, then the tenant), so each request
starts with `SET search_path` even when the worker's persistent connection already has
this tenant's path. Here the path the session really has is remembered, and a
`set_tenant` to that same path sets nothing. It is forgotten wherever PostgreSQL could
have undone the SET: a rollback, a rollback to a savepoint, a closed connection (after
django-tenants' own handling of each, which may itself issue a SET that is then undone).

Behind PgBouncer in transaction mode ("POOLING": "transaction", POS_DB_POOLING): each
transaction may run on a different server connection, so nothing set for the session
can be trusted: neither the remembered path above, nor django-tenants' own
`SET search_path` (sent as a statement of its own, which in autocommit is a transaction
of its own, possibly on another server connection than the statement it was meant for),
nor the `-c lock_timeout` startup option (PgBouncer does not forward it). So no session
state is set at all; instead the first statement of every transaction carries, in the same
simple-protocol query, `SELECT set_config('search_path', <tenant's path>, true),
set_config('lock_timeout', <POS_LOCK_TIMEOUT>, true);` (that is SET LOCAL): the settings
live exactly as long as the transaction, on whichever server connection runs it. A
statement outside an atomic block is a transaction of its own, so it always carries them;
inside a transaction only the first statement does, and again after a tenant switch or a
rollback to a savepoint (which may have undone them). It costs no extra round trip and no
extra statement in Django's query log (docs/pgbouncer.md has the measurements). What else
a session could carry is not used (docs/pgbouncer.md): server-side prepared statements
(Django's client-side binding cursors never prepare), server-side cursors (disabled by
settings in this mode), advisory locks, LISTEN, temporary tables; the time zone Django
sets is one of the parameters PgBouncer itself tracks and restores per client."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.backends.postgresql.base import Cursor as DjangoClientCursor
from django_tenants.postgresql_backend import base
from django_tenants.utils import quote_schema_name
from psycopg import pq

TRANSACTION_POOLING = "transaction"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class _PooledCursor(DjangoClientCursor):
    """A client-side binding cursor that prefixes the statement with the transaction's
    settings when its wrapper says it must (DatabaseWrapper._settings_prefix)."""

    _wrapper: DatabaseWrapper  # set on the per-connection subclass

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        wrapper = self._wrapper
        needed = wrapper._settings_prefix(self.connection.info.transaction_status)
        if needed is None:
            return super().execute(query, params, **kwargs)
        prefix, path = needed
        if not isinstance(query, str):  # psycopg.sql.Composed (callproc, SET ROLE)
            query = query.as_string(self)
        super().execute(prefix + query, params, **kwargs)
        self.nextset()  # the statement's own result, past the set_config row
        # Remembered only once sent: a statement refused before reaching the server
        # leaves the next one to carry the settings.
        wrapper._path_in_transaction = path
        return self

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
        # Several statements: they run in one transaction whose settings are set first.
        idle = self.connection.info.transaction_status == pq.TransactionStatus.IDLE
        if idle and self.connection.autocommit:
            with self.connection.transaction():  # BEGIN ... COMMIT around them
                self._wrapper._path_in_transaction = None  # a transaction begun here
                self.execute("SELECT 1")  # carries the settings
                super().executemany(query, params_seq, **kwargs)
            return
        # In Django's transaction (begun or about to be): a no-op that carries the
        # settings, only if this transaction has not had them yet.
        if self._wrapper._settings_prefix(self.connection.info.transaction_status):
            self.execute("SELECT 1")
        super().executemany(query, params_seq, **kwargs)


class DatabaseWrapper(base.DatabaseWrapper):
    # Direct mode: the search path of the session, the last SET nothing can have undone.
    _path_in_session: list[str] | None = None
    # Transaction pooling: the path set locally in the current transaction, if any.
    _path_in_transaction: list[str] | None = None
    _cursor_class: type[_PooledCursor] | None = None

    @property
    def transaction_pooling(self) -> bool:
        return self.settings_dict.get("POOLING") == TRANSACTION_POOLING

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        if self.transaction_pooling:
            # PgBouncer refuses startup options; the lock timeout goes in the prefix.
            params.pop("options", None)
            if self._cursor_class is None:
                self._cursor_class = type("PooledCursor", (_PooledCursor,), {"_wrapper": self})
            params["cursor_factory"] = self._cursor_class
        return params

    def _settings_prefix(self, status: pq.TransactionStatus) -> tuple[str, list[str]] | None:
        """What the next statement must be prefixed with (transaction pooling), and the
        path it sets; None when the transaction already has them."""
        if status == pq.TransactionStatus.INERROR:
            return None  # only a rollback can run; it needs nothing
        path = self._get_cursor_search_paths()
        if status == pq.TransactionStatus.IDLE:
            # A new transaction starts with this statement (in autocommit, ends with it).
            self._path_in_transaction = None
        elif self._path_in_transaction == path:
            return None
        value = ",".join(quote_schema_name(schema) for schema in path)
        prefix = f"SELECT set_config('search_path', {_literal(value)}, true)"
        lock_timeout = getattr(settings, "POS_LOCK_TIMEOUT", None)
        if lock_timeout:
            prefix += f", set_config('lock_timeout', {_literal(str(lock_timeout))}, true)"
        return prefix + "; ", path

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None:
        super().set_tenant(tenant, include_public)
        if (self._path_in_session is not None
                and self._path_in_session == self._get_cursor_search_paths()):
            self.search_path_set_schemas = self._path_in_session

    def _handle_search_path(self, cursor: Any = None) -> None:
        if self.transaction_pooling:
            return  # never a session-level SET: the prefix above sets it per transaction
        super()._handle_search_path(cursor)
        if self.search_path_set_schemas is not None:
            self._path_in_session = self.search_path_set_schemas

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._path_in_session = None
            self._path_in_transaction = None

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
            # A set_config made after the savepoint is undone with it.
            self._path_in_transaction = None
