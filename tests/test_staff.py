"""Staff managed by the venue: /api/staff/, the tenant's Django admin and
`manage.py add_staff`, with the audit of every change and the rule that the venue keeps
an active venue admin."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from tenants.staff.models import StaffChange
from tests.conftest import PASSWORD, api_client, token_for

STAFF = "/api/staff/"


def staff_id(tenant, username: str) -> int:
    with schema_context(tenant.schema):
        return get_user_model().objects.get(username=username).pk


def audit(tenant, username: str) -> list[tuple[str, str, str, str]]:
    with schema_context(tenant.schema):
        return [(c.action, c.from_value, c.to_value, c.via) for c in
                StaffChange.objects.filter(username=username).order_by("id")]


def works(tenant, token: str) -> bool:
    client = api_client(tenant)
    return client.get("/api/settings/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_a_venue_admin_creates_a_cashier_who_can_then_log_in(alpha):
    admin = api_client(alpha, "admin")
    created = admin.post(STAFF, {"username": "cajera9", "name": "María Pérez",
                                 "role": "cashier", "password": "una-clave-larga"},
                         format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["username"], body["name"], body["role"], body["is_active"]) == (
        "cajera9", "María Pérez", "cashier", True)
    assert body["tokens"] == []
    login = api_client(alpha).post("/api/auth/token/", {"username": "cajera9",
                                                        "password": "una-clave-larga"},
                                   format="json")
    assert login.status_code == 200
    listed = {row["username"]: row for row in admin.get(STAFF).json()["results"]}
    assert {"admin", "cashier", "operator", "door", "cajera9"} <= set(listed)
    assert listed["cajera9"]["tokens"][0]["terminal"] == ""
    assert audit(alpha, "cajera9") == [("created", "", "cashier", "api")]
    with schema_context(alpha.schema):
        assert StaffChange.objects.get(username="cajera9").actor.username == "admin"


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"username": "x1", "role": "cashier", "password": "short"}, 400, "password"),
    ({"username": "x2", "role": "cashier", "password": "12345678901"}, 400, "password"),
    ({"username": "x3", "role": "boss", "password": "una-clave-larga"}, 400, "role"),
    ({"username": "bad name!", "role": "cashier", "password": "una-clave-larga"}, 400,
     "username"),
    ({"username": "CASHIER", "role": "door", "password": "una-clave-larga"}, 409, "username"),
])
def test_creating_staff_refuses_weak_passwords_bad_roles_and_taken_names(alpha, body, status,
                                                                         field):
    response = api_client(alpha, "admin").post(STAFF, body, format="json")
    assert response.status_code == status, response.json()
    answer = response.json()
    assert field in answer or answer.get("field") == field


def test_a_role_change_is_audited_and_revokes_the_users_tokens(alpha):
    token = token_for(alpha, "cashier", terminal="Caja 1")
    assert works(alpha, token)
    changed = api_client(alpha, "admin").patch(f"{STAFF}{staff_id(alpha, 'cashier')}/",
                                               {"role": "door"}, format="json")
    assert changed.status_code == 200 and changed.json()["role"] == "door"
    assert changed.json()["tokens"] == []
    assert not works(alpha, token)
    assert audit(alpha, "cashier") == [("role_changed", "cashier", "door", "api")]
    with schema_context(alpha.schema):
        user = get_user_model().objects.get(username="cashier")
        assert list(user.groups.values_list("name", flat=True)) == ["door"]


def test_deactivating_logs_the_user_out_and_keeps_them_out(alpha):
    token = token_for(alpha, "operator")
    admin = api_client(alpha, "admin")
    pk = staff_id(alpha, "operator")
    assert admin.patch(f"{STAFF}{pk}/", {"is_active": False}, format="json").json()[
        "is_active"] is False
    assert not works(alpha, token)
    login = api_client(alpha).post("/api/auth/token/", {"username": "operator",
                                                        "password": PASSWORD}, format="json")
    assert login.status_code == 400
    assert admin.patch(f"{STAFF}{pk}/", {"is_active": True, "name": "Olga"},
                       format="json").status_code == 200
    assert [a[0] for a in audit(alpha, "operator")] == ["deactivated", "renamed", "reactivated"]


def test_a_password_reset_revokes_tokens_validates_and_forgets_failed_log_ins(alpha):
    token = token_for(alpha, "cashier")
    admin = api_client(alpha, "admin")
    url = f"{STAFF}{staff_id(alpha, 'cashier')}/password/"
    assert admin.post(url, {"password": "1234"}, format="json").status_code == 400
    assert works(alpha, token)
    for _ in range(3):
        api_client(alpha).post("/api/auth/token/", {"username": "cashier", "password": "no"},
                               format="json")
    reset = admin.post(url, {"password": "otra-clave-larga"}, format="json")
    assert reset.status_code == 200 and reset.json()["tokens"] == []
    assert not works(alpha, token)
    assert audit(alpha, "cashier") == [("password_reset", "", "", "api")]
    from axes.models import AccessAttempt

    with schema_context(alpha.schema):
        assert not AccessAttempt.objects.filter(username="cashier").exists()
    login = api_client(alpha).post("/api/auth/token/", {"username": "cashier",
                                                        "password": "otra-clave-larga"},
                                   format="json")
    assert login.status_code == 200


@pytest.mark.parametrize("change", [{"role": "cashier"}, {"is_active": False}])
def test_the_last_venue_admin_cannot_demote_or_deactivate_themselves(alpha, change):
    admin = api_client(alpha, "admin")
    response = admin.patch(f"{STAFF}{staff_id(alpha, 'admin')}/", change, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "last_venue_admin"
    assert admin.get(STAFF).status_code == 200  # still a venue admin, still logged in


def test_with_a_second_venue_admin_the_first_may_step_down(alpha):
    admin = api_client(alpha, "admin")
    assert admin.patch(f"{STAFF}{staff_id(alpha, 'operator')}/", {"role": "venue_admin"},
                       format="json").status_code == 200
    stepped_down = admin.patch(f"{STAFF}{staff_id(alpha, 'admin')}/", {"role": "cashier"},
                               format="json")
    assert stepped_down.status_code == 200
    assert admin.get(STAFF).status_code == 401  # its token went with the role


def test_a_venue_admin_cuts_off_one_lost_device(alpha):
    lost = token_for(alpha, "cashier", terminal="Caja 1")
    kept = token_for(alpha, "cashier", terminal="Caja 2")
    admin = api_client(alpha, "admin")
    pk = staff_id(alpha, "cashier")
    devices = {t["terminal"]: t["id"] for t in admin.get(f"{STAFF}{pk}/").json()["tokens"]}
    assert admin.delete(f"{STAFF}{pk}/tokens/{devices['Caja 1']}/").status_code == 204
    assert not works(alpha, lost) and works(alpha, kept)
    assert audit(alpha, "cashier") == [("token_revoked", "", "Caja 1", "api")]
    other = staff_id(alpha, "operator")
    assert admin.delete(f"{STAFF}{other}/tokens/{devices['Caja 2']}/").status_code == 404


def test_superusers_are_not_staff_of_the_venue(alpha):
    with schema_context(alpha.schema):
        root = get_user_model().objects.create_superuser("root", password="a-long-pass-1")
    admin = api_client(alpha, "admin")
    assert "root" not in {row["username"] for row in admin.get(STAFF).json()["results"]}
    assert admin.get(f"{STAFF}{root.pk}/").status_code == 404
    assert admin_client(alpha, "admin").get(f"/admin/auth/user/{root.pk}/change/").status_code \
        == 302  # not among the users a venue admin sees


def test_only_venue_admins_manage_staff(alpha, beta):
    assert api_client(beta, "admin").get(STAFF).status_code == 200
    for username in ("cashier", "operator", "door"):
        assert api_client(alpha, username).get(STAFF).status_code == 403
    assert api_client(alpha).get(STAFF).status_code == 401


# --- The tenant's Django admin --------------------------------------------------------


def admin_client(tenant, username: str) -> Client:
    client = Client(HTTP_HOST=tenant.host)
    with schema_context(tenant.schema):
        client.force_login(get_user_model().objects.get(username=username))
    return client


def test_a_venue_admin_creates_changes_and_resets_staff_in_the_django_admin(alpha):
    client = admin_client(alpha, "admin")
    assert client.get("/admin/auth/user/").status_code == 200
    added = client.post("/admin/auth/user/add/", {
        "username": "portero1", "name": "Pedro", "role": "door",
        "password1": "una-clave-larga", "password2": "una-clave-larga"})
    assert added.status_code == 302, added.content[:2000]
    pk = staff_id(alpha, "portero1")
    token = token_for(alpha, "portero1")
    changed = client.post(f"/admin/auth/user/{pk}/change/", {
        "name": "Pedro P.", "role": "cashier", "is_active": "on",
        "password1": "clave-nueva-larga", "password2": "clave-nueva-larga"})
    assert changed.status_code == 302, changed.content[:2000]
    assert not works(alpha, token)
    assert [(a, f, t, v) for a, f, t, v in audit(alpha, "portero1")] == [
        ("created", "", "door", "admin"), ("renamed", "Pedro", "Pedro P.", "admin"),
        ("role_changed", "door", "cashier", "admin"), ("password_reset", "", "", "admin")]
    # Django's own password page is not the way on a venue's host (no audit there).
    assert client.get(f"/admin/auth/user/{pk}/password/").status_code == 302


def test_the_admin_refuses_to_leave_the_venue_without_an_admin_and_has_no_delete(alpha):
    client = admin_client(alpha, "admin")
    pk = staff_id(alpha, "admin")
    page = client.post(f"/admin/auth/user/{pk}/change/", {"name": "", "role": "cashier",
                                                           "is_active": "on"})
    assert page.status_code == 200
    assert "at least one active venue admin" in page.content.decode()
    assert client.get(f"/admin/auth/user/{pk}/delete/").status_code == 403


def test_a_venue_admin_cannot_grant_superuser_or_permissions_in_the_admin(alpha):
    client = admin_client(alpha, "admin")
    pk = staff_id(alpha, "cashier")
    client.post(f"/admin/auth/user/{pk}/change/", {
        "name": "", "role": "cashier", "is_active": "on", "is_superuser": "on",
        "is_staff": "on", "user_permissions": ["1"]})
    with schema_context(alpha.schema):
        user = get_user_model().objects.get(pk=pk)
        assert not user.is_superuser and not user.is_staff
        assert not user.user_permissions.exists()
    assert client.get("/admin/auth/group/").status_code == 403


@pytest.mark.parametrize("path", [
    "/admin/", "/admin/reservations/alert/", "/admin/reservations/cleanuprun/",
    "/admin/reservations/extensionjob/", "/admin/reservations/statuschange/",
    "/admin/sales/transaction/",
])
def test_operators_reach_the_admin_pages_their_docs_send_them_to(alpha, path):
    assert admin_client(alpha, "operator").get(path).status_code == 200


def test_cashiers_and_door_staff_do_not_reach_the_admin(alpha):
    for username in ("cashier", "door"):
        page = admin_client(alpha, username).get("/admin/")
        assert page.status_code == 302 and "/admin/login/" in page["Location"]


# --- manage.py add_staff --------------------------------------------------------------


def test_add_staff_creates_a_staff_member_with_the_audit(alpha):
    call_command("add_staff", "taquilla3", "--tenant", "alpha", "--role", "cashier",
                 "--name", "Ana", "--password", "una-clave-larga")
    connection.set_schema_to_public()
    assert audit(alpha, "taquilla3") == [("created", "", "cashier", "command")]
    login = api_client(alpha).post("/api/auth/token/", {"username": "taquilla3",
                                                        "password": "una-clave-larga"},
                                   format="json")
    assert login.status_code == 200


@pytest.mark.parametrize(("args", "message"), [
    (["cashier", "--tenant", "alpha", "--role", "cashier", "--password", "una-clave-larga"],
     "is taken"),
    (["nuevo", "--tenant", "nowhere", "--role", "cashier", "--password", "una-clave-larga"],
     "No venue organisation"),
    (["nuevo", "--tenant", "alpha", "--role", "cashier", "--password", "corta"],
     "too short"),
])
def test_add_staff_refuses_with_a_message(alpha, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("add_staff", *args)


def test_add_staff_exits_non_zero_on_a_bad_role(tenants):
    result = subprocess.run([sys.executable, "manage.py", "add_staff", "x", "--tenant", "alpha",
                             "--role", "boss", "--password", "una-clave-larga"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "invalid choice" in result.stderr


def test_the_platform_admin_keeps_djangos_user_admin_and_no_venue_staff_tables(tenants, db):
    connection.set_schema_to_public()
    root = get_user_model().objects.create_superuser("platform", password="a-long-pass-1")
    client = Client(HTTP_HOST="localhost")
    client.force_login(root)
    index = client.get("/admin/").content.decode()
    assert "Device tokens" not in index and "Staff changes" not in index
    assert client.get("/admin/staff/devicetoken/").status_code == 403
    change = client.get(f"/admin/auth/user/{root.pk}/change/").content.decode()
    assert 'name="is_superuser"' in change  # Django's own UserAdmin on the platform host


# --- Two venue admins demoting each other at the same instant ------------------------


@pytest.fixture(scope="module")
def staff_race(tenants, django_db_blocker):
    """A tenant of its own (the threads commit)."""
    from tests.conftest import get_or_create_tenant

    with django_db_blocker.unblock():
        tenant = get_or_create_tenant("staffrace")
        connection.set_schema_to_public()
        yield tenant


@pytest.fixture
def two_admins(staff_race, django_db_blocker):
    from django_tenants.utils import tenant_context

    from tenants.roles import Role
    from tenants.services import create_staff_user

    with django_db_blocker.unblock(), tenant_context(staff_race):
        for username in ("admin", "admin2"):
            create_staff_user(username=username, password=PASSWORD, role=Role.VENUE_ADMIN)
        yield staff_race
    connection.set_schema_to_public()


def _demote_each_other(tenant) -> list[object]:
    from functools import partial

    from pos.errors import DomainError
    from tenants.roles import Role
    from tenants.staff import services
    from tests.parallel import run_parallel

    User = get_user_model()

    def demote(username: str, actor: str) -> object:
        return services.change_staff(user=User.objects.get(username=username),
                                     actor=User.objects.get(username=actor),
                                     via=StaffChange.Via.API, role=Role.CASHIER)

    return run_parallel([partial(demote, "admin", "admin2"), partial(demote, "admin2", "admin")],
                        tenant=tenant, catch=DomainError)


def _slow_role_group(monkeypatch) -> None:
    """Widen the window between the check (another active venue admin?) and the change."""
    from tenants.staff import services

    original = services._role_group

    def slow(role):
        time.sleep(0.3)
        return original(role)

    monkeypatch.setattr(services, "_role_group", slow)


def test_two_venue_admins_demoting_each_other_at_once_leave_one(two_admins, monkeypatch):
    from tenants.staff.errors import LastVenueAdmin
    from tenants.staff.selectors import active_venue_admins

    _slow_role_group(monkeypatch)
    results = _demote_each_other(two_admins)
    assert sorted(type(r).__name__ for r in results) == sorted(["User", LastVenueAdmin.__name__])
    assert active_venue_admins().count() == 1


def test_control_without_the_lock_both_demotions_pass_and_no_admin_is_left(two_admins,
                                                                           monkeypatch):
    """Proof that the test above can fail: without the group row lock both see another
    venue admin and both step down."""
    from tenants.staff import services
    from tenants.staff.selectors import active_venue_admins

    _slow_role_group(monkeypatch)
    monkeypatch.setattr(services, "lock_role_group", lambda name: None)
    results = _demote_each_other(two_admins)
    assert [type(r).__name__ for r in results] == ["User", "User"]
    assert active_venue_admins().count() == 0
