"""The x_report and z_report management commands: the same figures as the API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from fiscal.models import FiscalDocument, ZReport
from fiscal.taxes import PaymentInput
from reservations.services import hold_seats
from sales.checkout.services import checkout_hold
from tests.builders import make_event, set_rate, user


@pytest.fixture
def sold(alpha):
    with tenant_context(alpha.tenant):
        set_rate("100.0000")
        setup = make_event(rows="A", seats_per_row=2, price="10.00")
        cashier = user("cashier")
        tx = hold_seats(user=cashier, event_id=setup.event.pk, seat_ids=setup.ids("A1"))
        checkout_hold(user=cashier, transaction_id=tx.pk, payments=[
            PaymentInput("cash", "USD", Decimal("11.95"))])
    return alpha


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_x_report_command_prints_the_days_totals_and_changes_nothing(sold):
    table = run("x_report", "--tenant", "alpha")
    assert "alpha" in table and "amount due Bs 1,194.80" in table and "FAC-00000001" in table
    data = json.loads(run("x_report", "--tenant", "alpha", "--format", "json"))
    assert data["alpha"]["net_sales"]["igtf_ves"] == "34.80"
    with tenant_context(sold.tenant):
        assert not ZReport.objects.exists()


def test_z_report_command_closes_the_day_then_refuses_a_second_z(sold):
    data = json.loads(run("z_report", "--tenant", "alpha", "--format", "json"))
    assert data["alpha"]["number"] == 1
    assert data["alpha"]["totals"]["net_sales"]["total_ves"] == "1160.00"
    with tenant_context(sold.tenant):
        assert not FiscalDocument.objects.filter(z_report__isnull=True).exists()
    with pytest.raises(CommandError, match="already closed"):
        run("z_report", "--tenant", "alpha")


def test_commands_reject_unknown_tenant_and_bad_day(alpha):
    with pytest.raises(CommandError, match="No tenant"):
        run("x_report", "--tenant", "nope")
    with pytest.raises(CommandError):
        run("x_report", "--tenant", "alpha", "--day", "31/12/2026")


def test_a_bad_day_on_the_command_line_is_a_message_and_a_non_zero_exit(tenants):
    env = {**os.environ, "POS_DB_NAME": settings.DATABASES["default"]["NAME"]}
    for command in ("x_report", "z_report"):
        result = subprocess.run([sys.executable, "manage.py", command, "--day", "2026-13-45"],
                                capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode != 0, command
        assert "--day must be YYYY-MM-DD, not '2026-13-45'" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_z_report_command_refuses_a_day_before_the_first_sale(sold):
    with pytest.raises(CommandError, match="alpha: Nothing was sold before"):
        run("z_report", "--tenant", "alpha", "--day", "0001-01-01")
