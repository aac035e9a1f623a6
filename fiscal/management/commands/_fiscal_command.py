"""What x_report and z_report share: `--tenant`, `--day`, `--format`, the loop over tenants
(errors collected per tenant, non-zero exit at the end) and the table output."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django_tenants.utils import tenant_context

from pos.errors import DomainError
from pos.formatting import format_money
from tenants.selectors import venue_tenants


def _day(value: str) -> date:
    # An argparse type error: on the command line, a usage message and exit status 2 (a
    # CommandError raised while parsing escaped as a traceback); from call_command, a
    # CommandError with the same message.
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--day must be YYYY-MM-DD, not {value!r}.") from exc


class FiscalCommand(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", metavar="SCHEMA",
                            help="only this tenant (schema name); default: every tenant")
        parser.add_argument("--day", type=_day, help="fiscal day YYYY-MM-DD "
                                                     "(America/Caracas); default: today")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def run(self, options: dict[str, Any], work: Callable[[], dict[str, Any]]) -> None:
        tenants = list(venue_tenants(schema_name=options["tenant"]))
        if options["tenant"] and not tenants:
            raise CommandError(f"No tenant with schema {options['tenant']!r}.")
        results: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for tenant in tenants:
            try:
                with tenant_context(tenant):
                    results[tenant.schema_name] = work()
            except DomainError as exc:
                errors[tenant.schema_name] = exc.message
        connection.set_schema_to_public()
        if options["format"] == "json":
            self.stdout.write(json.dumps(results, indent=2, ensure_ascii=False, default=str))
        else:
            for schema, report in results.items():
                self.write_report(schema, report)
        if errors:
            lines = "; ".join(f"{schema}: {message}" for schema, message in errors.items())
            raise CommandError(f"Failed for {len(errors)} tenant(s): {lines}")

    def write_report(self, schema: str, report: dict[str, Any]) -> None:
        totals = report.get("totals", report)
        head = f"{schema}  fiscal day {totals['fiscal_day']}"
        if "number" in report:
            head += f"  Z {report['number']:06d}"
        self.stdout.write(head)
        counts = ", ".join(f"{kind} {n}" for kind, n in totals["counts"].items())
        self.stdout.write(f"  documents: {totals['documents']} ({counts})")
        for series in totals["series"]:
            self.stdout.write(f"  {series['series']}: {series['first']} … {series['last']} "
                              f"({series['count']})")
        net = totals["net_sales"]
        for tax in totals["taxes"]:
            self.stdout.write(f"  {tax['category']} {tax['rate']} %: base {_bs(tax['base_ves'])}"
                              f"  IVA {_bs(tax['iva_ves'])}")
        self.stdout.write(f"  exempt {_bs(net['exempt_ves'])}  IVA {_bs(net['iva_total_ves'])}  "
                          f"total {_bs(net['total_ves'])}  IGTF {_bs(net['igtf_ves'])}  "
                          f"amount due {_bs(net['amount_due_ves'])}")
        for payment in totals["payments"]:
            self.stdout.write(f"  paid {payment['method']} "
                              f"{format_money(payment['amount'], payment['currency'], 'en')} "
                              f"({_bs(payment['amount_ves'])}, {payment['count']})")


def _bs(amount: str) -> str:
    # The printout is in English, as the command's other words (pos.formatting).
    return format_money(amount, "VES", "en")
