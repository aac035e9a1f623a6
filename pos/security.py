"""Response hardening that Django's settings cannot express on their own."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SecureCookiesOnHttpsMiddleware:
    """Marks every cookie of an answer to an HTTPS request `Secure` (the session, CSRF and
    language cookies). SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE would mark them on
    plain HTTP too, where a browser then never sends them back (`make run` serves
    http://demo.localhost:8000/). HTTPS is what `request.is_secure()` says: the scheme, or
    X-Forwarded-Proto from the TLS proxy (SECURE_PROXY_SSL_HEADER)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response
