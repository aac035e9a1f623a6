"""Who may call what: the role matrix of every endpoint, in this one module.

`ROLE_MATRIX` maps each URL name (as in the urlconfs) and HTTP method to the audiences
allowed to call it: the staff roles and `ANONYMOUS`. It is the only enforcement of
roles: `RoleMatrixPermission` is the project's DRF default permission class and no API
view sets its own; the web pages use `role_matrix_page`. Both refuse any endpoint or
method missing from the table, so a new endpoint does nothing until it is registered here.
`tests/test_roles.py` walks every URL of the tenant urlconf and fails for an endpoint that
is not in the table or that sets its own permission classes, and checks every cell
against a real request. The README's "Roles" table is this dict in prose.

Object level ("a cashier sees and acts on only their own holds and sales") is ownership,
not role: who sees everybody's records is said here (`EVERY_HOLD`, `EVERY_SALE`), and the
selectors' querysets apply it (somebody else's record is a 404, never a 403).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps

import structlog
from django.contrib.auth.views import redirect_to_login
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseNotAllowed,
)
from rest_framework.permissions import BasePermission

from tenants.roles import Role, roles_of

logger = structlog.get_logger(__name__)

ANONYMOUS = "anonymous"

Audience = frozenset[str]

ANYONE: Audience = frozenset({ANONYMOUS, *Role})
# Whoever is logged in, in any role (door staff included).
SIGNED_IN: Audience = frozenset(Role)
# The box office: door staff are not in it (they scan tickets, nothing else).
STAFF: Audience = frozenset({Role.VENUE_ADMIN, Role.CASHIER, Role.OPERATOR})
VENUE_ADMIN: Audience = frozenset({Role.VENUE_ADMIN})
SELLERS: Audience = frozenset({Role.CASHIER, Role.VENUE_ADMIN})
OPERATORS: Audience = frozenset({Role.OPERATOR, Role.VENUE_ADMIN})
# The door: door staff scan tickets; venue admins may stand in for them.
DOOR: Audience = frozenset({Role.DOOR, Role.VENUE_ADMIN})


def _catalogue(*, detail: bool) -> dict[str, Audience]:
    """Catalogue objects: staff read, venue admins create, change and delete."""
    if detail:
        return {"GET": STAFF, "PUT": VENUE_ADMIN, "PATCH": VENUE_ADMIN, "DELETE": VENUE_ADMIN}
    return {"GET": STAFF, "POST": VENUE_ADMIN}


# URL name -> HTTP method -> who may call it. HEAD follows GET; OPTIONS is open to whoever
# may call any method of the endpoint.
ROLE_MATRIX: dict[str, dict[str, Audience]] = {
    # Platform plumbing
    "healthz": {"GET": ANYONE},
    "schema": {"GET": ANYONE},
    "swagger-ui": {"GET": ANYONE},
    "redoc": {"GET": ANYONE},
    # Log in (a token per terminal), log out (the caller's token only)
    "auth-token": {"POST": ANYONE, "DELETE": SIGNED_IN},
    # Staff management (tenants.staff): venue admins only
    "staff-list": {"GET": VENUE_ADMIN, "POST": VENUE_ADMIN},
    "staff-detail": {"GET": VENUE_ADMIN, "PATCH": VENUE_ADMIN},
    "staff-password": {"POST": VENUE_ADMIN},
    "staff-token": {"DELETE": VENUE_ADMIN},
    # Tenant settings
    "tenant-settings": {"GET": STAFF, "PATCH": VENUE_ADMIN},
    # Catalogue
    "venue-list": _catalogue(detail=False),
    "venue-detail": _catalogue(detail=True),
    "event-list": _catalogue(detail=False),
    "event-detail": _catalogue(detail=True),
    "event-zones": _catalogue(detail=False),
    "zone-detail": _catalogue(detail=True),
    "zone-seats": {"GET": STAFF, "POST": VENUE_ADMIN},
    "seat-detail": _catalogue(detail=True),
    "event-availability": {"GET": STAFF},
    # Blocked seats (sales.blocks): venue admins block, unblock and read why and who
    "event-seat-blocks": {"GET": VENUE_ADMIN, "POST": VENUE_ADMIN},
    "event-seat-blocks-release": {"POST": VENUE_ADMIN},
    "event-seat-blocks-log": {"GET": VENUE_ADMIN},
    # Selling: cashiers (their own holds) and venue admins (all holds)
    "holds": {"POST": SELLERS},
    "hold-detail": {"GET": SELLERS, "DELETE": SELLERS},
    "hold-release": {"POST": SELLERS},
    "hold-extend": {"POST": SELLERS},
    # A longer hold than the venue's (a VIP or group sale): venue admins only
    "hold-grant": {"POST": VENUE_ADMIN},
    "hold-quote": {"POST": SELLERS},
    "hold-checkout": {"POST": SELLERS},
    "transaction-payments": {"POST": SELLERS},
    "transaction-cancel": {"POST": VENUE_ADMIN},
    # Sales records: cashiers see their own, venue admins and operators all
    "transaction-list": {"GET": STAFF},
    "transaction-detail": {"GET": STAFF},
    # The POS web page's JSON endpoints (seed documents)
    "seat-reserve": {"POST": SELLERS},
    "seat-availability": {"GET": STAFF},
    # Operators: jobs, statistics, alerts (reservations.operator_views)
    "reservation-stats": {"GET": OPERATORS},
    "alert-list": {"GET": OPERATORS},
    "alert-acknowledge": {"POST": OPERATORS},
    "reservation-extend": {"POST": OPERATORS},
    "reservation-extend-job": {"GET": OPERATORS},
    # Which of those alerts the caller gets by e-mail (sales.mail): their own only
    "me-alert-subscriptions": {"GET": OPERATORS, "PUT": OPERATORS},
    # Fiscal (fiscal.views): staff read documents, venue admins configure and correct,
    # operators and venue admins run the X and Z reports
    "fiscal-settings": {"GET": STAFF, "PATCH": VENUE_ADMIN},
    "fiscal-series-list": {"GET": STAFF, "POST": VENUE_ADMIN},
    "fiscal-series-detail": {"GET": STAFF, "PUT": VENUE_ADMIN, "PATCH": VENUE_ADMIN},
    "fiscal-exchange-rate-list": _catalogue(detail=False),
    "fiscal-exchange-rate-detail": _catalogue(detail=True),
    "fiscal-document-list": {"GET": STAFF},
    "fiscal-document-detail": {"GET": STAFF},
    "fiscal-document-html": {"GET": STAFF},
    "fiscal-document-pdf": {"GET": STAFF},
    "fiscal-document-credit-note": {"POST": VENUE_ADMIN},
    "fiscal-document-debit-note": {"POST": VENUE_ADMIN},
    "fiscal-ticket-html": {"GET": STAFF},
    "fiscal-ticket-pdf": {"GET": STAFF},
    "fiscal-x-report": {"GET": OPERATORS},
    "fiscal-z-report-close": {"POST": OPERATORS},
    "fiscal-z-report-list": {"GET": OPERATORS},
    "fiscal-z-report-detail": {"GET": OPERATORS},
    # Exports (sales.exports) and the Libro de Ventas: venue admins and operators
    "export-sales": {"GET": OPERATORS},
    "export-payments": {"GET": OPERATORS},
    "export-documents": {"GET": OPERATORS},
    "export-checkins": {"GET": OPERATORS},
    "fiscal-sales-book": {"GET": OPERATORS},
    # Cashier shifts: whoever sells closes their own shift at their terminal; cashiers
    # read their own, venue admins and operators every one (EVERY_SALE)
    "fiscal-shift-close": {"POST": SELLERS},
    "fiscal-shift-list": {"GET": STAFF},
    "fiscal-shift-detail": {"GET": STAFF},
    # The POS web page (pos.web, session log-in; anonymous visitors are sent to log in)
    "pos-page": {"GET": STAFF},
    # (Django's LoginView also answers PUT as a form post.)
    "pos-login": {"GET": ANYONE, "POST": ANYONE, "PUT": ANYONE},
    "pos-logout": {"POST": ANYONE},
    "pos-language": {"POST": ANYONE},
    "pos-ticket-qr": {"GET": STAFF},
    # Check-in at the door (sales.checkin): door staff and venue admins scan tickets in
    # and out and read the log (door staff their own scans, EVERY_SCAN everybody's)
    "checkin": {"POST": DOOR},
    "checkin-exit": {"POST": DOOR},
    "checkin-scans": {"GET": DOOR},
    "event-checkin-stats": {"GET": DOOR},
    # Offline gates: the signed list, its public key, the upload of offline scans
    "checkin-key": {"GET": DOOR},
    "event-checkin-list": {"GET": DOOR},
    "checkin-sync": {"POST": DOOR},
    # The door's web page (pos.web): door staff and venue admins
    "pos-door": {"GET": DOOR},
    # The dashboard (sales.dashboard, and its page and charts in pos.web): venue admins
    # and operators
    "dashboard-event": {"GET": OPERATORS},
    "dashboard-day": {"GET": OPERATORS},
    "pos-dashboard": {"GET": OPERATORS},
    "pos-dashboard-event-chart": {"GET": OPERATORS},
    "pos-dashboard-day-chart": {"GET": OPERATORS},
    # Webhooks (sales.webhooks): venue admins only (the secrets sign what the venue says)
    "webhook-endpoint-list": {"GET": VENUE_ADMIN, "POST": VENUE_ADMIN},
    "webhook-endpoint-detail": {"GET": VENUE_ADMIN, "PUT": VENUE_ADMIN,
                                "PATCH": VENUE_ADMIN, "DELETE": VENUE_ADMIN},
    "webhook-endpoint-rotate-secret": {"POST": VENUE_ADMIN},
    "webhook-endpoint-ping": {"POST": VENUE_ADMIN},
    "webhook-delivery-list": {"GET": VENUE_ADMIN},
    "webhook-delivery-detail": {"GET": VENUE_ADMIN},
    "webhook-delivery-replay": {"POST": VENUE_ADMIN},
}

# URL prefixes outside the matrix, and why. The Django admin authorises with Django model
# permissions, granted to the role groups in tenants.roles.ADMIN_PERMISSIONS.
OUTSIDE_MATRIX: Mapping[str, str] = {
    "admin/": "Django admin: staff users, model permissions from tenants.roles",
}


def audience_of(user) -> frozenset[str]:
    """The audiences a user belongs to: their roles, or ANONYMOUS."""
    if not user or not user.is_authenticated:
        return frozenset({ANONYMOUS})
    return roles_of(user)


def allowed_audience(url_name: str | None, method: str) -> Audience | None:
    """Who may call `method` on the endpoint; None when the table has no such cell."""
    rules = ROLE_MATRIX.get(url_name or "")
    if rules is None:
        return None
    if method == "HEAD":
        method = "GET"
    if method == "OPTIONS":
        return frozenset().union(*rules.values())
    return rules.get(method)


def _view_implements(view, method: str) -> bool:
    action_map = getattr(view, "action_map", None)
    if action_map is not None:
        return method.lower() in action_map
    return hasattr(view, method.lower())


class RoleMatrixPermission(BasePermission):
    """Enforces ROLE_MATRIX for the endpoint being called (by its URL name)."""

    message = "Your role does not allow this action."

    def has_permission(self, request, view) -> bool:
        match = getattr(request._request, "resolver_match", None)
        url_name = match.view_name if match else None
        method = request.method.upper()
        if url_name not in ROLE_MATRIX:
            # Fail closed: an endpoint nobody registered is refused to everyone.
            logger.error("permissions.unregistered_endpoint", url_name=url_name,
                         path=request.path)
            return False
        allowed = allowed_audience(url_name, method)
        if allowed is None:
            # A method the view does not implement answers 405; one it implements but the
            # table does not list is refused.
            return not _view_implements(view, method)
        return bool(audience_of(request.user) & allowed)


def may_call(user, url_name: str, method: str) -> bool:
    """Whether the table lets `user` call `method` on the endpoint (e.g. for a page to
    show or hide a button)."""
    return bool(audience_of(user) & (allowed_audience(url_name, method) or frozenset()))


def role_matrix_page(*, forbidden_message: str = "Your role does not allow this action.",
                     login_url: str = "pos-login") -> Callable:
    """ROLE_MATRIX for a Django (non-DRF) view: an anonymous visitor the table refuses is
    sent to log in, a logged-in user the table refuses gets a 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            match = request.resolver_match
            url_name = match.view_name if match else None
            if url_name in ROLE_MATRIX:
                if allowed_audience(url_name, request.method) is None:
                    return HttpResponseNotAllowed(sorted(ROLE_MATRIX[url_name]))
                if may_call(request.user, url_name, request.method):
                    return view(request, *args, **kwargs)
            else:  # fail closed, as RoleMatrixPermission
                logger.error("permissions.unregistered_endpoint", url_name=url_name,
                             path=request.path)
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), login_url)
            return HttpResponseForbidden(str(forbidden_message))

        wrapped.role_matrix_enforced = True  # checked by tests/test_roles.py
        return wrapped

    return decorator


# --- Ownership (object level) ----------------------------------------------------------
# Staff see and act on their own records (a cashier's holds, sales, documents, tickets);
# these audiences see or act on everybody's. The selectors' querysets apply it
# (reservations.selectors.holds_visible_to, sales.selectors.transactions_visible_to,
# fiscal.selectors.documents_visible_to, tickets_visible_to and shifts_visible_to).
EVERY_HOLD: Audience = VENUE_ADMIN  # release, extend, check out any cashier's hold
EVERY_SALE: Audience = OPERATORS  # read any sale, fiscal document, ticket and shift
EVERY_SCAN: Audience = VENUE_ADMIN  # read every door scan (door staff read their own)
# Hold seats a venue admin blocked (to sell them: `include_blocked` of POST /api/holds/).
HOLDS_BLOCKED: Audience = VENUE_ADMIN


def acts_on_every_hold(user) -> bool:
    return bool(audience_of(user) & EVERY_HOLD)


def sees_every_sale(user) -> bool:
    return bool(audience_of(user) & EVERY_SALE)


def sees_every_scan(user) -> bool:
    return bool(audience_of(user) & EVERY_SCAN)


def may_hold_blocked_seats(user) -> bool:
    return bool(audience_of(user) & HOLDS_BLOCKED)
