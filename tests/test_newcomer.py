"""What a newcomer's first `make run` relies on: the platform admin exists (created once,
never reset), and the smoke and latency scripts pick an event that is on sale."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from benchmarks.demo_latency import on_sale_event as latency_pick
from sales.models import Event
from scripts.smoke import on_sale_event as smoke_pick
from tests.builders import make_event


def ensure_platform_admin() -> str:
    out = StringIO()
    call_command("ensure_platform_admin", "--url", "http://localhost:8001/admin/", stdout=out)
    return out.getvalue()


def platform_users():
    with schema_context(get_public_schema_name()):
        return list(get_user_model().objects.filter(username="boss"))


def test_the_platform_admin_is_created_once_and_never_reset(db, settings):
    settings.POS_PLATFORM_ADMIN_USER = "boss"
    settings.POS_PLATFORM_ADMIN_PASSWORD = "a-long-platform-pass"
    first = ensure_platform_admin()
    assert "http://localhost:8001/admin/" in first
    assert "user boss, password a-long-platform-pass" in first
    [boss] = platform_users()
    assert boss.is_superuser and boss.is_staff and boss.check_password("a-long-platform-pass")

    with schema_context(get_public_schema_name()):
        # An update, not save(): the token-revoking signal reads a tenant-only table.
        get_user_model().objects.filter(pk=boss.pk).update(
            password=make_password("changed-by-the-operator"))
    again = ensure_platform_admin()
    assert "password" in again and "a-long-platform-pass" not in again
    [boss] = platform_users()
    assert boss.check_password("changed-by-the-operator")


def test_a_weak_platform_password_is_refused_and_nothing_is_created(db, settings):
    settings.POS_PLATFORM_ADMIN_USER = "boss"
    settings.POS_PLATFORM_ADMIN_PASSWORD = "123"
    with pytest.raises(CommandError):
        ensure_platform_admin()
    assert platform_users() == []


@pytest.mark.parametrize("pick", [smoke_pick, latency_pick])
def test_the_scripts_pick_the_event_on_sale_not_the_first_listed(alpha, cashier, pick):
    with tenant_context(alpha.tenant):
        soon = timezone.now() + timedelta(days=1)
        draft = make_event().event
        closed = make_event().event
        on_sale = make_event().event
        Event.objects.filter(pk=draft.pk).update(status="draft", starts_at=soon)
        Event.objects.filter(pk=closed.pk).update(status="closed",
                                                  starts_at=soon + timedelta(hours=1))
    listed = cashier.get("/api/events/").json()["results"]
    assert listed[0]["status"] != "on_sale"  # the first listed would not take a hold
    chosen = pick(lambda url: cashier.get(url).json(), "/api/events/")
    assert chosen["id"] == on_sale.pk


@pytest.mark.parametrize("pick", [smoke_pick, latency_pick])
def test_the_pick_follows_the_pages_and_stops_when_nothing_is_on_sale(pick):
    pages = {"/1": {"results": [{"id": 1, "status": "draft"}],
                    "next": "http://demo.localhost/2?page=2"},  # the Host header's host
             "/2?page=2": {"results": [{"id": 2, "status": "closed"},
                                       {"id": 3, "status": "on_sale"}], "next": None},
             "/none": {"results": [{"id": 1, "status": "draft"}], "next": None}}
    assert pick(pages.__getitem__, "/1")["id"] == 3
    with pytest.raises(SystemExit, match="no event on sale"):
        pick(pages.__getitem__, "/none")
