"""Per-event rules (issue 18, item 4): an event's own hold minutes and partial-payment
hours, a venue admin's longer hold (grant), and a cashier's holds released when they log
out of the POS page or their terminal's token is revoked."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context
from knox.models import get_token_model
from rest_framework.test import APIClient

from reservations.models import ReservedTicket, StatusChange
from reservations.services import expire_stale_holds
from sales.models import Transaction
from tests.builders import api_hold_id, change_tenant_settings, checkout_body, make_event, set_rate
from tests.conftest import api_client, token_for


@pytest.fixture
def events(alpha):
    """Two events of one tenant (whose holds last 10 minutes, reservations 72 hours)."""
    with tenant_context(alpha.tenant):
        set_rate("100.0000")
        return make_event(rows="AB", seats_per_row=5), make_event(rows="AB", seats_per_row=5)


@pytest.fixture
def admin(alpha) -> APIClient:
    return api_client(alpha, "admin")


def expires_at(answer) -> timezone.datetime:
    return timezone.datetime.fromisoformat(answer.json()["expires_at"])


def states(client, setup) -> dict[str, str]:
    body = client.get(f"/api/events/{setup.event.pk}/availability/").json()
    return {seat["label"]: seat["state"] for seat in body["seats"]}


def set_event_rules(admin, setup, **rules):
    answer = admin.patch(f"/api/events/{setup.event.pk}/", rules, format="json")
    assert answer.status_code == 200, answer.json()
    return answer.json()


# --- The event's own hold minutes and partial-payment hours --------------------------


def test_an_event_with_3_minute_holds_expires_at_3_min_while_another_keeps_10(
        alpha, admin, cashier, cashier2, events):
    quick, usual = events
    assert set_event_rules(admin, quick, reservation_hold_minutes=3)[
        "reservation_hold_minutes"] == 3
    assert admin.get(f"/api/events/{usual.event.pk}/").json()["reservation_hold_minutes"] is None
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        on_quick = cashier.post("/api/holds/", {"event": quick.event.pk,
                                                "seat_ids": quick.ids("A1")}, format="json")
        on_usual = cashier.post("/api/holds/", {"event": usual.event.pk,
                                                "seat_ids": usual.ids("A1")}, format="json")
        # The answer shows each hold's own deadline.
        assert expires_at(on_quick) - start == timedelta(minutes=3)
        assert expires_at(on_usual) - start == timedelta(minutes=10)
    with time_machine.travel(start + timedelta(minutes=2, seconds=59), tick=False):
        assert states(cashier2, quick)["A1"] == "reserved"
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        assert states(cashier2, quick)["A1"] == "available"
        assert states(cashier2, usual)["A1"] == "reserved"
        with tenant_context(alpha.tenant):
            assert expire_stale_holds()["holds_expired"] == 1
        assert cashier2.post("/api/holds/", {"event": quick.event.pk,
                                             "seat_ids": quick.ids("A1")},
                             format="json").status_code == 201
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        assert states(cashier2, usual)["A1"] == "available"
    with tenant_context(alpha.tenant):
        assert Transaction.objects.get(pk=on_quick.json()["id"]).status == "expired"


def test_an_extension_adds_the_events_own_minutes(admin, cashier, events):
    quick, _ = events
    set_event_rules(admin, quick, reservation_hold_minutes=3)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        hold_id = api_hold_id(cashier, quick, "A2")
        extended = cashier.post(f"/api/holds/{hold_id}/extend/")
    assert extended.status_code == 200
    assert expires_at(extended) - start == timedelta(minutes=6)


def test_event_rules_keep_the_tenant_settings_ranges_and_null_means_the_tenants(
        alpha, admin, cashier, events):
    quick, _ = events
    path = f"/api/events/{quick.event.pk}/"
    for body, field in (({"reservation_hold_minutes": 0}, "reservation_hold_minutes"),
                        ({"reservation_hold_minutes": 121}, "reservation_hold_minutes"),
                        ({"partial_payment_hours": 721}, "partial_payment_hours")):
        answer = admin.patch(path, body, format="json")
        assert answer.status_code == 400 and field in answer.json()
    assert cashier.patch(path, {"reservation_hold_minutes": 3},
                         format="json").status_code == 403
    set_event_rules(admin, quick, reservation_hold_minutes=3)
    set_event_rules(admin, quick, reservation_hold_minutes=None)
    change_tenant_settings(alpha.tenant, reservation_hold_minutes=7)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        answer = cashier.post("/api/holds/", {"event": quick.event.pk,
                                              "seat_ids": quick.ids("B1")}, format="json")
    assert expires_at(answer) - start == timedelta(minutes=7)


def test_the_partial_payment_deadline_follows_the_event(admin, cashier, cashier2, events):
    short, usual = events
    set_event_rules(admin, short, partial_payment_hours=24)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        deadlines = {}
        for setup in (short, usual):
            hold_id = api_hold_id(cashier, setup, "A3")
            paid = cashier.post(f"/api/holds/{hold_id}/checkout/",
                                checkout_body(("cash", "USD", "5.00")), format="json")
            assert paid.json()["transaction"]["status"] == "reserved", paid.json()
            deadlines[setup.event.pk] = timezone.datetime.fromisoformat(
                paid.json()["transaction"]["payment_deadline"])
        assert deadlines[short.event.pk] - start == timedelta(hours=24)
        assert deadlines[usual.event.pk] - start == timedelta(hours=72)
    with time_machine.travel(start + timedelta(hours=24), tick=False):
        assert states(cashier2, short)["A3"] == "available"
        assert states(cashier2, usual)["A3"] == "reserved_partial"


# --- A venue admin grants a longer hold -----------------------------------------------


def grant(client, hold_id, minutes=120, reason="Grupo colegio San José"):
    return client.post(f"/api/holds/{hold_id}/grant/", {"minutes": minutes, "reason": reason},
                       format="json")


def test_a_venue_admin_grants_a_longer_hold_with_a_reason_and_it_is_audited(
        alpha, admin, cashier, cashier2, events):
    setup, _ = events
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        hold_id = api_hold_id(cashier, setup, "A1", "A2")
        polled = cashier2.get(f"/api/events/{setup.event.pk}/availability/")
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        answer = grant(admin, hold_id)
        assert answer.status_code == 200, answer.json()
        assert expires_at(answer) - start == timedelta(minutes=125)
        assert {timezone.datetime.fromisoformat(item["reserved_until"])
                for item in answer.json()["items"]} == {expires_at(answer)}
        # The seat map cached for pollers is refreshed (its snapshot ended with the hold).
        again = cashier2.get(f"/api/events/{setup.event.pk}/availability/",
                             HTTP_IF_NONE_MATCH=polled["ETag"])
        assert again.status_code == 200
    with time_machine.travel(start + timedelta(minutes=124), tick=False):
        assert states(cashier, setup)["A1"] == "reserved_by_me"
        assert cashier.get(f"/api/holds/{hold_id}/").json()["expires_at"] == (
            answer.json()["expires_at"])
    with time_machine.travel(start + timedelta(minutes=125), tick=False):
        assert states(cashier2, setup)["A1"] == "available"
    with tenant_context(alpha.tenant):
        row = StatusChange.objects.get(transaction_id=hold_id, reason="hold_granted")
        assert (row.from_status, row.to_status, row.actor.username) == (
            "pending", "pending", "admin")
        assert row.note.endswith("(120 min) by admin: Grupo colegio San José")
        assert row.created_at == start + timedelta(minutes=5)


def test_a_grant_above_the_venues_cap_is_a_400_naming_the_cap(alpha, admin, cashier, events):
    setup, _ = events
    hold_id = api_hold_id(cashier, setup, "A1")
    over = grant(admin, hold_id, minutes=241)
    assert over.status_code == 400
    assert over.json()["code"] == "grant_over_cap"
    assert over.json()["max_granted_hold_minutes"] == 240
    assert "at most 240 minutes (the venue's max_granted_hold_minutes)" in over.json()["detail"]
    change_tenant_settings(alpha.tenant, max_granted_hold_minutes=60)
    assert grant(admin, hold_id, minutes=90).json()["max_granted_hold_minutes"] == 60
    assert grant(admin, hold_id, minutes=60).status_code == 200
    # One that would not lengthen the hold is refused too.
    short = grant(admin, hold_id, minutes=30)
    assert short.status_code == 400 and short.json()["code"] == "grant_too_short"
    for body in ({"minutes": 0, "reason": "x"}, {"minutes": 30}, {"minutes": 30, "reason": ""}):
        assert admin.post(f"/api/holds/{hold_id}/grant/", body,
                          format="json").status_code == 400


def test_cashiers_may_not_grant_a_longer_hold(cashier, events):
    setup, _ = events
    hold_id = api_hold_id(cashier, setup, "A1")
    assert grant(cashier, hold_id).status_code == 403


def test_a_hold_no_longer_active_is_a_409_saying_why(alpha, admin, cashier, events):
    setup, _ = events
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        expired = api_hold_id(cashier, setup, "A1")
        sold = api_hold_id(cashier, setup, "A2")
        reserved = api_hold_id(cashier, setup, "A3")
        released = api_hold_id(cashier, setup, "A4")
        assert cashier.post(f"/api/holds/{sold}/checkout/", checkout_body(
            ("cash", "USD", "20.00")), format="json").json()["transaction"]["status"] == (
            "completed")
        assert cashier.post(f"/api/holds/{reserved}/checkout/", checkout_body(
            ("cash", "USD", "5.00")), format="json").json()["transaction"]["status"] == (
            "reserved")
        assert cashier.delete(f"/api/holds/{released}/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        answers = {name: grant(admin, hold_id) for name, hold_id in (
            ("expired", expired), ("sold", sold), ("reserved", reserved),
            ("released", released))}
        with tenant_context(alpha.tenant):
            expire_stale_holds()  # recorded EXPIRED: still said with its time
        recorded = grant(admin, expired)
        assert recorded.status_code == 409
        assert recorded.json()["detail"] == answers["expired"].json()["detail"]
    assert {name: a.status_code for name, a in answers.items()} == {
        "expired": 409, "sold": 409, "reserved": 409, "released": 409}
    assert {name: a.json()["status"] for name, a in answers.items()} == {
        "expired": "expired", "sold": "completed", "reserved": "reserved",
        "released": "cancelled"}
    assert answers["expired"].json()["detail"].startswith(f"Hold {expired} expired at ")
    assert "completed (sold)" in answers["sold"].json()["detail"]
    assert "partial-payment reservation" in answers["reserved"].json()["detail"]
    assert "released (cancelled)" in answers["released"].json()["detail"]
    assert grant(admin, 999999).status_code == 404
    with tenant_context(alpha.tenant):
        assert not StatusChange.objects.filter(reason="hold_granted").exists()


# --- Holds released when the cashier logs out ------------------------------------------


@pytest.fixture
def counter(alpha, events, cashier2):
    """The cashier's two holds and a partial-payment reservation; cashier2's hold."""
    setup, other = events
    cashier = api_client(alpha, "cashier")
    holds = [api_hold_id(cashier, setup, "A1", "A2"), api_hold_id(cashier, other, "B1")]
    reservation = api_hold_id(cashier, setup, "B5")
    paid = cashier.post(f"/api/holds/{reservation}/checkout/",
                        checkout_body(("cash", "USD", "5.00")), format="json")
    assert paid.json()["transaction"]["status"] == "reserved"
    others = api_hold_id(cashier2, setup, "A5")
    return {"holds": holds, "reservation": reservation, "others": others}


def statuses(alpha, *transaction_ids) -> list[str]:
    with tenant_context(alpha.tenant):
        found = dict(Transaction.objects.filter(pk__in=transaction_ids)
                     .values_list("id", "status"))
    return [found[tx_id] for tx_id in transaction_ids]


def assert_only_the_cashiers_holds_released(alpha, counter, setup) -> None:
    assert statuses(alpha, *counter["holds"]) == ["cancelled", "cancelled"]
    # Their partial-payment reservation and the other cashier's hold stay.
    assert statuses(alpha, counter["reservation"], counter["others"]) == ["reserved", "pending"]
    with tenant_context(alpha.tenant):
        assert set(ReservedTicket.objects.filter(transaction_id=counter["reservation"])
                   .values_list("status", flat=True)) == {"active"}
        rows = StatusChange.objects.filter(transaction_id__in=counter["holds"],
                                           reason="logout")
        # An audit row per item and per transaction, the cashier as the actor.
        assert rows.count() == 5
        assert set(rows.values_list("actor__username", flat=True)) == {"cashier"}
    seen = states(api_client(alpha, "cashier2"), setup)
    assert (seen["A1"], seen["A2"], seen["B5"], seen["A5"]) == (
        "available", "available", "reserved_partial", "reserved_by_me")


def test_logging_out_of_the_pos_page_releases_the_cashiers_holds(alpha, events, counter):
    page = APIClient(HTTP_HOST=alpha.host)
    with schema_context(alpha.schema):
        page.force_login(get_user_model().objects.get(username="cashier"))
    answer = page.post("/pos/logout/")
    assert answer.status_code == 302
    assert_only_the_cashiers_holds_released(alpha, counter, events[0])


def test_logging_the_terminal_out_releases_the_cashiers_holds(
        alpha, events, counter, django_capture_on_commit_callbacks):
    terminal = APIClient(HTTP_HOST=alpha.host)
    terminal.credentials(HTTP_AUTHORIZATION=f"Token {token_for(alpha, 'cashier', 'Caja 1')}")
    with django_capture_on_commit_callbacks(execute=True):
        assert terminal.delete("/api/auth/token/").status_code == 204
    assert_only_the_cashiers_holds_released(alpha, counter, events[0])


def test_a_venue_admin_revoking_the_terminals_token_releases_its_cashiers_holds(
        alpha, admin, events, counter, django_capture_on_commit_callbacks):
    token_for(alpha, "cashier", "Caja 3")
    with schema_context(alpha.schema):
        cashier = get_user_model().objects.get(username="cashier")
        token_id = get_token_model().objects.get(user=cashier, terminal="Caja 3").pk
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin.delete(f"/api/staff/{cashier.pk}/tokens/{token_id}/")
    assert answer.status_code == 204
    assert_only_the_cashiers_holds_released(alpha, counter, events[0])


def test_deactivating_a_cashier_releases_their_holds(
        alpha, admin, events, counter, django_capture_on_commit_callbacks):
    with schema_context(alpha.schema):
        cashier = get_user_model().objects.get(username="cashier")
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin.patch(f"/api/staff/{cashier.pk}/", {"is_active": False}, format="json")
    assert answer.status_code == 200
    assert_only_the_cashiers_holds_released(alpha, counter, events[0])


def test_a_new_log_in_at_the_same_terminal_keeps_the_holds(
        alpha, events, counter, django_capture_on_commit_callbacks):
    """Logging in again replaces the terminal's token (a restart): not a log-out."""
    token_for(alpha, "cashier", "Caja 1")
    with django_capture_on_commit_callbacks(execute=True):
        token_for(alpha, "cashier", "Caja 1")
    assert statuses(alpha, *counter["holds"]) == ["pending", "pending"]
