"""Tenant isolation: a token, a session or an object id of tenant A used on tenant B's host
is refused (401/403/404) and never answers A's data. Every endpoint that takes an id is
tried, with every method the role matrix lists for it."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context, tenant_context
from rest_framework.test import APIClient

from tenants.permissions import ROLE_MATRIX
from tests.builders import make_event, set_rate
from tests.conftest import api_client
from tests.endpoints import tenant_endpoints

MARKER = "Alpha-Only-Marker"
# A fiscal day in the path is no object of a tenant: each tenant answers its own day
# (tests/test_dashboard.py checks that B's day shows none of A's documents).
NO_OBJECT_ID = {"dashboard-day", "pos-dashboard-day-chart"}
ID_ENDPOINTS = [e for e in tenant_endpoints() if e.takes_id and e.view_name in ROLE_MATRIX
                and e.view_name not in NO_OBJECT_ID]
REFUSED = {401, 403, 404}


@pytest.fixture
def alpha_data(alpha) -> dict[str, int]:
    """A's catalogue, a completed sale with a ticket, a pending hold and an alert; returns
    the id of each kind of object an endpoint may take."""
    with tenant_context(alpha.tenant):
        set_rate()
        setup = make_event(rows="A", seats_per_row=4)
        setup.event.venue.name = f"{MARKER} venue"
        setup.event.venue.save()
    cashier = api_client(alpha, "cashier")
    sold = cashier.post("/api/holds/", {"event": setup.event.pk,
                                        "seat_ids": setup.ids("A1")}, format="json").json()
    paid = cashier.post(f"/api/holds/{sold['id']}/checkout/", {
        "payments": [{"method": "pago_movil", "currency": "VES", "amount": "1160.00",
                      "reference": "0102-555123"}],
        "customer": {"name": f"{MARKER} customer", "tax_id": "V-1"}}, format="json")
    assert paid.status_code == 200, paid.json()
    pending = cashier.post("/api/holds/", {"event": setup.event.pk,
                                           "seat_ids": setup.ids("A2")}, format="json").json()
    ids = {"venue": setup.event.venue_id, "event": setup.event.pk, "zone": setup.zone.pk,
           "seat": setup.seats["A4"].pk, "hold": pending["id"], "transaction": sold["id"],
           "ticket": paid.json()["transaction"]["tickets"][0]["id"]}
    with tenant_context(alpha.tenant):
        from fiscal.models import ExchangeRate

        ids["exchange-rate"] = ExchangeRate.objects.values_list("id", flat=True).first()
        # A user B has no id for: B's users were made like A's, so their ids coincide.
        ids["staff"] = get_user_model().objects.create_user(
            pk=987_654, username=f"{MARKER}-cashier").pk
        ids.update(_optional_ids(sold["id"]))
    return ids


def _optional_ids(transaction_id: int) -> dict[str, int]:
    """Ids of objects other apps keep (fiscal documents, series, alerts), when present."""
    found: dict[str, int] = {}
    try:
        from fiscal.models import FiscalDocument, FiscalSeries

        doc = FiscalDocument.objects.filter(transaction_id=transaction_id).first()
        if doc:
            found["document"] = doc.pk
        series = FiscalSeries.objects.first()
        if series:
            found["series"] = series.pk
    except (ImportError, AttributeError):
        pass
    return found


def _id_for(view_name: str, ids: dict[str, int]) -> int:
    for prefix, kind in [("venue-", "venue"), ("event-", "event"), ("zone-", "zone"),
                         ("seat-detail", "seat"), ("staff-", "staff"),
                         ("hold-", "hold"), ("transaction-", "transaction"),
                         ("pos-ticket", "ticket"), ("fiscal-ticket", "ticket"),
                         ("fiscal-exchange-rate", "exchange-rate"),
                         ("fiscal-document", "document"), ("fiscal-series", "series")]:
        if view_name.startswith(prefix) and ids.get(kind):
            return ids[kind]
    return ids["transaction"]


PAYMENT = {"payments": [{"method": "pago_movil", "currency": "VES", "amount": "1.00",
                         "reference": "0102-555123"}]}
# Valid bodies, so that a refusal cannot hide behind a 400 for a missing field.
BODIES = {
    "hold-release": {"seat_ids": [1]},
    "hold-grant": {"minutes": 30, "reason": "VIP"},
    "hold-checkout": PAYMENT,
    "transaction-payments": PAYMENT,
    "event-zones": {"name": "Palco", "price": "1.00"},
    "zone-seats": {"rows": "Z", "seats_per_row": 1},
    "fiscal-document-credit-note": {"reason": "refund"},
    "transaction-cancel": {"reason": "gave up"},
    "fiscal-document-debit-note": {"reason": "fee", "lines": [
        {"description": "fee", "quantity": 1, "unit_price": "1.00"}]},
}


def _cases():
    for endpoint in ID_ENDPOINTS:
        for method in sorted(ROLE_MATRIX[endpoint.view_name]):
            yield endpoint, method


def _request(client: APIClient, endpoint, method: str, ids: dict[str, int]):
    path = endpoint.path_with(_id_for(endpoint.view_name, ids))
    body = json.dumps(BODIES.get(endpoint.view_name, {})) if method in (
        "POST", "PUT", "PATCH") else ""
    return client.generic(method, path, data=body, content_type="application/json")


def _leaks(response) -> bool:
    return MARKER.encode() in response.content


def test_every_endpoint_that_takes_an_id_is_covered():
    names = {e.view_name for e in ID_ENDPOINTS}
    assert {"hold-detail", "hold-checkout", "transaction-detail", "transaction-payments",
            "event-availability", "zone-seats", "venue-detail"} <= names


def test_alpha_token_on_beta_host_is_401_everywhere(alpha, beta, alpha_data):
    client = api_client(alpha, "admin")
    client.defaults["HTTP_HOST"] = beta.host
    problems = []
    for endpoint, method in _cases():
        response = _request(client, endpoint, method, alpha_data)
        api = endpoint.path.startswith("/api/")
        expected = {401} if api else REFUSED | {302}  # a web page: log in on B first
        if response.status_code not in expected or _leaks(response):
            problems.append(f"{method} {endpoint.view_name}: {response.status_code}")
        elif api:
            assert response.json()["detail"] == "Invalid token."
    assert not problems, problems


def test_alpha_session_on_beta_host_is_refused_everywhere(alpha, beta, alpha_data):
    client = APIClient(HTTP_HOST=beta.host, HTTP_ACCEPT_LANGUAGE="en")
    with schema_context(alpha.schema):
        client.force_login(get_user_model().objects.get(username="admin"))
    problems = []
    for endpoint, method in _cases():
        response = _request(client, endpoint, method, alpha_data)
        to_login = response.status_code == 302 and "login" in response.get("Location", "")
        if not (response.status_code in REFUSED or to_login) or _leaks(response):
            problems.append(f"{method} {endpoint.view_name}: {response.status_code}")
    assert not problems, problems


def test_alpha_object_ids_with_beta_credentials_are_404(alpha, beta, alpha_data):
    """B's own venue admin (who may see everything in B) asks B's host for A's ids: B has
    no such objects, so the answer is 404 (or a refusal), never A's data."""
    client = api_client(beta, "admin")
    with schema_context(beta.schema):
        client.force_login(get_user_model().objects.get(username="admin"))
    problems = []
    for endpoint, method in _cases():
        response = _request(client, endpoint, method, alpha_data)
        if response.status_code not in REFUSED or _leaks(response):
            problems.append(f"{method} {endpoint.view_name}: {response.status_code} "
                            f"{response.content[:120]!r}")
    assert not problems, problems


def test_the_same_ids_do_answer_on_alphas_own_host(alpha, alpha_data):
    """The control: the requests above would have found A's data on A's host."""
    client = api_client(alpha, "admin")
    detail = client.get(f"/api/transactions/{alpha_data['transaction']}/")
    assert detail.status_code == 200 and MARKER in detail.json()["customer_name"]
    assert MARKER in client.get(f"/api/venues/{alpha_data['venue']}/").json()["name"]
    assert client.get(f"/api/holds/{alpha_data['hold']}/").status_code == 200


def test_alpha_ids_in_a_body_on_beta_host_hold_nothing(alpha, beta, alpha_data):
    with tenant_context(alpha.tenant):
        from sales.models import Seat

        seat_ids = list(Seat.objects.filter(zone_id=alpha_data["zone"])
                        .values_list("id", flat=True))
    client = api_client(beta, "cashier")
    hold = client.post("/api/holds/", {"event": alpha_data["event"], "seat_ids": seat_ids},
                       format="json")
    assert hold.status_code == 400 and "does not exist" in hold.json()["detail"]
    seed = client.post("/sales/seats/reserve/", {"seat_ids": seat_ids}, format="json")
    assert seed.status_code == 400 and seed.json()["success"] is False
    availability = client.get(f"/sales/ajax/seat-availability/?event={alpha_data['event']}")
    assert availability.status_code == 404
    assert not any(_leaks(r) for r in (hold, seed, availability))


def test_lists_on_beta_host_show_none_of_alphas_objects(alpha, beta, alpha_data):
    client = api_client(beta, "admin")
    for path in ("/api/venues/", "/api/events/", "/api/transactions/"):
        response = client.get(path)
        assert response.status_code == 200
        assert not _leaks(response)
        assert response.json()["count"] == 0
