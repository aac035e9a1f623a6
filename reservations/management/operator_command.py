"""What the operator commands share: `--tenant` and `--format`, the loop over tenants
with a progress bar (on a terminal only), per-tenant errors collected and turned into a
non-zero exit with a clear message at the end, and plain-text tables."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

import structlog
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django_tenants.utils import tenant_context
from tqdm import tqdm

from pos.errors import DomainError
from tenants.models import Tenant
from tenants.selectors import venue_tenants

logger = structlog.get_logger(__name__)


class OperatorCommand(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", metavar="SCHEMA",
                            help="only this tenant (schema name); default: every tenant")
        parser.add_argument("--format", choices=["table", "json"], default="table",
                            help="output format (default: table)")

    def selected_tenants(self, schema: str | None) -> list[Tenant]:
        tenants = list(venue_tenants(schema_name=schema))
        if schema and not tenants:
            raise CommandError(f"No tenant with schema {schema!r}.")
        return tenants

    def for_each_tenant(
        self, tenants: Sequence[Tenant], work: Callable[[Tenant], Any], *, label: str,
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Run `work` in each tenant's schema. Returns results and errors by schema."""
        results: dict[str, Any] = {}
        errors: dict[str, str] = {}
        bar = tqdm(tenants, desc=label, unit="tenant", file=sys.stderr,
                   disable=not sys.stderr.isatty() or len(tenants) < 2)
        for tenant in bar:
            try:
                with tenant_context(tenant):
                    results[tenant.schema_name] = work(tenant)
            except DomainError as exc:
                errors[tenant.schema_name] = exc.message
            except Exception as exc:  # reported, and the other tenants still run
                logger.exception("command.tenant_failed", schema=tenant.schema_name)
                errors[tenant.schema_name] = f"{type(exc).__name__}: {exc}"
        connection.set_schema_to_public()
        return results, errors

    def fail_on(self, errors: dict[str, str]) -> None:
        if errors:
            lines = "; ".join(f"{schema}: {message}" for schema, message in errors.items())
            raise CommandError(f"Failed for {len(errors)} tenant(s): {lines}")

    def write_json(self, data: Any) -> None:
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str))

    def write_table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        cells = [[str(h) for h in headers]] + [["-" if c is None else str(c) for c in row]
                                               for row in rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
        for index, row in enumerate(cells):
            self.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
                              .rstrip())
            if index == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
