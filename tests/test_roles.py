"""The role matrix (tenants.permissions.ROLE_MATRIX), checked against every URL the
tenant host serves and against real requests of each role and of an anonymous client.

A new endpoint that is not registered in the matrix fails
`test_every_endpoint_is_in_the_role_matrix` (and is refused to everyone at run time)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tenants.permissions import (
    ANONYMOUS,
    ROLE_MATRIX,
    RoleMatrixPermission,
    allowed_audience,
)
from tests.conftest import api_client
from tests.endpoints import tenant_endpoints

AUDIENCES = {ANONYMOUS: None, "venue_admin": "admin", "cashier": "cashier",
             "operator": "operator", "door": "door"}

ENDPOINTS = tenant_endpoints()


def test_every_endpoint_is_in_the_role_matrix():
    problems = []
    for endpoint in ENDPOINTS:
        if endpoint.view_name is None:
            problems.append(f"{endpoint.route}: has no URL name, so it cannot be registered")
            continue
        rules = ROLE_MATRIX.get(endpoint.view_name)
        if rules is None:
            problems.append(f"{endpoint.route} ({endpoint.view_name}): not in ROLE_MATRIX")
            continue
        undeclared = (endpoint.methods or frozenset()) - set(rules)
        if undeclared:
            problems.append(f"{endpoint.view_name}: methods {sorted(undeclared)} not declared")
    served = {endpoint.view_name for endpoint in ENDPOINTS}
    problems += [f"{name}: in ROLE_MATRIX but no such URL" for name in ROLE_MATRIX
                 if name not in served]
    assert not problems, "Register every endpoint in tenants/permissions.py:\n" + "\n".join(
        problems)


def test_the_role_matrix_is_the_only_role_check_of_every_endpoint():
    """No API view sets permission classes of its own (they would decide instead of the
    table, or on top of it); every web page the table does not open to anyone goes
    through `role_matrix_page`. So the cells below test the table, not a view's rule."""
    problems = []
    for endpoint in ENDPOINTS:
        callback = endpoint.pattern.callback
        view_class = getattr(callback, "cls", None)
        if view_class is not None:  # Django REST framework
            own = (getattr(callback, "initkwargs", {}) or {}).get("permission_classes")
            classes = own or view_class.permission_classes
            if list(classes) != [RoleMatrixPermission]:
                problems.append(f"{endpoint.view_name}: permission_classes {classes}")
            for name in dir(view_class):
                extra = getattr(getattr(view_class, name, None), "kwargs", None)
                if isinstance(extra, dict) and "permission_classes" in extra:
                    problems.append(f"{endpoint.view_name}: @action {name} sets its own")
            continue
        opened = all(ANONYMOUS in audience
                     for audience in ROLE_MATRIX.get(endpoint.view_name or "", {}).values())
        if not opened and not getattr(callback, "role_matrix_enforced", False):
            problems.append(f"{endpoint.view_name}: a web page without role_matrix_page")
    assert not problems, "\n".join(problems)


def _cells():
    for endpoint in ENDPOINTS:
        for method in sorted(ROLE_MATRIX.get(endpoint.view_name or "", {})):
            for audience in AUDIENCES:
                yield pytest.param(endpoint, method, audience,
                                   id=f"{endpoint.view_name}-{method}-{audience}")


def _client(tenant, username: str | None, path: str) -> APIClient:
    """A real token for the API, a real session for the web pages."""
    client = api_client(tenant, username)
    if username and not path.startswith("/api/"):
        with schema_context(tenant.schema):
            client.force_login(get_user_model().objects.get(username=username))
    return client


def _refused(response) -> bool:
    if response.status_code in (401, 403):
        return True
    # A web page sends an anonymous visitor to log in, naming the page to come back to;
    # the POS page sends door staff to the door's page (pos.web.views).
    location = response.get("Location", "")
    return response.status_code == 302 and (("login" in location and "next=" in location)
                                            or location == "/pos/door/")


@pytest.mark.parametrize(("endpoint", "method", "audience"), list(_cells()))
def test_role_matrix_cell(alpha, endpoint, method, audience):
    client = _client(alpha, AUDIENCES[audience], endpoint.path)
    response = client.generic(method, endpoint.path, data="{}" if method in
                              ("POST", "PUT", "PATCH") else "",
                              content_type="application/json")
    allowed = audience in allowed_audience(endpoint.view_name, method)
    assert response.status_code < 500, response.content[:300]
    if allowed:
        assert not _refused(response), (
            f"{audience} should be allowed {method} {endpoint.path}: "
            f"{response.status_code} {response.content[:200]!r}")
    else:
        assert _refused(response), (
            f"{audience} should be refused {method} {endpoint.path}: "
            f"{response.status_code} {response.content[:200]!r}")
        if audience == ANONYMOUS and endpoint.path.startswith("/api/"):
            assert response.status_code == 401


def test_an_unregistered_endpoint_is_refused_to_everyone(alpha):
    from django_tenants.utils import schema_context

    with schema_context(alpha.schema):
        admin = get_user_model().objects.get(username="admin")
    request = SimpleNamespace(
        _request=SimpleNamespace(resolver_match=SimpleNamespace(view_name="not-registered")),
        method="GET", user=admin, path="/api/new-thing/",
    )
    assert RoleMatrixPermission().has_permission(request, view=object()) is False


def test_a_method_the_view_does_not_implement_answers_405_not_403(alpha):
    response = api_client(alpha, "cashier").put("/api/holds/", {}, format="json")
    assert response.status_code == 405


def test_cashier_cannot_touch_another_cashiers_hold_but_venue_admin_can(alpha):
    """The object-level half of "cashiers release their own holds": somebody else's hold
    is a 404 for a cashier; a venue admin may release any hold."""
    from django_tenants.utils import tenant_context

    from tests.builders import make_event

    with tenant_context(alpha.tenant):
        setup = make_event(rows="A", seats_per_row=3)
    hold = api_client(alpha, "cashier").post(
        "/api/holds/", {"event": setup.event.pk, "seat_ids": setup.ids("A1")}, format="json")
    assert hold.status_code == 201
    hold_id = hold.json()["id"]
    other = api_client(alpha, "cashier2")
    assert other.get(f"/api/holds/{hold_id}/").status_code == 404
    assert other.delete(f"/api/holds/{hold_id}/").status_code == 404
    assert api_client(alpha, "operator").delete(f"/api/holds/{hold_id}/").status_code == 403
    released = api_client(alpha, "admin").delete(f"/api/holds/{hold_id}/")
    assert released.status_code == 200 and released.json()["status"] == "cancelled"
