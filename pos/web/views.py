"""The POS web page: log in, the page itself, the door's page, ticket QR codes.

The page is a template plus one script that talks to the same REST API as any terminal
(session authentication, CSRF token); no business rule lives here."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps

import segno
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fiscal.selectors import tickets_visible_to
from pos.formatting import page_format
from pos.web.door_messages import door_messages
from pos.web.messages import page_messages, payment_methods
from reservations.services import release_holds_of
from sales import tickets
from sales.checkin import selectors as checkin_selectors
from tenants.login_throttle import retry_after_seconds
from tenants.permissions import may_call, role_matrix_page

LOGIN_URL = reverse_lazy("pos-login")


def tenant_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A shared terminal shows the venue's language (LANGUAGE_CODE, Spanish) unless the
    cashier picked one with the language switch: the browser's Accept-Language, which
    LocaleMiddleware would follow, says little about who stands at the counter."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        response.headers.setdefault("Content-Language", language)
        return response

    return wrapped


class PosLoginView(auth_views.LoginView):
    template_name = "pos/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("pos-page")

    def form_invalid(self, form):
        # The log-in throttle (django-axes, shared with the API and the admin) refused the
        # attempt before any password was checked: say how long to wait.
        if getattr(self.request, "axes_locked_out", False):
            seconds = retry_after_seconds()
            message = _("Too many log-in attempts. Try again in {seconds} s.")
            context = self.get_context_data(
                form=self.get_form_class()(request=self.request),  # unbound: no errors shown
                throttled=message.format(seconds=seconds),
            )
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(seconds)
            return response
        return super().form_invalid(form)


class PosLogoutView(auth_views.LogoutView):
    next_page = LOGIN_URL

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # The cashier leaves the counter: their live holds go back on sale (the original
        # design's "liberación masiva al cerrar sesión"); partial-payment reservations stay.
        if request.user.is_authenticated:
            release_holds_of(user_ids=[request.user.pk])
        return super().post(request, *args, **kwargs)


pos_login = tenant_language(PosLoginView.as_view())
pos_logout = PosLogoutView.as_view()


def door_staff_to_the_door(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Door staff have no box office: /pos/ (where the log-in lands) sends them to the
    door's page instead of a 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if (request.user.is_authenticated and not may_call(request.user, "pos-page", "GET")
                and may_call(request.user, "pos-door", "GET")):
            return redirect("pos-door")
        return view(request, *args, **kwargs)

    return wrapped


@never_cache
@door_staff_to_the_door
@tenant_language
@role_matrix_page(forbidden_message=_("Only venue staff may use the point of sale."))
@require_GET
def pos_page(request: HttpRequest) -> HttpResponse:
    # Selling buttons follow the table: whoever may create a hold.
    can_sell = may_call(request.user, "holds", "POST")
    # Cancelling a reservation is the venue admin's (the same table decides).
    can_cancel = may_call(request.user, "transaction-cancel", "POST")
    context = {
        "can_sell": can_sell,
        "can_cancel": can_cancel,
        # Venue admins and operators find their dashboard from here.
        "can_see_dashboard": may_call(request.user, "pos-dashboard", "GET"),
        "page_config": {
            "messages": page_messages(),
            "paymentMethods": payment_methods(),
            "language": request.LANGUAGE_CODE,
            "canSell": can_sell,
            "canCancel": can_cancel,
            "pollMs": 2000,
            # The pushed seat map; the page polls while it is closed (docs/pos-page.md).
            "socketUrl": seat_socket_origin(request) + "/ws/events/{event}/seats/",
        },
        # How amounts and times print (pos/static/pos/format.js), as pos.formatting does.
        "format_config": page_format(request.LANGUAGE_CODE),
    }
    response = render(request, "pos/page.html", context)
    # The socket is another port of this host (or the proxy's origin): allowed by name.
    response._csp_update = {"connect-src": [seat_socket_origin(request)]}
    return response


def seat_socket_origin(request: HttpRequest) -> str:
    """Where the page opens its seat-map socket: POS_WS_BASE_URL, else the ASGI server's
    port on the page's own host name (`make run`: ws://demo.localhost:8001)."""
    if settings.POS_WS_BASE_URL:
        return settings.POS_WS_BASE_URL.rstrip("/")
    host, _port = split_domain_port(request.get_host())
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{host}:{settings.POS_WS_PORT}"


@never_cache
@tenant_language
@role_matrix_page(forbidden_message=_("Only door staff and venue admins may check tickets "
                                      "in."))
@require_GET
def door_page(request: HttpRequest) -> HttpResponse:
    """The door: scan tickets in with a barcode scanner (keyboard wedge) or the camera.
    The page calls the check-in API (sales.checkin) like any gate device."""
    return render(request, "pos/door.html", {"page_config": {
        "messages": door_messages(),
        "events": checkin_selectors.door_events(),
        "language": request.LANGUAGE_CODE,
        "statsMs": 10_000,
        "listMs": 60_000,
        "verdictMs": 2_000,
    }})


@role_matrix_page()
@require_GET
def ticket_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket's QR image (its signed code, sales.tickets), for tickets of sales the
    user may see."""
    ticket = get_object_or_404(tickets_visible_to(request.user), pk=pk)
    buffer = io.BytesIO()
    segno.make(tickets.ticket_qr(ticket), error="m").save(buffer, kind="svg", scale=4, border=2,
                                            title=ticket.code)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response
