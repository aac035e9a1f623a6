"""Log-in throttling (Redis-backed, per tenant, per address and per username) and the
request size and shape limits of the API parser."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from tests.conftest import PASSWORD, api_client


def login(client, username="cashier", password=None, **extra):
    """A log-in attempt. Without a password it is refused (400) before any password
    hashing, which keeps these tests fast; the throttles count it all the same."""
    body = {"username": username} | ({"password": password} if password else {})
    return client.post("/api/auth/token/", body, format="json", **extra)


def test_login_attempts_from_one_address_are_throttled_with_retry_after(alpha, beta):
    client = api_client(alpha)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for i in range(20):
            assert login(client, username=f"user{i}").status_code == 400
        refused = login(client, username="someone-else")
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) > 0
        assert refused.json()["detail"].startswith("Request was throttled")
        # The right password is refused too while throttled: no oracle for guessing.
        assert login(client, password=PASSWORD).status_code == 429
        # Counters are per tenant: the same address on another venue's host is fine.
        assert login(api_client(beta), password=PASSWORD).status_code == 200
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert login(client, password=PASSWORD).status_code == 200


def test_one_username_is_throttled_whatever_the_address(alpha):
    client = api_client(alpha)
    for i in range(10):
        response = login(client, REMOTE_ADDR=f"10.0.0.{i + 1}")
        assert response.status_code == 400
    assert login(client, REMOTE_ADDR="10.0.1.1").status_code == 429
    assert login(client, username="CASHIER ", REMOTE_ADDR="10.0.1.2").status_code == 429
    assert login(client, username="admin", password=PASSWORD,
                 REMOTE_ADDR="10.0.1.3").status_code == 200


def test_the_pos_page_log_in_form_shares_the_username_limit(alpha):
    from django.test import Client

    form = Client(HTTP_HOST=alpha.host)
    for i in range(10):
        page = form.post("/pos/login/", {"username": "cashier", "password": "wrong"},
                         REMOTE_ADDR=f"10.0.2.{i + 1}")
        assert page.status_code == 200  # the form again, with "wrong password"
    refused = form.post("/pos/login/", {"username": "cashier", "password": PASSWORD},
                        REMOTE_ADDR="10.0.3.1")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Demasiados intentos" in refused.content.decode()
    # The API's token log-in counts the same attempts.
    assert login(api_client(alpha), password=PASSWORD, REMOTE_ADDR="10.0.3.2").status_code == 429


def test_a_forged_forwarded_for_header_does_not_reset_the_address_counter(alpha):
    client = api_client(alpha)
    for i in range(20):
        login(client, username=f"u{i}", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert login(client, username="v", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


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
