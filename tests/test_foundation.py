"""The foundation: tenants, settings, roles, token auth, health, add_tenant."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context

from tenants.models import Domain, Tenant, TenantSettings
from tests.conftest import PASSWORD, api_client


def test_new_tenant_gets_schema_settings_roles_and_venue_admin(db, tenants):
    call_command(
        "add_tenant", "gamma", domain="gamma.localhost", admin="boss", password="a-good-pass-1"
    )
    tenant = Tenant.objects.get(schema_name="gamma")
    assert Domain.objects.get(domain="gamma.localhost").tenant == tenant
    settings = TenantSettings.objects.get(tenant=tenant)
    assert (settings.reservation_hold_minutes, settings.partial_payment_hours) == (10, 72)
    assert settings.max_reservations_per_session == 10
    assert settings.cleanup_interval_minutes == 5
    with schema_context("gamma"):
        from django.contrib.auth import get_user_model

        boss = get_user_model().objects.get(username="boss")
        assert list(boss.groups.values_list("name", flat=True)) == ["venue_admin"]
    # The user exists only in its own schema.
    with schema_context("alpha"):
        from django.contrib.auth import get_user_model

        assert not get_user_model().objects.filter(username="boss").exists()
    connection.set_schema_to_public()
    response = api_client_for_host("gamma.localhost").post(
        "/api/auth/token/", {"username": "boss", "password": "a-good-pass-1"}, format="json"
    )
    assert response.status_code == 200 and response.json()["token"]


def api_client_for_host(host: str):
    from rest_framework.test import APIClient

    return APIClient(HTTP_HOST=host)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["alpha", "--domain", "other.localhost"], "schema 'alpha' already exists"),
        (["delta", "--domain", "alpha.localhost"], "'alpha.localhost' already belongs"),
        (["Bad-Name", "--domain", "bad.localhost"], "Invalid schema name"),
        (["public", "--domain", "pub.localhost"], "public schema is not a tenant"),
    ],
)
def test_add_tenant_refuses_duplicates_and_bad_names(db, tenants, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("add_tenant", *args, "--admin", "x", "--password", "a-good-pass-1")
    assert not Tenant.objects.filter(schema_name__in=["delta", "Bad-Name"]).exists()


def test_add_tenant_exits_non_zero_with_the_message(tenants, tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "add_tenant", "alpha", "--domain", "x.localhost",
         "--admin", "x", "--password", "a-good-pass-1"],
        capture_output=True, text=True, env=_test_db_env(),
    )
    assert result.returncode != 0
    assert "already exists" in result.stderr


def _test_db_env() -> dict[str, str]:
    import os

    from django.conf import settings

    env = dict(os.environ)
    env["POS_DB_NAME"] = settings.DATABASES["default"]["NAME"]
    return env


def test_token_auth_returns_a_token_and_refuses_bad_password(alpha):
    client = api_client(alpha)
    ok = client.post("/api/auth/token/", {"username": "cashier", "password": PASSWORD},
                     format="json")
    assert ok.status_code == 200 and len(ok.json()["token"]) == 64
    bad = client.post("/api/auth/token/", {"username": "cashier", "password": "nope"},
                      format="json")
    assert bad.status_code == 400
    assert "Unable to log in" in bad.json()["detail"]


@pytest.mark.parametrize(
    "body", ["not json", '{"username": 5}', "[]", '{"username": "x"}', ""]
)
def test_token_endpoint_answers_bad_input_with_4xx_json(alpha, body):
    response = api_client(alpha).post("/api/auth/token/", body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.json()


def test_token_of_tenant_a_is_refused_on_tenant_b(alpha, beta):
    client = api_client(alpha, "admin")
    assert client.get("/api/settings/").status_code == 200
    client.defaults["HTTP_HOST"] = beta.host
    response = client.get("/api/settings/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_settings_readable_by_every_role_and_anonymous_refused(alpha):
    for username in ("admin", "cashier", "operator"):
        response = api_client(alpha, username).get("/api/settings/")
        assert response.status_code == 200
        assert response.json()["reservation_hold_minutes"] == 10
    assert api_client(alpha).get("/api/settings/").status_code == 401


def test_only_venue_admin_changes_settings(alpha):
    for username in ("cashier", "operator"):
        response = api_client(alpha, username).patch(
            "/api/settings/", {"reservation_hold_minutes": 3}, format="json"
        )
        assert response.status_code == 403
    response = api_client(alpha, "admin").patch(
        "/api/settings/", {"reservation_hold_minutes": 3, "partial_payment_hours": 24},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["reservation_hold_minutes"] == 3
    assert TenantSettings.objects.get(tenant=alpha.tenant).partial_payment_hours == 24


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reservation_hold_minutes": 0}, "reservation_hold_minutes"),
        ({"reservation_hold_minutes": 100000}, "reservation_hold_minutes"),
        ({"partial_payment_hours": -1}, "partial_payment_hours"),
        ({"max_reservations_per_session": "many"}, "max_reservations_per_session"),
        ({"cleanup_interval_minutes": None}, "cleanup_interval_minutes"),
    ],
)
def test_invalid_settings_answer_400_with_field_errors_and_change_nothing(alpha, body, field):
    response = api_client(alpha, "admin").patch("/api/settings/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert TenantSettings.objects.get(tenant=alpha.tenant).reservation_hold_minutes == 10


def test_settings_of_one_tenant_do_not_change_another(alpha, beta):
    api_client(alpha, "admin").patch("/api/settings/", {"reservation_hold_minutes": 7},
                                     format="json")
    assert api_client(beta, "admin").get("/api/settings/").json()[
        "reservation_hold_minutes"] == 10


def test_healthz_ok_when_database_and_redis_answer(alpha):
    response = api_client(alpha).get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_healthz_503_naming_redis_when_redis_is_down(alpha, settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"},
    }
    response = api_client(alpha).get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error")
    assert body["detail"] == "Unreachable: redis"


def test_unknown_host_is_a_json_404(tenants, db):
    from rest_framework.test import APIClient

    response = APIClient(HTTP_HOST="nobody.localhost").get("/api/settings/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "unknown_host"


def test_a_host_outside_allowed_hosts_is_a_json_404_too(tenants, db):
    """django-tenants answered an empty text/html 404 here (DisallowedHost)."""
    from rest_framework.test import APIClient

    for host in ("evil.example.com", "bad host"):
        response = APIClient(HTTP_HOST=host).get("/api/settings/")
        assert response.status_code == 404
        assert response.json() == {"detail": "No venue is served at this host name.",
                                   "code": "unknown_host"}


def test_openapi_schema_and_swagger_ui_are_served(alpha):
    client = api_client(alpha)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/holds/" in schema.json()["paths"] or "/api/settings/" in schema.json()["paths"]
    assert client.get("/api/docs/").status_code == 200
