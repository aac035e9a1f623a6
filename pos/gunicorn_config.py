"""gunicorn's configuration for every way the project runs it (Procfile, docker/, make
bench): `gunicorn -c python:pos.gunicorn_config pos.wsgi:application ...`.

gunicorn has no setting for two things it sends on its own, so this module adjusts them
when gunicorn loads it (in the master, before the workers fork):

- the `Server: gunicorn` banner on every answer: dropped;
- its HTML error pages for requests it refuses before Django sees them (a malformed request
  line or header, a control character in a header, a header or URI over its limits, an
  unsupported transfer coding): the same status, as JSON `{"detail", "code"}` like every
  other error of the API.

What stays gunicorn's: the status it picks for each refusal, `Connection: close` after it,
and a connection dropped without any answer (a worker killed on timeout, a client that
sends nothing). tests/test_headers.py runs a real gunicorn with this module."""

from __future__ import annotations

import json

from gunicorn import util
from gunicorn.http import wsgi

_ERROR_CODES = {400: "bad_request", 403: "forbidden", 414: "uri_too_long",
                417: "expectation_failed", 431: "headers_too_large", 500: "server_error",
                501: "not_implemented"}


def _without_server_banner(default_headers):
    def headers(self) -> list[str]:
        return [line for line in default_headers(self) if not line.startswith("Server:")]

    return headers


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn.util.write_error, answering JSON instead of an HTML page."""
    body = json.dumps({"detail": mesg or reason,
                       "code": _ERROR_CODES.get(status_int, "bad_request")}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + body)


if not getattr(wsgi.Response.default_headers, "pos_patched", False):
    wsgi.Response.default_headers = _without_server_banner(wsgi.Response.default_headers)
    wsgi.Response.default_headers.pos_patched = True
util.write_error = write_json_error

# gunicorn settings shared by every deployment (each may add its own on the command line).
timeout = 30
