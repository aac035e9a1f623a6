"""Response headers and the answers gunicorn gives itself: the Content-Security-Policy,
HSTS and Secure cookies on HTTPS, the API docs from our own static files, no `Server`
banner, JSON for malformed requests. (The browser side of the CSP, with Chromium, is in
tests/test_pos_page.py.)"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import PASSWORD, api_client
from tests.processes import free_port

REPO = Path(__file__).resolve().parent.parent
HTTPS = {"HTTP_X_FORWARDED_PROTO": "https"}


def csp_directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/api/settings/", "/pos/login/", "/api/docs/",
                                  "/admin/login/", "/healthz"])
def test_every_answer_carries_a_strict_content_security_policy(alpha, path):
    response = api_client(alpha, "cashier").get(path)
    directives = csp_directives(response)
    assert directives["script-src"] == ["'self'"]  # no inline script, no other origin
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_only_redoc_may_use_inline_styles_and_blob_workers(alpha):
    redoc = csp_directives(api_client(alpha).get("/api/redoc/"))
    assert redoc["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in redoc["style-src"] and "blob:" in redoc["worker-src"]
    assert "'unsafe-inline'" not in csp_directives(api_client(alpha).get("/api/docs/"))[
        "style-src"]


def test_an_https_request_gets_hsts_and_secure_cookies(alpha):
    client = Client(HTTP_HOST=alpha.host)
    page = client.get("/pos/login/", **HTTPS)
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")
    assert page.cookies["csrftoken"]["secure"] is True
    logged_in = client.post("/pos/login/", {"username": "cashier", "password": PASSWORD,
                                            "csrfmiddlewaretoken": page.cookies[
                                                "csrftoken"].value}, **HTTPS)
    assert logged_in.status_code == 302
    assert logged_in.cookies["sessionid"]["secure"] is True
    assert logged_in.cookies["sessionid"]["httponly"] is True


def test_a_plain_http_request_gets_neither_so_make_run_keeps_working(alpha):
    client = Client(HTTP_HOST=alpha.host)
    page = client.get("/pos/login/")
    assert "Strict-Transport-Security" not in page
    assert not page.cookies["csrftoken"]["secure"]
    logged_in = client.post("/pos/login/", {"username": "cashier", "password": PASSWORD})
    assert not logged_in.cookies["sessionid"]["secure"]


def test_swagger_ui_and_redoc_come_from_our_own_static_files(alpha):
    client = api_client(alpha)
    for path in ("/api/docs/", "/api/redoc/"):
        html = client.get(path).content.decode()
        assert not re.search(r"(src|href)=\"https?://", html), html
        assert "/static/drf_spectacular_sidecar/" in html
        assert "<script>" not in html and "<style>" not in html  # nothing inline
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    for asset in ("swagger-ui-dist/swagger-ui-bundle.js", "redoc/bundles/redoc.standalone.js"):
        assert client.get(f"/static/drf_spectacular_sidecar/{asset}").status_code == 200


# --- gunicorn, as every deployment runs it (pos/gunicorn_config.py) ------------------


def _raw(port: int, request: bytes) -> tuple[str, str]:
    """Send bytes, read the whole answer: (head, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.decode("latin-1").partition("\r\n\r\n")
    return head, body


@pytest.fixture(scope="module")
def gunicorn(tenants) -> Iterator[int]:
    """gunicorn with the project's configuration, on the test database."""
    port = free_port()
    env = {**os.environ, "POS_DB_NAME": settings.DATABASES["default"]["NAME"]}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:pos.gunicorn_config",
         "pos.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.integration
def test_gunicorn_sends_no_server_banner(gunicorn):
    head, _body = _raw(gunicorn, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
                                b"Connection: close\r\n\r\n")
    assert head.startswith("HTTP/1.1 200")
    assert "\r\nserver:" not in head.lower()


@pytest.mark.integration
@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"GET /api/settings/ HTTP/1.1\r\nHost: localhost\r\nX-Bad: a\x01b\r\n\r\n", 400),
    (b"GET /api/settings/ HTTP/1.1\r\nHost: localhost\r\nHost: other\r\n\r\n", 400),
    (b"NOT A REQUEST\r\n\r\n", 400),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414),
])
def test_requests_gunicorn_refuses_itself_are_answered_in_json(gunicorn, request_bytes,
                                                               status):
    import json

    head, body = _raw(gunicorn, request_bytes)
    assert head.startswith(f"HTTP/1.1 {status}")
    assert "content-type: application/json" in head.lower()
    assert "\r\nserver:" not in head.lower()
    answer = json.loads(body)
    assert answer["code"] and answer["detail"]
