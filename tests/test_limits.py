"""One throttle for every log-in (django-axes: failed attempts per address and per
username, counted in the schema the log-in happens in) and the request size and shape
limits of the API parser."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD, api_client

LIMIT = settings.AXES_FAILURE_LIMIT
COOL_OFF = settings.AXES_COOLOFF_TIME


def login(client, username="cashier", password="wrong-password", **extra):
    return client.post("/api/auth/token/", {"username": username, "password": password},
                       format="json", **extra)


def test_failed_log_ins_from_one_address_are_throttled_with_retry_after(alpha, beta):
    client = api_client(alpha)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for i in range(LIMIT - 1):
            assert login(client, username=f"user{i}").status_code == 400
        refused = login(client, username="someone-else")
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) == COOL_OFF.total_seconds()
        assert refused.json()["code"] == "throttled"
        assert refused.json()["detail"].startswith("Too many failed log-in attempts")
        # The right password is refused too while throttled: no oracle for guessing.
        assert login(client, password=PASSWORD).status_code == 429
        # Counters are per tenant: the same address on another venue's host is fine.
        assert login(api_client(beta), password=PASSWORD).status_code == 200
    with time_machine.travel(start + COOL_OFF + timedelta(seconds=1), tick=False):
        assert login(client, password=PASSWORD).status_code == 200


def test_successful_log_ins_are_not_counted(alpha):
    client = api_client(alpha)
    for _ in range(LIMIT + 2):
        assert login(client, password=PASSWORD).status_code == 200


def test_one_username_is_throttled_whatever_the_address(alpha):
    client = api_client(alpha)
    for i in range(LIMIT - 1):
        assert login(client, REMOTE_ADDR=f"10.0.0.{i + 1}").status_code == 400
    assert login(client, REMOTE_ADDR="10.0.1.1").status_code == 429  # the limit-th failure
    assert login(client, username="CASHIER ", password=PASSWORD,
                 REMOTE_ADDR="10.0.1.2").status_code == 429
    assert login(client, username="admin", password=PASSWORD,
                 REMOTE_ADDR="10.0.1.3").status_code == 200


def test_failed_attempts_are_rows_of_the_venues_own_schema(alpha):
    login(api_client(alpha), REMOTE_ADDR="10.0.9.9")
    with schema_context(alpha.schema):
        attempt = AccessAttempt.objects.get()
        assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (
            "cashier", "10.0.9.9", 1)
    connection.set_schema_to_public()
    assert not AccessAttempt.objects.exists()  # the public schema's table: the platform's


def test_the_pos_page_log_in_form_shares_the_limits_with_the_api(alpha):
    form = Client(HTTP_HOST=alpha.host)
    for i in range(LIMIT - 1):
        page = form.post("/pos/login/", {"username": "cashier", "password": "wrong"},
                         REMOTE_ADDR=f"10.0.2.{i + 1}")
        assert page.status_code == 200  # the form again, with "wrong password"
    last = form.post("/pos/login/", {"username": "cashier", "password": "wrong"},
                     REMOTE_ADDR="10.0.2.99")
    assert last.status_code == 429  # the failure that reaches the limit
    refused = form.post("/pos/login/", {"username": "cashier", "password": PASSWORD},
                        REMOTE_ADDR="10.0.3.1")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == COOL_OFF.total_seconds()
    page = refused.content.decode()
    assert "Demasiados intentos" in page and 'name="password"' in page
    # The API's token log-in counts the same attempts.
    assert login(api_client(alpha), password=PASSWORD, REMOTE_ADDR="10.0.3.2").status_code \
        == 429


def test_the_venues_django_admin_log_in_shares_the_limits(alpha):
    admin = Client(HTTP_HOST=alpha.host)
    for i in range(LIMIT - 1):
        page = admin.post("/admin/login/", {"username": "admin", "password": "wrong"},
                          REMOTE_ADDR=f"10.0.4.{i + 1}")
        assert page.status_code == 200
    assert admin.post("/admin/login/", {"username": "admin", "password": "wrong"},
                      REMOTE_ADDR="10.0.4.99").status_code == 429
    refused = admin.post("/admin/login/", {"username": "admin", "password": PASSWORD},
                         REMOTE_ADDR="10.0.5.1")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Demasiados intentos" in refused.content.decode()
    assert login(api_client(alpha), username="admin", password=PASSWORD,
                 REMOTE_ADDR="10.0.5.2").status_code == 429


def test_the_platform_admin_log_in_is_throttled_in_the_public_schema(tenants, db, alpha):
    connection.set_schema_to_public()
    get_user_model().objects.create_superuser("platform", password="a-long-pass-1")
    platform = Client(HTTP_HOST="localhost")
    for i in range(LIMIT - 1):
        assert platform.post("/admin/login/", {"username": "platform", "password": "x"},
                             REMOTE_ADDR=f"10.0.6.{i + 1}").status_code == 200
    assert platform.post("/admin/login/", {"username": "platform", "password": "x"},
                         REMOTE_ADDR="10.0.6.99").status_code == 429
    refused = platform.post("/admin/login/", {"username": "platform",
                                              "password": "a-long-pass-1"},
                            REMOTE_ADDR="10.0.7.1")
    assert refused.status_code == 429
    assert AccessAttempt.objects.filter(username="platform").exists()
    # A venue's log-ins are counted apart (its own schema).
    assert login(api_client(alpha), username="admin", password=PASSWORD,
                 REMOTE_ADDR="10.0.6.1").status_code == 200


def test_a_forged_forwarded_for_header_does_not_reset_the_address_counter(alpha):
    client = api_client(alpha)
    for i in range(LIMIT - 1):
        login(client, username=f"u{i}", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert login(client, username="v", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(alpha, settings):
    settings.NUM_PROXIES = 1
    client = api_client(alpha)
    for i in range(LIMIT - 1):
        login(client, username=f"u{i}", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert login(client, username="v", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert login(client, username="admin", password=PASSWORD,
                 HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200
    # Not an address at all: the peer address is counted instead, never a 500.
    assert login(client, username="w", HTTP_X_FORWARDED_FOR="not-an-ip").status_code == 400


def test_a_body_over_the_limit_is_413_json(alpha):
    client = api_client(alpha, "cashier")
    huge = '{"event": 1, "seat_ids": [' + ",".join(["1"] * 200_000) + "]}"
    response = client.post("/api/holds/", huge, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_deeply_nested_json_is_400_not_a_crash(alpha):
    client = api_client(alpha, "cashier")
    for depth in (40, 50_000):
        body = "[" * depth + "]" * depth
        response = client.post("/api/holds/", body, content_type="application/json")
        assert response.status_code == 400, depth
        assert "JSON" in response.json()["detail"]


def test_nan_and_invalid_utf8_are_400(alpha):
    client = api_client(alpha, "cashier")
    for body in ('{"event": NaN}', b'{"event": "\xff"}'):
        response = client.post("/api/holds/", body, content_type="application/json")
        assert response.status_code == 400


def test_only_json_is_accepted(alpha):
    response = api_client(alpha, "cashier").post("/api/holds/", "event=1",
                                                 content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
