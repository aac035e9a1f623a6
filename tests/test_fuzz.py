"""Schemathesis against the app's own OpenAPI schema, through the full WSGI stack (tenant
routing, authentication, the role matrix) on the real PostgreSQL and Redis.

Every operation of the schema is called as anonymous, venue admin, cashier and operator,
with schema-valid data (positive) and data that breaks the schema (negative). Path ids
are often swapped for ids that exist, so the calls reach the services and not only the
404 branch. Checks: no 5xx, every status documented, every body matching its schema, the
documented content type. Bounded: a fixed number of examples per operation and role,
derandomized (the same examples every run). The run writes a summary to
test-artifacts/fuzz-summary.json.

The cases it found are kept as explicit regression tests at the end of this file."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django_tenants.utils import tenant_context
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tenants.models import Tenant
from tenants.roles import Role
from tenants.services import create_staff_user
from tests.builders import make_event, set_rate
from tests.conftest import PASSWORD, get_or_create_tenant, token_for

HOST = "fuzz.localhost"
ROLES = {"anonymous": None, "venue_admin": "admin", "cashier": "cashier",
         "operator": "operator"}
# (positive, negative) examples per operation and role. Anonymous callers are refused
# almost everywhere, so one example each shows that cheaply. POS_FUZZ_SCALE multiplies
# the counts for a deeper run (e.g. 10 overnight); 1 keeps the run near a minute.
_SCALE = float(os.environ.get("POS_FUZZ_SCALE", "1"))
EXAMPLES = {role: tuple(round(n * _SCALE) for n in counts) for role, counts in
            {"anonymous": (1, 0), "venue_admin": (6, 3), "cashier": (5, 2),
             "operator": (3, 1)}.items()}
CHECKS = [
    not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


def _openapi() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


@dataclass
class FuzzRun:
    operations: set[str] = field(default_factory=set)
    examples: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    server_errors: int = 0
    timing: dict[str, float] = field(default_factory=dict)


@pytest.fixture(scope="module", autouse=True)
def _jobs_run_in_process() -> Iterator[None]:
    """A fuzzed POST may start a real job (bulk extension): run it in the request instead
    of leaving messages on a queue that no worker of this run listens to."""
    from pos.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture(scope="module")
def fuzz_tenant(tenants, django_db_blocker) -> Iterator[tuple[Tenant, dict, dict]]:
    """A tenant of its own (the run commits), with staff, tokens and some data: an event
    with seats and general admission, a pending hold, a partly paid and a completed sale."""
    with django_db_blocker.unblock():
        tenant = get_or_create_tenant("fuzz", HOST)
        tokens = _staff_with_tokens(tenant)
        with tenant_context(tenant):
            set_rate()
            ids = _seed(tenant)
        connection.set_schema_to_public()
        yield tenant, tokens, ids


def _staff_with_tokens(tenant: Tenant) -> dict[str, str]:
    """One user per role, as they were (role, active, password), each with a fresh token:
    the fuzzer itself changes roles, deactivates, resets passwords and logs out through the
    staff and token endpoints, which revokes tokens."""
    with tenant_context(tenant):
        for role_name, username in ROLES.items():
            if username:
                create_staff_user(username=username, password=PASSWORD, role=Role(role_name))
    connection.set_schema_to_public()
    return {role_name: token_for(tenant.schema_name, username)
            for role_name, username in ROLES.items() if username}


def _seed(tenant: Tenant) -> dict[str, list[int]]:
    from django.contrib.auth import get_user_model

    from fiscal.taxes import PaymentInput
    from reservations.services import hold_seats
    from sales.checkout.services import checkout_hold

    setup = make_event(rows="ABC", seats_per_row=10, ga_capacity=50)
    cashier = get_user_model().objects.get(username="cashier")
    txs = []
    for labels, amount in ((["A1"], "1160.00"), (["A2", "A3"], "500.00"), (["A4"], None)):
        tx = hold_seats(user=cashier, event_id=setup.event.pk, seat_ids=setup.ids(*labels))
        if amount:
            checkout_hold(user=cashier, transaction_id=tx.pk, reserve=True, payments=[
                PaymentInput(method="pago_movil", currency="VES", amount=Decimal(amount),
                             reference="0102-555123")])
        txs.append(tx.pk)
    ids = {"events": [setup.event.pk], "zones": [setup.zone.pk, setup.ga_zone.pk],
           "venues": [setup.event.venue_id], "holds": txs, "transactions": txs}
    from sales.models import Ticket

    ids["tickets"] = list(Ticket.objects.values_list("id", flat=True)[:5])
    try:
        from fiscal.models import ExchangeRate, FiscalDocument, FiscalSeries

        ids["documents"] = list(FiscalDocument.objects.values_list("id", flat=True)[:5])
        ids["series"] = list(FiscalSeries.objects.values_list("id", flat=True)[:5])
        ids["exchange-rates"] = list(ExchangeRate.objects.values_list("id", flat=True)[:5])
    except ImportError:
        pass
    return ids


def _real_ids_for(path: str, ids: dict[str, list[int]]) -> list[int]:
    for kind, values in ids.items():
        if f"/{kind}/" in path and values:
            return values
    return [i for values in ids.values() for i in values]


def _fuzz_operation(operation, mode: GenerationMode, examples: int, headers: dict,
                    ids: dict, run: FuzzRun, role: str) -> None:
    strategy = operation.as_strategy(generation_mode=mode)
    real_ids = _real_ids_for(operation.path, ids)

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy, use_real_id=st.booleans(), pick=st.integers(0, 50))
    def fuzz(case, use_real_id, pick):
        if use_real_id and case.path_parameters and real_ids:
            for name in case.path_parameters:
                case.path_parameters[name] = real_ids[pick % len(real_ids)]
        run.examples += 1
        try:
            response = case.call(base_url=f"http://{HOST}", headers=headers)
        except Exception as exc:  # the app raised instead of answering: a server error
            run.server_errors += 1
            run.failures.append(f"{role} {mode} {operation.label}: raised {exc!r}"[:600])
            return
        run.by_status[response.status_code] = run.by_status.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            run.server_errors += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup
            run.failures.append(
                f"{role} {mode} {operation.label} -> {response.status_code}: "
                f"{str(exc)[:400]}\n  {case.as_curl_command(headers=headers)[:400]}")

    try:
        fuzz()
    except Unsatisfiable:
        # Nothing can break the schema of an operation without parameters or body.
        assert mode == GenerationMode.NEGATIVE, operation.label


def _has_inputs(operation) -> bool:
    """Nothing can break the schema of an operation without parameters or body."""
    return any(len(part) for part in (operation.path_parameters, operation.query,
                                      operation.headers, operation.body))


# Its time grows with the API (about 100 operations × 4 roles): ~80 s on a quiet machine,
# past the suite's 300 s default on a loaded one.
@pytest.mark.timeout(900)
def test_fuzz_every_operation_as_every_role(fuzz_tenant, django_db_blocker):
    tenant, tokens, ids = fuzz_tenant
    schema = schemathesis.openapi.from_dict(_openapi())
    schema.app = WSGIHandler()
    run = FuzzRun()
    started = time.monotonic()
    with django_db_blocker.unblock():
        for result in schema.get_all_operations():
            operation = result.ok()
            run.operations.add(operation.label)
            for role, (positive, negative) in EXAMPLES.items():
                headers = {"Authorization": f"Token {tokens[role]}"} if role in tokens else {}
                for mode, examples in ((GenerationMode.POSITIVE, positive),
                                       (GenerationMode.NEGATIVE, negative)):
                    if not examples or (mode == GenerationMode.NEGATIVE
                                        and not _has_inputs(operation)):
                        continue
                    op_started = time.monotonic()
                    _fuzz_operation(operation, mode, examples, headers, ids, run, role)
                    run.timing[operation.label] = run.timing.get(operation.label, 0) + (
                        time.monotonic() - op_started)
                    connection.set_schema_to_public()
            if operation.path.startswith(("/api/staff/", "/api/auth/")):
                tokens = _staff_with_tokens(tenant)
    elapsed = time.monotonic() - started
    summary = {"operations": len(run.operations), "examples": run.examples,
               "server_errors": run.server_errors, "failures": len(run.failures),
               "seconds": round(elapsed, 1),
               "by_status": dict(sorted(run.by_status.items())),
               "slowest": sorted(((round(t, 1), op) for op, t in run.timing.items()),
                                 reverse=True)[:8],
               "first_failures": run.failures[:40]}
    artifacts = Path(os.environ.get("POS_TEST_ARTIFACTS", "test-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "fuzz-summary.json").write_text(json.dumps(summary, indent=2))
    print(f"\nfuzz: {summary['operations']} operations, {run.examples} examples, "
          f"{run.server_errors} server errors, {len(run.failures)} failures, {elapsed:.0f}s")
    assert len(run.operations) >= 40
    assert run.server_errors == 0, "\n".join(run.failures[:20])
    assert not run.failures, "\n".join(run.failures[:20])


# --- Regression tests: the cases the fuzzer found, kept explicit ----------------------


@pytest.fixture
def api_schema(alpha):
    """The OpenAPI schema bound to the WSGI app, for validating single answers inside a
    test's transaction (Django's test client also keeps these signals off: they would
    close the connection that holds the transaction)."""
    from django.core import signals
    from django.db import close_old_connections

    schema = schemathesis.openapi.from_dict(_openapi())
    schema.app = WSGIHandler()
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schema
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def call_and_validate(schema, tenant, username, method, path, **case_data):
    from tests.conftest import token_for

    case = schema[path][method].Case(**case_data)
    headers = {"Authorization": f"Token {token_for(tenant, username)}"}
    return case.call_and_validate(base_url=f"http://{tenant.host}", headers=headers,
                                  checks=CHECKS)


@pytest.fixture
def sale(alpha):
    """An event with a completed sale (invoice issued) and a pending hold, in alpha."""
    from tests.conftest import api_client

    with tenant_context(alpha.tenant):
        set_rate()
        setup = make_event(rows="A", seats_per_row=4, ga_capacity=5)
    cashier = api_client(alpha, "cashier")
    sold = cashier.post("/api/holds/", {"event": setup.event.pk, "seat_ids": setup.ids("A1")},
                        format="json").json()["id"]
    cashier.post(f"/api/holds/{sold}/checkout/", {"payments": [
        {"method": "pago_movil", "currency": "VES", "amount": "1160.00",
         "reference": "0102-555123"}]}, format="json")
    pending = cashier.post("/api/holds/", {"event": setup.event.pk,
                                           "seat_ids": setup.ids("A2")}, format="json")
    return setup, sold, pending.json()["id"]


@pytest.mark.parametrize("query", [
    {"limit": "20539523458704215534811721890791424", "offset": "-1248"},
    {"limit": "5", "offset": "1" + "0" * 30},
])
def test_huge_pagination_numbers_are_clamped_not_a_500(alpha, query):
    from tests.conftest import api_client

    response = api_client(alpha, "admin").get("/api/events/", query)
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("path", [
    "/api/events/null/availability/", "/api/events/null/", "/api/transactions/null/",
    "/api/fiscal/documents/null/", "/api/fiscal/documents/null/html/",
    "/api/fiscal/documents/null/pdf/", "/api/webhooks/deliveries/null/",
    "/api/webhooks/endpoints/null/",
])
def test_a_malformed_id_is_404_not_a_500(alpha, path):
    from tests.conftest import api_client

    assert api_client(alpha, "admin").get(path).status_code == 404


def test_renaming_a_zone_to_a_taken_name_is_400_not_a_500(alpha, sale):
    from tests.conftest import api_client

    setup = sale[0]
    admin = api_client(alpha, "admin")
    renamed = admin.put(f"/api/zones/{setup.ga_zone.pk}/", {
        "name": "Platea", "kind": "general", "capacity": 5, "price": "1.00"}, format="json")
    assert renamed.status_code == 400
    assert "already has a zone called 'Platea'" in renamed.json()["name"][0]
    created = admin.post(f"/api/events/{setup.event.pk}/zones/",
                         {"name": "Platea", "price": "1.00"}, format="json")
    assert created.status_code == 400


def test_answers_match_the_schema_where_they_did_not(alpha, sale, api_schema):
    """Schema mismatches the fuzzer found: each call is validated against the schema
    (status documented, content type, body)."""
    setup, sold, pending = sale
    # The quote answers the breakdown itself (it was documented as {breakdown: ...}).
    call_and_validate(api_schema, alpha, "cashier", "POST", "/api/holds/{id}/quote/",
                      path_parameters={"id": pending}, body={"payments": []})
    # Deleting an event with sales is a 409 (undocumented before).
    call_and_validate(api_schema, alpha, "admin", "DELETE", "/api/events/{id}/",
                      path_parameters={"id": setup.event.pk})
    # The seed availability endpoint answers 404 for an unknown event (undocumented).
    call_and_validate(api_schema, alpha, "cashier", "GET", "/sales/ajax/seat-availability/",
                      query={"event": 987654})
    # A history row of the expiry job has no actor: null, now documented as nullable.
    from datetime import timedelta

    from django.utils import timezone

    from reservations.services import expire_stale_holds

    with tenant_context(alpha.tenant):
        expire_stale_holds(now=timezone.now() + timedelta(hours=1))
    detail = call_and_validate(api_schema, alpha, "admin", "GET", "/api/transactions/{id}/",
                               path_parameters={"id": pending})
    assert [h["actor"] for h in detail.json()["history"] if h["reason"] == "expiry"] == [
        None, None]
    call_and_validate(api_schema, alpha, "admin", "GET", "/api/transactions/{id}/",
                      path_parameters={"id": sold})


def test_fiscal_answers_match_the_schema(alpha, sale, api_schema):
    from fiscal.models import ExchangeRate, FiscalDocument

    with tenant_context(alpha.tenant):
        document = FiscalDocument.objects.filter(transaction_id=sale[1]).first()
        rate = ExchangeRate.objects.first()
    # z_number is null until the Z report; documented as an integer only.
    call_and_validate(api_schema, alpha, "admin", "GET", "/api/fiscal/documents/{id}/",
                      path_parameters={"id": document.pk})
    # HTML and PDF were documented as JSON.
    for path in ("/api/fiscal/documents/{id}/html/", "/api/fiscal/documents/{id}/pdf/"):
        call_and_validate(api_schema, alpha, "admin", "GET", path,
                          path_parameters={"id": document.pk})
    # created_by (null: set by a builder) was missing from a PATCH answer.
    call_and_validate(api_schema, alpha, "admin", "PATCH", "/api/fiscal/exchange-rates/{id}/",
                      path_parameters={"id": rate.pk}, body={})
    # A field error on a field called `code` is a list, not the string `code` of an error.
    series = call_and_validate(api_schema, alpha, "admin", "GET", "/api/fiscal/series/")
    call_and_validate(api_schema, alpha, "admin", "PATCH", "/api/fiscal/series/{id}/",
                      path_parameters={"id": series.json()[0]["id"]}, body={"code": ""})
