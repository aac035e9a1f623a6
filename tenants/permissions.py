"""Who may call what: the role matrix of every endpoint, in this one module.

`ROLE_MATRIX` maps each URL name (as in the urlconfs) and HTTP method to the audiences
allowed to call it: the three staff roles and `ANONYMOUS`. `RoleMatrixPermission` (the
project's default DRF permission class) enforces it; it refuses any endpoint or method
missing from the table, so a new endpoint does nothing until it is registered here.
`tests/test_roles.py` walks every URL of the tenant urlconf and fails for an endpoint that
is not in the table, and checks every cell against a real request. The README's "Roles"
table is this dict in prose.

Object-level rules stay in the services and selectors (a cashier sees and releases only
their own holds and sales; somebody else's is a 404).

The older single-role classes (`IsVenueAdmin`, ...) remain for views that combine them
with `|`; the matrix test checks that those views behave as the table says.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from rest_framework.permissions import SAFE_METHODS, BasePermission

from tenants.roles import Role, has_role

logger = structlog.get_logger(__name__)

ANONYMOUS = "anonymous"

Audience = frozenset[str]

ANYONE: Audience = frozenset({ANONYMOUS, *Role})
STAFF: Audience = frozenset(Role)
VENUE_ADMIN: Audience = frozenset({Role.VENUE_ADMIN})
SELLERS: Audience = frozenset({Role.CASHIER, Role.VENUE_ADMIN})
OPERATORS: Audience = frozenset({Role.OPERATOR, Role.VENUE_ADMIN})


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
    "auth-token": {"POST": ANYONE},
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
    "event-availability": {"GET": STAFF},
    # Selling: cashiers (their own holds) and venue admins (all holds)
    "holds": {"POST": SELLERS},
    "hold-detail": {"GET": SELLERS, "DELETE": SELLERS},
    "hold-release": {"POST": SELLERS},
    "hold-extend": {"POST": SELLERS},
    "hold-quote": {"POST": SELLERS},
    "hold-checkout": {"POST": SELLERS},
    "transaction-payments": {"POST": SELLERS},
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
    # The POS web page (pos.web, session log-in; anonymous visitors are sent to log in)
    "pos-page": {"GET": STAFF},
    # (Django's LoginView also answers PUT as a form post.)
    "pos-login": {"GET": ANYONE, "POST": ANYONE, "PUT": ANYONE},
    "pos-logout": {"POST": ANYONE},
    "pos-language": {"POST": ANYONE},
    "pos-ticket-qr": {"GET": STAFF},
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
    return frozenset(role for role in Role if has_role(user, role))


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


class _RolePermission(BasePermission):
    roles: tuple[Role, ...] = ()
    message = "Your role does not allow this action."

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, *self.roles)


class IsVenueAdmin(_RolePermission):
    roles = (Role.VENUE_ADMIN,)
    message = "Only a venue admin may do this."


class IsCashier(_RolePermission):
    roles = (Role.CASHIER,)
    message = "Only a cashier may do this."


class IsOperator(_RolePermission):
    roles = (Role.OPERATOR,)
    message = "Only an operator may do this."


class IsStaffMember(_RolePermission):
    """Any of the three roles: reads shared by everyone who works at the venue."""

    roles = tuple(Role)
    message = "Only venue staff may see this."


class ReadForStaffWriteForVenueAdmin(BasePermission):
    """Staff read; only venue admins create, change or delete."""

    message = "Only a venue admin may change this."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return has_role(request.user, *Role)
        return has_role(request.user, Role.VENUE_ADMIN)
