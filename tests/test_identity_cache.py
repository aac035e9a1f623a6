"""What a worker remembers of host names and tokens (tenants.identity): the lookups are
skipped on repeat requests, and every change that matters is honoured on the very next
request, in this process and in any other."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from knox.models import get_token_model

from tenants.models import Domain
from tenants.roles import Role
from tests.conftest import api_client, token_for

REPO_DIR = Path(__file__).resolve().parent.parent
IDENTITY_TABLES = ("tenants_domain", "staff_devicetoken", "auth_group")


def identity_queries(client, path: str = "/api/settings/") -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(path).status_code
    return status, [q["sql"] for q in ctx.captured_queries
                    if any(table in q["sql"] for table in IDENTITY_TABLES)]


def test_a_repeat_request_makes_no_domain_token_or_role_query(alpha):
    client = api_client(alpha, "cashier")
    status, first = identity_queries(client)
    assert status == 200 and len(first) == 3  # domain, token + user, the user's groups
    status, again = identity_queries(client)
    assert status == 200 and again == [], again


def test_a_warm_trivial_get_with_a_knox_token_runs_no_sql_at_all(alpha):
    """The trivial authenticated GET of benchmarks/request_costs.py: once the worker
    remembers the host, the token (by digest) and the settings, 0 statements."""
    client = api_client(alpha, "cashier")
    assert client.get("/api/settings/").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/settings/").status_code == 200
    assert [q["sql"] for q in ctx.captured_queries] == []


def test_a_log_in_elsewhere_does_not_make_the_worker_forget(alpha):
    """A new token is in no worker's memory: issuing one (every log-in) keeps what the
    workers remember; revoking one (a terminal logging in again) does not."""
    client = api_client(alpha, "cashier")
    assert client.get("/api/settings/").status_code == 200
    token_for(alpha, "operator", terminal="Caja 9")
    assert identity_queries(client)[1] == []


def test_a_worker_remembers_tokens_by_digest_never_the_token(alpha):
    from knox.crypto import hash_token

    from tenants import identity

    token = token_for(alpha, "cashier")
    assert api_client(alpha).get("/api/settings/",
                                 HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    keys = [key for key in identity._entries if key[0] == "token"]
    assert keys == [("token", alpha.schema, hash_token(token))]
    assert token not in repr(identity._entries)


def test_a_remembered_token_past_its_expiry_is_refused(alpha, settings):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(hours=1)}
    client = api_client(alpha, "cashier")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.get("/api/settings/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert client.get("/api/settings/").status_code == 200  # remembered, still valid
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert client.get("/api/settings/").status_code == 401


def test_a_password_change_revokes_tokens_and_sessions_on_the_next_request(alpha):
    token_client = api_client(alpha, "cashier")
    session_client = api_client(alpha)
    with schema_context(alpha.schema):
        user = get_user_model().objects.get(username="cashier")
        session_client.force_login(user)
    assert token_client.get("/api/settings/").status_code == 200
    assert session_client.get("/api/settings/").status_code == 200
    with schema_context(alpha.schema):
        user.set_password("a-brand-new-password")
        user.save()
    assert token_client.get("/api/settings/").status_code == 401
    assert session_client.get("/api/settings/").status_code == 401  # logged out
    assert api_client(alpha, "cashier").get("/api/settings/").status_code == 200


def test_a_revoked_token_is_refused_on_the_next_request(alpha):
    client = api_client(alpha, "cashier")
    assert client.get("/api/settings/").status_code == 200
    with schema_context(alpha.schema):
        get_token_model().objects.filter(user__username="cashier").delete()
    response = client.get("/api/settings/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_a_deactivated_user_is_refused_on_the_next_request(alpha):
    client = api_client(alpha, "cashier")
    assert client.get("/api/settings/").status_code == 200
    with schema_context(alpha.schema):
        user = get_user_model().objects.get(username="cashier")
        user.is_active = False
        user.save()
    assert client.get("/api/settings/").status_code == 401


def test_a_role_granted_or_taken_away_revokes_the_users_tokens_on_the_next_request(alpha):
    client = api_client(alpha, "cashier")
    change = {"reservation_hold_minutes": 12}
    assert client.patch("/api/settings/", change, format="json").status_code == 403
    with schema_context(alpha.schema):
        user = get_user_model().objects.get(username="cashier")
        admins = Group.objects.get(name=Role.VENUE_ADMIN.value)
        user.groups.add(admins)
    assert client.patch("/api/settings/", change, format="json").status_code == 401
    promoted = api_client(alpha, "cashier")  # logs in again: the new role applies
    assert promoted.patch("/api/settings/", change, format="json").status_code == 200
    with schema_context(alpha.schema):
        admins.user_set.remove(user)  # from the group's side of the relation too
    assert promoted.patch("/api/settings/", change, format="json").status_code == 401
    assert api_client(alpha, "cashier").patch("/api/settings/", change,
                                              format="json").status_code == 403


def test_a_role_change_applies_to_a_session_on_the_next_request(alpha):
    client = api_client(alpha)
    with schema_context(alpha.schema):
        user = get_user_model().objects.get(username="cashier")
        client.force_login(user)
    change = {"reservation_hold_minutes": 12}
    assert client.patch("/api/settings/", change, format="json").status_code == 403
    with schema_context(alpha.schema):
        user.groups.add(Group.objects.get(name=Role.VENUE_ADMIN.value))
    assert client.patch("/api/settings/", change, format="json").status_code == 200


def test_a_token_remembered_on_its_tenant_is_still_refused_on_another(alpha, beta):
    token = token_for(alpha, "cashier")
    assert api_client(alpha).get("/api/settings/",
                                 HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    on_beta = api_client(beta).get("/api/settings/", HTTP_AUTHORIZATION=f"Token {token}")
    assert on_beta.status_code == 401


def test_a_removed_domain_stops_routing_on_the_next_request(alpha):
    Domain.objects.create(domain="alpha-box-office.localhost", tenant=alpha.tenant)
    client = api_client(alpha, "cashier")
    host = {"HTTP_HOST": "alpha-box-office.localhost"}
    assert client.get("/api/settings/", **host).status_code == 200
    Domain.objects.filter(domain="alpha-box-office.localhost").delete()
    assert client.get("/api/settings/", **host).status_code == 404


def test_a_change_recorded_by_another_process_is_seen_here(alpha):
    """The version lives in Redis: another worker replacing it makes this one read again."""
    client = api_client(alpha, "cashier")
    assert identity_queries(client)[1] != []
    assert identity_queries(client)[1] == []
    subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); "
         "from tenants.identity import replace_version; replace_version()"],
        cwd=REPO_DIR, check=True, timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "pos.settings"},
    )
    status, again = identity_queries(client)
    assert status == 200 and len(again) == 3


def test_a_settings_change_applies_to_the_next_hold(alpha):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from tests.builders import make_event

    with tenant_context(alpha.tenant):
        made = make_event(rows="A", seats_per_row=4, price="10.00")
    cashier, admin = api_client(alpha, "cashier"), api_client(alpha, "admin")
    start = timezone.now()

    def hold_minutes(label: str) -> timedelta:
        with time_machine.travel(start, tick=False):
            body = cashier.post("/api/holds/", {"event": made.event.pk,
                                                "seat_ids": made.ids(label)},
                                format="json").json()
        return timezone.datetime.fromisoformat(body["expires_at"]) - start

    assert hold_minutes("A1") == timedelta(minutes=10)
    assert admin.patch("/api/settings/", {"reservation_hold_minutes": 3},
                       format="json").status_code == 200
    assert hold_minutes("A2") == timedelta(minutes=3)
