"""The operator commands: output as a table and as JSON, --dry-run changing nothing,
--tenant narrowing, clear errors and a non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tenants.utils import schema_context

from reservations.models import CleanupRun, ReservedTicket, StatusChange
from sales.models import Transaction
from tests.builders import make_event, set_rate
from tests.conftest import api_client
from tests.ops_builders import hold, refused, reserve

START = timezone.now().replace(microsecond=0) + timedelta(days=1)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> dict:
    return json.loads(run(*args, "--format", "json"))


@pytest.fixture
def events(tenants, db):
    """An event in alpha and one in beta, each with a hold made at START."""
    made = {}
    with time_machine.travel(START, tick=False):
        for schema in ("alpha", "beta"):
            with schema_context(schema):
                set_rate()
                setup = make_event(rows="AB", seats_per_row=5)
                hold(setup, "A1", "A2")
                made[schema] = setup
    return made


def holds_by_status(schema: str) -> dict[str, int]:
    with schema_context(schema):
        rows = ReservedTicket.objects.values_list("status", flat=True)
        return {status: list(rows).count(status) for status in set(rows)}


# --- cleanup_expired_reservations -----------------------------------------------------


def test_cleanup_prints_counts_per_tenant_and_total(events):
    with time_machine.travel(START + timedelta(minutes=11), tick=False):
        out = run("cleanup_expired_reservations")
    header, _rule, *rows, summary = out.splitlines()
    assert header.split() == ["tenant", "holds", "expired", "transactions", "expired"]
    cells = {row.split()[0]: row.split()[1:] for row in rows}
    assert cells["alpha"] == cells["beta"] == ["2", "1"]
    assert int(cells["total"][0]) >= 4  # other test tenants may have stale holds too
    assert summary.endswith(f"{cells['total'][0]} hold(s) and {cells['total'][1]} "
                            "transaction(s) expired.")
    assert holds_by_status("alpha") == {"expired": 2}
    with schema_context("alpha"):
        assert CleanupRun.objects.get().trigger == "command"


def test_cleanup_dry_run_changes_nothing_and_says_so(events):
    with time_machine.travel(START + timedelta(minutes=11), tick=False):
        report = run_json("cleanup_expired_reservations", "--dry-run")
        text = run("cleanup_expired_reservations", "--dry-run", "--tenant", "alpha")
    assert report["dry_run"] is True
    assert report["tenants"]["alpha"] == {"holds_expired": 2, "transactions_expired": 1}
    assert "Dry run: nothing was changed. 1 tenant(s): 2 hold(s) and 1 transaction(s) " \
           "would expire." in text
    assert holds_by_status("alpha") == holds_by_status("beta") == {"active": 2}
    with schema_context("alpha"):
        assert not CleanupRun.objects.exists()


def test_cleanup_tenant_filter_leaves_other_tenants_alone(events):
    with time_machine.travel(START + timedelta(minutes=11), tick=False):
        report = run_json("cleanup_expired_reservations", "--tenant", "beta")
    assert list(report["tenants"]) == ["beta"]
    assert report["totals"] == {"holds_expired": 2, "transactions_expired": 1}
    assert holds_by_status("beta") == {"expired": 2}
    assert holds_by_status("alpha") == {"active": 2}


def test_unknown_tenant_is_a_clear_error(tenants, db):
    with pytest.raises(CommandError, match="No tenant with schema 'nope'"):
        run("cleanup_expired_reservations", "--tenant", "nope")


def test_commands_exit_non_zero_with_the_message(tenants):
    env = {**os.environ, "POS_DB_NAME": settings.DATABASES["default"]["NAME"]}
    for args, message in [
        (["cleanup_expired_reservations", "--tenant", "nope"], "No tenant with schema 'nope'"),
        (["extend_reservations", "--hours", "0"], "positive whole number"),
        (["reservation_stats", "--format", "xml"], "invalid choice"),
    ]:
        result = subprocess.run([sys.executable, "manage.py", *args], capture_output=True,
                                text=True, env=env, timeout=120)
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)


# --- reservation_stats ----------------------------------------------------------------


@pytest.fixture
def busy(events):
    """In alpha: a reservation, an expired hold, a contested seat."""
    alpha = events["alpha"]
    with time_machine.travel(START, tick=False), schema_context("alpha"):
        reserve(alpha, "B1")
        for _ in range(2):
            refused(alpha, "A1")
    with time_machine.travel(START + timedelta(minutes=11), tick=False), \
            schema_context("alpha"):
        run("cleanup_expired_reservations", "--tenant", "alpha")
    return events


def test_stats_table_shows_each_event_and_the_tenant_total(busy):
    with time_machine.travel(START + timedelta(minutes=12), tick=False):
        out = run("reservation_stats", "--tenant", "alpha")
    header, _rule, *rows, summary = out.splitlines()
    assert header.split()[:6] == ["tenant", "event", "name", "holds", "reservations",
                                  "expiring"]
    event_row = next(r for r in rows if busy["alpha"].event.name in r)
    cells = event_row.split()
    # holds, reservations, expiring, completed, expired, cancelled, conversion, abandonment
    assert cells[-9:] == ["0", "1", "0", "0", "1", "0", "0.0%", "50.0%", "A1×2"]
    assert "(total)" in out
    assert summary.startswith("1 tenant(s)") and "over the last 24 h" in summary


def test_stats_json_is_what_the_api_answers(busy, alpha):
    with time_machine.travel(START + timedelta(minutes=12), tick=False):
        printed = run_json("reservation_stats", "--tenant", "alpha")
        answered = api_client(alpha, "operator").get("/api/reservations/stats/")
    assert answered.status_code == 200
    assert answered.json() == printed
    event = next(e for e in printed["tenants"][0]["events"]
                 if e["event"] == busy["alpha"].event.pk)
    assert event["live_reservations"] == 1 and event["expired"] == 1
    assert event["contested_seats"][0]["label"] == "A1"


def test_stats_event_filter_and_unknown_event(busy, alpha):
    event_id = busy["alpha"].event.pk
    report = run_json("reservation_stats", "--tenant", "alpha", "--event", str(event_id))
    assert [e["event"] for e in report["tenants"][0]["events"]] == [event_id]
    api = api_client(alpha, "admin").get(f"/api/reservations/stats/?event={event_id}")
    assert [e["event"] for e in api.json()["tenants"][0]["events"]] == [event_id]
    with pytest.raises(CommandError, match="Event 999999 does not exist in tenant alpha"):
        run("reservation_stats", "--tenant", "alpha", "--event", "999999")
    assert api_client(alpha, "cashier").get("/api/reservations/stats/").status_code == 403


# --- extend_reservations --------------------------------------------------------------


@pytest.fixture
def reservations(events):
    made = {}
    with time_machine.travel(START, tick=False):
        for schema in ("alpha", "beta"):
            with schema_context(schema):
                made[schema] = reserve(events[schema], "B1", "B2")
    return made


def deadline(schema: str, tx: Transaction):
    with schema_context(schema):
        return Transaction.objects.get(pk=tx.pk).payment_deadline


def test_extend_dry_run_reports_and_changes_nothing(reservations):
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        out = run("extend_reservations", "--hours", "24", "--dry-run", "--tenant", "alpha")
        report = run_json("extend_reservations", "--hours", "24", "--dry-run")
    assert "Dry run: nothing was changed." in out
    assert "1 reservation(s) (2 ticket(s)) would be extended by 24 h" in out
    assert report["dry_run"] is True
    assert report["job"] is None and "job" not in out  # a preview is not a job
    assert report["tenants"]["beta"]["reservations"] == 1
    assert deadline("alpha", reservations["alpha"]) == START + timedelta(hours=72)
    with schema_context("alpha"):
        assert not StatusChange.objects.filter(reason="bulk_extension").exists()


def test_extend_one_tenant_extends_and_audits(reservations):
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        report = run_json("extend_reservations", "--hours", "24", "--tenant", "alpha",
                          "--by", "maria")
    assert report["tenants"] == {"alpha": {
        "hours": 24, "dry_run": False, "job": report["job"], "replayed": False,
        "reservations": 1, "tickets": 2}}
    assert deadline("alpha", reservations["alpha"]) == START + timedelta(hours=96)
    assert deadline("beta", reservations["beta"]) == START + timedelta(hours=72)
    with schema_context("alpha"):
        audit = StatusChange.objects.get(reason="bulk_extension")
        assert audit.created_at == START + timedelta(hours=1)
        assert f"job {report['job']}: +24 h by command (maria)" in audit.note


@pytest.mark.parametrize("args, message", [
    (["--hours", "0"], "Hours must be a positive whole number, not 0."),
    (["--hours", "-5"], "Hours must be a positive whole number, not -5."),
    (["--hours", "100000"], "Refusing to extend by 100000 hours: at most 720 hours (30 days)"),
    (["--hours", "2", "--expiring-within", "0"], "Expiring-within must be between 1 and 720"),
    (["--hours", "2", "--event", "1"], "Event ids are per tenant: give --tenant with --event."),
    (["--hours", "2", "--tenant", "alpha", "--event", "999999"], "Event 999999 does not exist"),
])
def test_extend_refuses_bad_input_with_a_clear_message(reservations, args, message):
    with pytest.raises(CommandError) as raised:
        run("extend_reservations", *args)
    assert message in str(raised.value)
    assert deadline("alpha", reservations["alpha"]) == START + timedelta(hours=72)
