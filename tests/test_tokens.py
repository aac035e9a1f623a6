"""API tokens (django-rest-knox, one per device): log in per terminal, log out, revoke one
lost device, and the DRF tokens issued before still answering."""

from __future__ import annotations

import hashlib

from django.contrib.auth import get_user_model
from django.db import connection
from django_tenants.utils import schema_context
from knox.models import get_token_model

from tests.conftest import PASSWORD, api_client

LOGIN = "/api/auth/token/"


def log_in(tenant, username="cashier", password=PASSWORD, **body):
    return api_client(tenant).post(LOGIN, {"username": username, "password": password, **body},
                                   format="json")


def bearer(tenant, token: str):
    client = api_client(tenant)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def tokens_of(tenant, username="cashier") -> list:
    with schema_context(tenant.schema):
        return list(get_token_model().objects.filter(user__username=username)
                    .values_list("terminal", flat=True).order_by("id"))


def test_a_log_in_answers_a_token_that_works_as_authorization_token(alpha):
    answer = log_in(alpha, terminal="Caja 1")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"token", "terminal", "created", "expiry"}
    assert body["terminal"] == "Caja 1" and body["expiry"] is None
    assert bearer(alpha, body["token"]).get("/api/settings/").status_code == 200
    # Only a digest is stored, never the token.
    with schema_context(alpha.schema):
        stored = get_token_model().objects.get(terminal="Caja 1")
    assert body["token"] not in (stored.digest, stored.token_key)


def test_each_terminal_gets_its_own_token_and_a_new_log_in_replaces_only_its_own(alpha):
    first = log_in(alpha, terminal="Caja 1").json()["token"]
    second = log_in(alpha, terminal="Caja 2").json()["token"]
    again = log_in(alpha, terminal="Caja 1").json()["token"]
    assert len({first, second, again}) == 3
    assert bearer(alpha, first).get("/api/settings/").status_code == 401
    assert bearer(alpha, second).get("/api/settings/").status_code == 200
    assert bearer(alpha, again).get("/api/settings/").status_code == 200
    assert tokens_of(alpha) == ["Caja 2", "Caja 1"]


def test_the_terminal_name_defaults_to_the_x_pos_terminal_header(alpha):
    answer = api_client(alpha).post(LOGIN, {"username": "cashier", "password": PASSWORD},
                                    format="json", HTTP_X_POS_TERMINAL="Taquilla Norte")
    assert answer.json()["terminal"] == "Taquilla Norte"


def test_log_out_revokes_the_callers_token_only(alpha):
    caja1 = bearer(alpha, log_in(alpha, terminal="Caja 1").json()["token"])
    caja2 = bearer(alpha, log_in(alpha, terminal="Caja 2").json()["token"])
    assert caja1.get("/api/settings/").status_code == 200  # remembered by the worker
    assert caja1.delete(LOGIN).status_code == 204
    assert caja1.get("/api/settings/").status_code == 401
    assert caja1.delete(LOGIN).status_code == 401
    assert caja2.get("/api/settings/").status_code == 200


def test_log_out_without_a_token_is_401_and_a_stale_token_does_not_block_a_log_in(alpha):
    assert api_client(alpha).delete(LOGIN).status_code == 401
    stale = bearer(alpha, "0" * 64)
    assert stale.get("/api/settings/").status_code == 401
    assert stale.post(LOGIN, {"username": "cashier", "password": PASSWORD},
                      format="json").status_code == 200


def test_a_malformed_token_header_is_401_not_a_500(alpha):
    client = api_client(alpha)
    for header in ("Token", "Token a b", "Token \xff\xfe"):
        assert client.get("/api/settings/", HTTP_AUTHORIZATION=header).status_code == 401


def test_tokens_beyond_the_per_user_cap_revoke_the_oldest(alpha, settings):
    settings.POS_TOKENS_PER_USER = 3
    issued = [log_in(alpha).json()["token"] for _ in range(4)]
    assert bearer(alpha, issued[0]).get("/api/settings/").status_code == 401
    assert all(bearer(alpha, t).get("/api/settings/").status_code == 200 for t in issued[1:])


def test_a_deactivated_user_cannot_log_in(alpha):
    with schema_context(alpha.schema):
        user = get_user_model().objects.get(username="cashier")
        user.is_active = False
        user.save()
    assert log_in(alpha).status_code == 400


def test_door_staff_may_log_in_and_out_and_nothing_else(alpha):
    door = bearer(alpha, log_in(alpha, username="door").json()["token"])
    assert door.get("/api/settings/").status_code == 403
    assert door.get("/api/events/").status_code == 403
    assert door.delete(LOGIN).status_code == 204


def test_a_token_issued_by_drf_authtoken_before_knox_keeps_working(alpha):
    """tenants/staff/migrations/0002: each DRF token becomes a device token (its digest)
    and the table with the tokens in clear text is dropped."""
    from importlib import import_module

    from django.apps import apps

    carry_over = import_module("tenants.staff.migrations.0002_carry_over_drf_tokens").carry_over
    old_key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    with schema_context(alpha.schema):
        user = get_user_model().objects.get(username="operator")
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
                           "created timestamptz NOT NULL, user_id integer NOT NULL)")
            cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)",
                           [old_key, user.pk])
        with connection.schema_editor() as editor:
            carry_over(apps, editor)
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('authtoken_token')")
            assert cursor.fetchone()[0] is None
        stored = get_token_model().objects.get(user=user)
        assert stored.digest == hashlib.sha512(old_key.encode()).hexdigest()
    connection.set_schema_to_public()
    assert bearer(alpha, old_key).get("/api/settings/").status_code == 200
