"""Test fixtures: two venue organisations (alpha, beta) created once per session in the
real PostgreSQL test database, each with a venue admin, a cashier and an operator.

Tests run inside a transaction rolled back at the end (pytest-django's `db`), so what a
test writes is gone for the next one; the tenants and users stay for the whole session.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tenants.models import Tenant
from tenants.roles import Role
from tenants.services import create_staff_user, create_tenant, ensure_public_tenant

PASSWORD = "test-pass-123"
STAFF = {"admin": Role.VENUE_ADMIN, "cashier": Role.CASHIER, "operator": Role.OPERATOR,
         "door": Role.DOOR}


@dataclass(frozen=True)
class TenantFixture:
    tenant: Tenant
    host: str

    @property
    def schema(self) -> str:
        return self.tenant.schema_name


def get_or_create_tenant(schema: str, host: str | None = None) -> Tenant:
    """A test tenant (with its admin and a complete fiscal profile, so that its sales can
    be invoiced), created once and reused by later sessions."""
    from tests.builders import complete_fiscal_profile

    return Tenant.objects.filter(schema_name=schema).first() or create_tenant(
        schema_name=schema, domain=host or f"{schema}.localhost", admin_username="admin",
        admin_password=PASSWORD, set_up=complete_fiscal_profile,
    )


def _make_tenant(schema: str) -> TenantFixture:
    host = f"{schema}.localhost"
    tenant = get_or_create_tenant(schema, host)
    with schema_context(schema):
        for username, role in STAFF.items():
            create_staff_user(username=username, password=PASSWORD, role=role)
        create_staff_user(username="cashier2", password=PASSWORD, role=Role.CASHIER)
    return TenantFixture(tenant=tenant, host=host)


def pytest_configure(config: pytest.Config) -> None:
    """pytest-django creates the test database only when a collected test asks for `db`.
    Tests that commit from threads, a live server or a Celery worker ask for none, so run
    alone they would reach the development database: always set up the default one."""
    import pytest_django.fixtures as django_fixtures

    databases_for = django_fixtures._get_databases_for_setup

    def with_default(items):
        aliases, serialized = databases_for(items)
        return set(aliases) | {"default"}, serialized

    django_fixtures._get_databases_for_setup = with_default

    # Test users are made by the hundred; the production hasher's cost buys nothing here.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def tenants(django_db_setup, django_db_blocker) -> dict[str, TenantFixture]:
    # The test database is new, the test Redis database is not: drop the cached seat maps
    # and counters of the last run, whose event ids the new rows reuse.
    from django.core.cache import cache

    cache.clear()
    with django_db_blocker.unblock():
        ensure_public_tenant()
        made = {schema: _make_tenant(schema) for schema in ("alpha", "beta")}
        connection.set_schema_to_public()
    return made


@pytest.fixture
def alpha(tenants, db) -> TenantFixture:
    return tenants["alpha"]


@pytest.fixture
def beta(tenants, db) -> TenantFixture:
    return tenants["beta"]


@pytest.fixture(autouse=True)
def _public_schema_around_each_test() -> Iterator[None]:
    """A request through the middleware leaves the connection on its tenant's schema;
    every test starts and ends on the public schema."""
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _fresh_identity_cache() -> Iterator[None]:
    """What a worker remembers of tokens and host names (tenants.identity) may come from
    a previous test's rolled-back rows (a role granted, then undone by the rollback
    without a signal): each test starts with nothing remembered."""
    from tenants import identity

    identity.forget_all()
    yield


@pytest.fixture
def cashier(alpha: TenantFixture) -> APIClient:
    """alpha's cashier, signed in with a real token."""
    return api_client(alpha, "cashier")


@pytest.fixture
def cashier2(alpha: TenantFixture) -> APIClient:
    """A second cashier of alpha: "another terminal"."""
    return api_client(alpha, "cashier2")


def token_for(tenant: TenantFixture | str, username: str, terminal: str = "") -> str:
    """A fresh API token of `username` (the one way tests make tokens: the service a log-in
    uses). `tenant` is a fixture or a schema name."""
    from django.contrib.auth import get_user_model

    from tenants.staff.services import issue_token

    schema = tenant if isinstance(tenant, str) else tenant.schema
    with schema_context(schema):
        user = get_user_model().objects.get(username=username)
        return issue_token(user=user, terminal=terminal)[1]


def api_client(tenant: TenantFixture, username: str | None = None) -> APIClient:
    """A client on the tenant's host, authenticated with a real token of `username`."""
    client = APIClient(HTTP_HOST=tenant.host, HTTP_ACCEPT_LANGUAGE="en")
    if username:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(tenant, username)}")
    return client


@pytest.fixture
def eager() -> Iterator[None]:
    """Celery runs a task in this process as it is sent, and raises what it raises."""
    from pos.celery import app as celery_app

    conf = celery_app.conf
    before = (conf.task_always_eager, conf.task_eager_propagates)
    conf.task_always_eager, conf.task_eager_propagates = True, True
    try:
        yield
    finally:
        conf.task_always_eager, conf.task_eager_propagates = before


@pytest.fixture
def contexts(browser, db) -> Iterator[list]:
    """Browser contexts of the test (of a module that gives `browser` and a committing
    `db`), closed after it; a CSP violation fails the test."""
    opened: list = []
    yield opened
    violations = [text for context in opened for text in getattr(context, "csp_violations", [])]
    for context in opened:
        context.close()
    assert not violations, "\n".join(v[:400] for v in violations)


@pytest.fixture
def in_alpha(alpha) -> Iterator[TenantFixture]:
    """Run the test body with the connection on alpha's schema."""
    with schema_context(alpha.schema):
        yield alpha


RACE_CASHIERS = 50


def add_cashiers(tenant: Tenant, usernames: Iterable[str]) -> None:
    """Cashiers of a tenant whose writes commit (the concurrency tests' tenants)."""
    with schema_context(tenant.schema_name):
        for username in usernames:
            create_staff_user(username=username, password=PASSWORD, role=Role.CASHIER)
    connection.set_schema_to_public()


def committed_tenant(schema: str, cashiers: Iterable[str]) -> Tenant:
    """A tenant for tests that commit (parallel connections cannot share a test
    transaction): its cashiers and an exchange rate for checkouts. Each test builds its
    own event."""
    from tests.builders import set_rate

    tenant = get_or_create_tenant(schema)
    add_cashiers(tenant, cashiers)
    with schema_context(tenant.schema_name):
        set_rate("100.0000")
    connection.set_schema_to_public()
    return tenant


@pytest.fixture(scope="session")
def race(tenants, django_db_blocker) -> Iterator[Tenant]:
    """The tenant of the concurrency tests: cashiers c0 … c49."""
    with django_db_blocker.unblock():
        yield committed_tenant("race", (f"c{i}" for i in range(RACE_CASHIERS)))


@pytest.fixture
def in_race(race, django_db_blocker) -> Iterator[Tenant]:
    """Run the test body in the race tenant, outside any test transaction. Each test builds
    its own event, but what earlier tests left live (their commits stay) would count
    against the cashiers' per-session limit: the expiry job ends all of it first."""
    from django_tenants.utils import tenant_context

    from reservations.services import expire_stale_holds

    with django_db_blocker.unblock(), tenant_context(race):
        expire_stale_holds(now=timezone.now() + timedelta(days=3650))
        yield race
