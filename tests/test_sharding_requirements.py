"""Tenants placed for sharding (docs/scaling.md, "What sharding requires of the schema"):
each tenant schema must be movable whole to another node (Citus 12's schema-based
sharding), so the code must keep to four rules. Each test checks one against the real
migrated test database (two tenants, alpha and beta) or the real code, and feeds its
checker a violation first, so it is known to catch one.

1. No foreign key between two tenant schemas, none from a public table into a tenant
   schema, tenant tables point into public only at reference tables; sequences, functions
   and tables of a tenant schema stay inside it.
2. Models: a tenant app's model points only at tenant models (or a listed reference
   model); no shared-only model points at a tenant model.
3. Public tables are only the classified ones: reference data (replicated to every node)
   or the platform's own (coordinator only, never read by a venue's request).
4. No cross-tenant query on the request path: no tenant loop or tenant switch outside the
   allow-list of operator code below, and a hold, a checkout, a release and a seat map
   read run every statement with the request's own tenant's search path, naming no other
   tenant's schema and no public table beyond the routing ones.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, models
from django.test.utils import isolate_apps
from django_tenants.utils import get_public_schema_name, tenant_context

from tenants.models import Tenant
from tests.builders import api_hold_id, checkout_body, make_event, set_rate
from tests.conftest import api_client

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = get_public_schema_name()

# --- The public schema, classified (docs/scaling.md, "The public tables") -------------
# Reference data: small, rarely written, read by venue requests or pointed at; under Citus
# `create_reference_table` copies each to every node.
REFERENCE_TABLES = {
    "tenants_tenant": "one row per venue organisation, written when one is created",
    "tenants_domain": "host names: the request's routing (host -> schema)",
    "tenants_tenantsettings": "a venue's settings row, read (remembered) on requests",
    "django_content_type": "static model catalogue, as in every schema",
    "auth_permission": "static permission catalogue, as in every schema",
}
# The platform's own: read and written only by the platform admin, beat and operator
# commands on the coordinator; no venue request and no tenant table touches them.
COORDINATOR_TABLES = {
    "django_migrations": "public schema's migration record",
    "auth_user": "platform admins",
    "auth_group": "platform admin groups",
    "auth_group_permissions": "platform admin groups",
    "auth_user_groups": "platform admins",
    "auth_user_user_permissions": "platform admins",
    "django_session": "platform admin sessions",
    "django_admin_log": "platform admin's change log",
    "axes_accessattempt": "platform admin's failed log-ins",
    "axes_accessattemptexpiration": "platform admin's failed log-ins",
    "axes_accessfailurelog": "platform admin's failed log-ins",
    "axes_accesslog": "platform admin's log-ins",
    "django_celery_beat_clockedschedule": "beat's schedule (read by beat only)",
    "django_celery_beat_crontabschedule": "beat's schedule",
    "django_celery_beat_intervalschedule": "beat's schedule",
    "django_celery_beat_periodictask": "beat's schedule",
    "django_celery_beat_periodictasks": "beat's schedule (change marker)",
    "django_celery_beat_solarschedule": "beat's schedule",
}
# What a venue's request may read in public: the routing (host -> tenant) and the
# tenant's own settings row (tenants.services.current_tenant_settings).
ROUTING_TABLES = {"tenants_domain", "tenants_tenant", "tenants_tenantsettings"}


def tenant_schemas() -> list[str]:
    return sorted(Tenant.objects.exclude(schema_name=PUBLIC)
                  .values_list("schema_name", flat=True))


def _rows(sql: str, params: Iterable = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


# --- 1. Foreign keys, sequences and functions in the database ------------------------

FOREIGN_KEYS = """
SELECT con.conname, src_ns.nspname, src.relname, dst_ns.nspname, dst.relname
FROM pg_constraint con
JOIN pg_class src ON src.oid = con.conrelid
JOIN pg_namespace src_ns ON src_ns.oid = src.relnamespace
JOIN pg_class dst ON dst.oid = con.confrelid
JOIN pg_namespace dst_ns ON dst_ns.oid = dst.relnamespace
WHERE con.contype = 'f'
"""


@dataclass(frozen=True)
class Link:
    """Something in schema `src` that depends on something in schema `dst`."""
    name: str
    src_schema: str
    src: str
    dst_schema: str
    dst: str


def link_violations(links: Iterable[Link], *, tenants: set[str], what: str = "foreign key",
                    reference: Iterable[str] = ()) -> list[str]:
    """Links that stop a tenant schema from moving whole to another node."""
    reference = set(reference)
    found = []
    for link in links:
        where = (f"{what} {link.name}: {link.src_schema}.{link.src} -> "
                 f"{link.dst_schema}.{link.dst}")
        if link.src_schema == link.dst_schema:
            continue
        if link.src_schema in tenants and link.dst_schema in tenants:
            found.append(f"{where} joins two tenants' schemas")
        elif link.dst_schema in tenants:
            found.append(f"{where} points into a tenant schema from outside it")
        elif link.src_schema in tenants and link.dst not in reference:
            found.append(f"{where} points out of the tenant schema at a table that is not "
                         "reference data")
    return found


def database_foreign_keys() -> list[Link]:
    return [Link(*row) for row in _rows(FOREIGN_KEYS)]


def test_link_checker_catches_cross_tenant_and_public_to_tenant_links():
    tenants = {"alpha", "beta"}
    assert link_violations([
        Link("ok", "alpha", "sales_seat", "alpha", "sales_zone"),
        Link("ok_ref", "alpha", "sales_x", PUBLIC, "tenants_tenant"),
    ], tenants=tenants, reference={"tenants_tenant"}) == []
    found = link_violations([
        Link("fk_a", "beta", "sales_seat", "alpha", "sales_zone"),
        Link("fk_b", PUBLIC, "tenants_tenantsettings", "alpha", "sales_event"),
        Link("fk_c", "alpha", "sales_event", PUBLIC, "django_celery_beat_periodictask"),
    ], tenants=tenants, reference=REFERENCE_TABLES)
    assert found == [
        "foreign key fk_a: beta.sales_seat -> alpha.sales_zone joins two tenants' schemas",
        "foreign key fk_b: public.tenants_tenantsettings -> alpha.sales_event points into "
        "a tenant schema from outside it",
        "foreign key fk_c: alpha.sales_event -> public.django_celery_beat_periodictask "
        "points out of the tenant schema at a table that is not reference data"]


def test_no_foreign_key_crosses_a_tenant_schema(alpha, beta):
    tenants = set(tenant_schemas())
    assert {"alpha", "beta"} <= tenants
    links = database_foreign_keys()
    # The check sees the tenants' real constraints (a seat points at its zone in each).
    for schema in ("alpha", "beta"):
        assert any(link.src_schema == schema and link.src == "sales_seat"
                   and link.dst_schema == schema for link in links)
    assert link_violations(links, tenants=tenants, reference=REFERENCE_TABLES) == []


def test_a_real_cross_tenant_foreign_key_is_caught(alpha, beta):
    """The negative case on the real catalogue: a constraint added (and rolled back with
    the test) from beta's seats to alpha's zones is reported."""
    with connection.cursor() as cursor:
        cursor.execute('ALTER TABLE "beta"."sales_seat" ADD CONSTRAINT sharding_probe '
                       'FOREIGN KEY (zone_id) REFERENCES "alpha"."sales_zone" (id) NOT VALID')
    found = link_violations(database_foreign_keys(), tenants=set(tenant_schemas()),
                            reference=REFERENCE_TABLES)
    assert found == ["foreign key sharding_probe: beta.sales_seat -> alpha.sales_zone joins "
                     "two tenants' schemas"]


SEQUENCES = """
SELECT seq.relname, tab_ns.nspname, tab.relname, seq_ns.nspname, seq.relname
FROM pg_depend d
JOIN pg_class seq ON seq.oid = d.objid AND seq.relkind = 'S'
JOIN pg_namespace seq_ns ON seq_ns.oid = seq.relnamespace
JOIN pg_class tab ON tab.oid = d.refobjid
JOIN pg_namespace tab_ns ON tab_ns.oid = tab.relnamespace
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
UNION ALL
SELECT seq.relname, tab_ns.nspname, tab.relname, seq_ns.nspname, seq.relname
FROM pg_depend d
JOIN pg_attrdef ad ON ad.oid = d.objid
JOIN pg_class tab ON tab.oid = ad.adrelid
JOIN pg_namespace tab_ns ON tab_ns.oid = tab.relnamespace
JOIN pg_class seq ON seq.oid = d.refobjid AND seq.relkind = 'S'
JOIN pg_namespace seq_ns ON seq_ns.oid = seq.relnamespace
WHERE d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_class'::regclass
"""

# A trigger function or guard of a tenant schema pins its search path where it was created
# (`SET search_path FROM CURRENT`): its own schema, then public. (The pos_* write functions
# pin none: they resolve through the caller's path, the request's tenant.)
FUNCTION_PATHS = """
SELECT p.proname, n.nspname, p.proname, cfg
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
CROSS JOIN LATERAL unnest(p.proconfig) AS cfg
WHERE cfg LIKE 'search_path=%%'
"""


def test_sequences_and_functions_stay_in_their_tenant_schema(alpha, beta):
    tenants = set(tenant_schemas())
    sequences = [Link(*row) for row in _rows(SEQUENCES)]
    # Every tenant table's id comes from a sequence of its own schema (numbering per schema).
    assert any(s.src_schema == "alpha" and s.src == "sales_transaction" for s in sequences)
    assert link_violations(sequences, tenants=tenants, what="sequence") == []
    functions = []
    for name, schema, _, config in _rows(FUNCTION_PATHS):
        for target in re.split(r"\s*,\s*", config.partition("=")[2]):
            functions.append(Link(name, schema, name, target.strip('"'), "search_path"))
    assert any(f.src_schema == "alpha" and f.src == "sales_seat_guard" for f in functions)
    assert link_violations(functions, tenants=tenants, what="function",
                           reference={"search_path"}) == []
    # The checker would see a function of beta's resolving names in alpha's schema.
    assert link_violations([Link("pos_hold", "beta", "pos_hold", "alpha", "search_path")],
                           tenants=tenants, what="function") == [
        "function pos_hold: beta.pos_hold -> alpha.search_path joins two tenants' schemas"]


def test_tenant_schemas_hold_nothing_citus_cannot_distribute(alpha):
    """Citus refuses foreign tables, inheritance and partitions across schemas in a
    distributed schema."""
    odd = _rows("""
        SELECT n.nspname, c.relname, c.relkind FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%s) AND (c.relkind IN ('f', 'p') OR c.relispartition
              OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid
                                                       OR i.inhparent = c.oid))
    """, [tenant_schemas()])
    assert odd == []


# --- 2. The models ---------------------------------------------------------------------

def app_labels(app_names: Iterable[str]) -> set[str]:
    names = set(app_names)
    return {config.label for config in apps.get_app_configs() if config.name in names}


def model_violations(models_: Iterable[type[models.Model]], *, tenant_labels: set[str],
                     shared_labels: set[str], reference: set[str]) -> list[str]:
    """Relations the schema-per-tenant split cannot carry onto separate nodes.
    `reference`: labels ("app.Model") of shared models a tenant model may point at."""
    shared_only = shared_labels - tenant_labels
    found = []
    for model in models_:
        label = model._meta.app_label
        for field in model._meta.get_fields(include_hidden=True):
            if not field.is_relation or (field.auto_created and not field.concrete):
                continue
            target = field.related_model
            if target is None or isinstance(target, str):  # a generic relation
                continue
            target_label = target._meta.app_label
            name = f"{model._meta.label}.{field.name} -> {target._meta.label}"
            if (label in tenant_labels and target_label not in tenant_labels
                    and target._meta.label not in reference):
                found.append(f"{name}: a tenant model points at a shared-only model")
            if label in shared_only and target_label not in shared_labels:
                found.append(f"{name}: a shared model points at a tenant model")
    return found


TENANT_LABELS = app_labels(settings.TENANT_APPS)
SHARED_LABELS = app_labels(settings.SHARED_APPS)
# Shared models a tenant model may point at (reference data); none today.
REFERENCE_MODELS: set[str] = set()


def test_model_checker_catches_relations_across_the_split():
    from sales.models import Event

    with isolate_apps("sales", "tenants"):
        class StrayInTenant(models.Model):
            tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)

            class Meta:
                app_label = "sales"

            def __str__(self) -> str:
                return "stray"

        class StrayInPublic(models.Model):
            event = models.ForeignKey(Event, on_delete=models.CASCADE)

            class Meta:
                app_label = "tenants"

            def __str__(self) -> str:
                return "stray"

        found = model_violations([StrayInTenant, StrayInPublic], tenant_labels=TENANT_LABELS,
                                 shared_labels=SHARED_LABELS, reference=REFERENCE_MODELS)
    assert found == [
        "sales.StrayInTenant.tenant -> tenants.Tenant: a tenant model points at a "
        "shared-only model",
        "tenants.StrayInPublic.event -> sales.Event: a shared model points at a tenant "
        "model"]


def test_models_keep_tenant_data_and_shared_data_apart():
    checked = apps.get_models(include_auto_created=True)
    assert any(m._meta.label == "sales.Seat" for m in checked)
    assert model_violations(checked, tenant_labels=TENANT_LABELS, shared_labels=SHARED_LABELS,
                            reference=REFERENCE_MODELS) == []


# --- 3. The public tables --------------------------------------------------------------

def public_tables() -> set[str]:
    return {name for (name,) in _rows(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [PUBLIC])}


def test_every_public_table_is_classified_as_reference_or_platform_only(alpha):
    assert not REFERENCE_TABLES.keys() & COORDINATOR_TABLES.keys()
    classified = REFERENCE_TABLES.keys() | COORDINATOR_TABLES.keys()
    tables = public_tables()
    # A new shared model's table must be classified (docs/scaling.md) before it lands.
    assert sorted(tables - classified) == []
    assert sorted(classified - tables) == []  # and the list stays true


# --- 4a. The code: no tenant loop or switch on the request path ------------------------

# Calls that switch the connection to another schema or read the tenant catalogue.
SWITCHES = {"schema_context", "tenant_context", "set_tenant", "set_schema",
            "set_schema_to_public"}
CATALOGUE_CALLS = {"get_tenant_model", "get_tenant_domain_model", "venue_tenants"}
CATALOGUE_MODELS = {"Tenant", "Domain", "TenantSettings"}
SCANNED = ("pos", "tenants", "sales", "reservations", "fiscal")

# Where a tenant switch or a catalogue read is allowed: (module, function) -> why.
# "*" allows the whole module. Operator code loops tenants one at a time; request code
# may only re-enter its own tenant or route to the host's tenant.
ALLOWED: dict[tuple[str, str], str] = {
    # Operator code: commands, beat tasks, provisioning. They loop over tenants one at a
    # time (each tenant's work routed to its node); none runs inside a venue's request.
    ("pos/file_command.py", "*"): "base of the export commands: --tenant or each tenant",
    ("reservations/management/operator_command.py", "*"): "base of the operator commands",
    ("fiscal/management/commands/_fiscal_command.py", "*"): "base of the fiscal commands",
    ("tenants/staff/management/commands/add_staff.py", "*"): "command: a tenant's staff",
    ("sales/management/commands/add_tenant.py", "*"): "command: provisions a tenant",
    ("reservations/tasks.py", "*"): "beat tasks: cleanup and extension, tenant by tenant",
    ("tenants/tasks.py", "*"): "beat task: the heartbeat, tenant by tenant",
    ("tenants/demo.py", "*"): "setup_demo command: provisions the demo tenant",
    ("tenants/services.py", "_validate_new_tenant"): "provisioning: name not yet taken",
    ("tenants/services.py", "ensure_public_tenant"): "provisioning: the platform's row",
    ("tenants/services.py", "ensure_platform_superuser"): "provisioning: platform admin",
    ("tenants/services.py", "create_tenant"): "provisioning: schema, domain, settings",
    ("tenants/selectors.py", "venue_tenants"): "the operator loop's list (callers checked)",
    # Routing: the host's tenant, found once per request or socket.
    ("pos/db_backend/base.py", "DatabaseWrapper.set_tenant"): "the backend's own set_tenant",
    ("pos/replica.py", "_follow_tenant"): "routing: the replica connection follows the "
                                          "request's own tenant, never another",
    ("tenants/identity.py", "tenant_for_hostname.load"): "routing: host -> tenant",
    ("reservations/consumers.py", "authenticate"): "a socket's routing: host -> tenant",
    ("reservations/consumers.py", "_load"): "a socket's map read in the host's tenant",
    # The request's own tenant: its settings row (public, keyed by the request's schema),
    # and work after the answer or the commit re-entering the schema it captured.
    ("tenants/services.py", "current_tenant_settings.load"): "the request tenant's settings",
    ("pos/exports.py", "streamed_csv.lines"): "a streamed CSV read in the request's schema",
    ("reservations/services.py", "release_holds_after_commit.release"):
        "after commit, in the schema captured from the request",
    ("sales/mail/receivers.py", "queue_customer_mail"):
        "after commit, in the domain event's schema (the request's)",
    ("sales/webhooks/selectors.py", "subscribed_events"):
        "after commit, in the domain event's schema (the request's)",
}


@dataclass(frozen=True)
class Found:
    module: str
    function: str
    construct: str
    line: int


class _Finder(ast.NodeVisitor):
    def __init__(self, module: str) -> None:
        self.module, self.scope, self.found = module, [], []

    def _enter(self, node) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _enter

    def _add(self, construct: str, node: ast.AST) -> None:
        self.found.append(Found(self.module, ".".join(self.scope) or "<module>", construct,
                                node.lineno))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = (func.id if isinstance(func, ast.Name)
                else func.attr if isinstance(func, ast.Attribute) else None)
        if name in SWITCHES or name in CATALOGUE_CALLS:
            self._add(f"{name}()", node)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if (node.attr == "objects" and isinstance(node.value, ast.Name)
                and node.value.id in CATALOGUE_MODELS):
            self._add(f"{node.value.id}.objects", node)
        self.generic_visit(node)


def tenant_crossings(module: str, source: str) -> list[Found]:
    finder = _Finder(module)
    finder.visit(ast.parse(source))
    return finder.found


def unallowed(found: Iterable[Found], allowed: dict[tuple[str, str], str]) -> list[str]:
    return [f"{f.module}:{f.line} {f.function}: {f.construct}" for f in found
            if (f.module, "*") not in allowed and (f.module, f.function) not in allowed]


def project_modules() -> Iterator[tuple[str, str]]:
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), path.read_text()


def test_scanner_catches_a_tenant_loop_in_a_view():
    source = (
        "def report(request):\n"
        "    total = 0\n"
        "    for tenant in Tenant.objects.all():\n"
        "        with tenant_context(tenant):\n"
        "            total += Transaction.objects.count()\n"
        "    return total\n")
    found = tenant_crossings("sales/views.py", source)
    assert unallowed(found, ALLOWED) == ["sales/views.py:3 report: Tenant.objects",
                                         "sales/views.py:4 report: tenant_context()"]
    # The same loop in a beat task module is operator code.
    assert unallowed(tenant_crossings("reservations/tasks.py", source), ALLOWED) == []


def test_no_tenant_loop_or_switch_outside_the_allowed_operator_and_routing_code():
    found = [f for module, source in project_modules()
             for f in tenant_crossings(module, source)]
    assert unallowed(found, ALLOWED) == []
    # Every allowed entry still has something to allow: the list stays true.
    used = {(f.module, f.function) for f in found} | {(f.module, "*") for f in found}
    assert sorted(set(ALLOWED) - used) == []


# --- 4b. The request path at run time ----------------------------------------------------

@dataclass(frozen=True)
class Statement:
    sql: str
    search_path: tuple[str, ...] | None  # None: it sets the path (SET or set_config)
    params: tuple = ()


# A statement that sets the path: `SET [LOCAL] search_path ...` or
# `set_config('search_path', ...)` (a pooler-safe router may use either).
SETS_PATH = re.compile(r"^\s*SET\s+(LOCAL\s+|SESSION\s+)?search_path|set_config\(\s*'search_path'",
                       re.IGNORECASE)


def _path(setting: str) -> tuple[str, ...]:
    return tuple(part.strip().strip('"') for part in setting.split(",") if part.strip())


class SearchPathRecorder:
    """Every statement Django sends, with the search path the session really has when it
    runs (read on the same connection, outside Django's cursor)."""

    def __init__(self) -> None:
        self.statements: list[Statement] = []

    def __call__(self, execute, sql, params, many, context):
        path = None
        if not SETS_PATH.search(sql):
            with context["connection"].connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('search_path')")
                path = _path(cursor.fetchone()[0])
        values = tuple(p for p in (params or ()) if isinstance(p, str)) if not many else ()
        self.statements.append(Statement(sql, path, values))
        return execute(sql, params, many, context)


def tables_by_schema(schemas: Iterable[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for schema, table in _rows("SELECT table_schema, table_name FROM information_schema.tables "
                               "WHERE table_schema = ANY(%s)", [list(schemas)]):
        found.setdefault(schema, set()).add(table)
    return found


def request_violations(statements: Iterable[Statement], *, tenant: str,
                       tables: dict[str, set[str]]) -> list[str]:
    """Statements of one request of `tenant` that reach past it: another search path,
    another tenant's schema named, a public table beyond the routing ones."""
    others = [schema for schema in tables if schema not in (tenant, PUBLIC)]
    alternatives = "|".join(map(re.escape, others))
    qualified = re.compile(rf'(?<![\w"])"?({alternatives})"?\s*\.') if others else None
    known = set().union(*tables.values())
    found = []
    for statement in statements:
        sql = statement.sql
        short = " ".join(sql.split())[:120]
        if qualified and (match := qualified.search(sql)):
            found.append(f"names tenant schema {match.group(1)!r}: {short}")
        if statement.search_path is None:
            setting = " ".join([sql.partition("search_path")[2].replace("%s", ""),
                                *statement.params])
            named = set(re.findall(r"[A-Za-z_][\w$]*", setting)) - {"TO", "true", "false"}
            if not named <= {tenant, PUBLIC}:
                found.append(f"sets another search path: {short}")
            continue
        path = statement.search_path
        used = set(re.findall(r"[A-Za-z_][\w$]*", sql)) & known
        resolved = {table: next((s for s in path if table in tables.get(s, ())), None)
                    for table in used}
        if path not in ((tenant, PUBLIC), (PUBLIC,)):
            found.append(f"runs with search path {', '.join(path)}: {short}")
        elif path == (PUBLIC,) and not used <= ROUTING_TABLES:
            found.append(f"runs on the public path beyond routing: {short}")
        for table, schema in sorted(resolved.items()):
            if schema == PUBLIC and table not in ROUTING_TABLES:
                found.append(f"reads public table {table}: {short}")
    return found


def test_request_checker_catches_other_paths_schemas_and_public_tables():
    tables = {"alpha": {"sales_event", "sales_seat"}, "beta": {"sales_event", "sales_seat"},
              PUBLIC: {"tenants_domain", "tenants_tenant", "django_celery_beat_periodictask"}}
    ok = [Statement('SELECT "tenants_domain"."id" FROM "tenants_domain"', (PUBLIC,)),
          Statement("SET search_path = 'alpha','public'", None),
          Statement("SELECT set_config('search_path', %s, true)", None, ('"alpha", public',)),
          Statement('SELECT "sales_event"."id" FROM "sales_event"', ("alpha", PUBLIC))]
    assert request_violations(ok, tenant="alpha", tables=tables) == []
    bad = [Statement('SELECT 1 FROM "sales_event"', ("beta", PUBLIC)),
           Statement('SELECT 1 FROM "beta"."sales_seat"', ("alpha", PUBLIC)),
           Statement("SELECT 1 FROM django_celery_beat_periodictask", ("alpha", PUBLIC)),
           Statement("SET search_path = 'beta','public'", None),
           Statement("SELECT set_config('search_path', %s, true)", None, ("beta, public",))]
    assert request_violations(bad, tenant="alpha", tables=tables) == [
        'runs with search path beta, public: SELECT 1 FROM "sales_event"',
        "names tenant schema 'beta': SELECT 1 FROM \"beta\".\"sales_seat\"",
        "reads public table django_celery_beat_periodictask: SELECT 1 FROM "
        "django_celery_beat_periodictask",
        "sets another search path: SET search_path = 'beta','public'",
        "sets another search path: SELECT set_config('search_path', %s, true)"]


@pytest.fixture
def on_sale(alpha, beta):
    setups = {}
    for fixture in (alpha, beta):
        with tenant_context(fixture.tenant):
            set_rate()
            setups[fixture.schema] = make_event(rows="A", seats_per_row=6)
    connection.set_schema_to_public()
    return setups


def test_holds_checkouts_releases_and_maps_run_in_their_own_tenant_only(
        alpha, beta, on_sale, django_capture_on_commit_callbacks):
    """Requests of two tenants, interleaved on one connection, as a worker serves them."""
    from tenants import identity

    tables = tables_by_schema([PUBLIC, *tenant_schemas()])
    clients = {f.schema: api_client(f, "cashier") for f in (alpha, beta)}
    identity.forget_all()  # the first requests route through the domain table
    seen: dict[str, list[Statement]] = {"alpha": [], "beta": []}

    def request(schema: str, method: str, path: str, body: dict | None = None) -> dict:
        recorder = SearchPathRecorder()
        with connection.execute_wrapper(recorder), \
                django_capture_on_commit_callbacks(execute=True):
            answer = getattr(clients[schema], method)(path, body, format="json")
        assert answer.status_code in (200, 201), (path, answer.content[:300])
        seen[schema].extend(recorder.statements)
        return answer.json() if answer.content else {}

    holds = {}
    for schema in ("alpha", "beta"):
        request(schema, "get", f"/api/events/{on_sale[schema].event.pk}/availability/")
    for schema in ("alpha", "beta"):
        setup = on_sale[schema]
        holds[schema] = request(schema, "post", "/api/holds/", {
            "event": setup.event.pk, "seat_ids": setup.ids("A1", "A2")})["id"]
    for schema in ("alpha", "beta"):
        request(schema, "post", f"/api/holds/{holds[schema]}/checkout/",
                checkout_body(("cash", "VES", "2320.00")))
        released = api_hold_id(clients[schema], on_sale[schema], "A3")
        request(schema, "post", f"/api/holds/{released}/release/",
                {"seat_ids": on_sale[schema].ids("A3")})
        request(schema, "get", f"/api/events/{on_sale[schema].event.pk}/availability/")

    for schema, statements in seen.items():
        sql = [s.sql for s in statements]
        # The flows really ran here: the write functions and a public routing read.
        assert any("pos_hold(" in s for s in sql) and any("pos_complete(" in s for s in sql)
        assert any("tenants_domain" in s for s in sql), "no routing read was recorded"
        assert request_violations(statements, tenant=schema, tables=tables) == []
