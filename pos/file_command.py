"""What the file-writing commands (`export_*`, `sales_book`) share: one tenant
(`--tenant SCHEMA`, which may be left out when there is only one), the output file
(`--output`, default a file named as the API names it, in the current directory; `-` is
standard output) and a progress bar on standard error (tqdm: on a terminal, or always
with `--progress`)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django_tenants.utils import tenant_context
from tqdm import tqdm

from pos.errors import DomainError
from tenants.models import Tenant
from tenants.selectors import venue_tenants


class FileCommand(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", metavar="SCHEMA",
                            help="the tenant (schema name); may be left out when there is "
                                 "only one")
        parser.add_argument("--output", metavar="PATH",
                            help="file to write (default: the export's own name in the "
                                 "current directory; '-': standard output)")
        parser.add_argument("--progress", action="store_true",
                            help="show the progress bar even when stderr is not a terminal")

    def one_tenant(self, schema: str | None) -> Tenant:
        tenants = list(venue_tenants(schema_name=schema))
        if schema and not tenants:
            raise CommandError(f"No tenant with schema {schema!r}.")
        if len(tenants) != 1:
            names = ", ".join(t.schema_name for t in tenants) or "none"
            raise CommandError(f"Give --tenant SCHEMA: one of {names}.")
        return tenants[0]

    @contextmanager
    def in_tenant(self, schema: str | None) -> Iterator[Tenant]:
        """The tenant's schema for the body; a refusal (a bad date, an unknown event) as
        the command's error message, not a traceback."""
        tenant = self.one_tenant(schema)
        try:
            with tenant_context(tenant):
                yield tenant
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        finally:
            connection.set_schema_to_public()

    def progress(self, rows: Iterable[Any], *, total: int, options: dict[str, Any],
                 label: str) -> Iterable[Any]:
        stream = sys.stderr
        show = options["progress"] or stream.isatty()
        return tqdm(rows, total=total, desc=label, unit=" rows", file=stream,
                    disable=not show)

    @contextmanager
    def output(self, options: dict[str, Any], default_name: str) -> Iterator[IO[bytes]]:
        target = options["output"] or default_name
        if target == "-":
            yield sys.stdout.buffer
            sys.stdout.flush()
            self.written = "standard output"
            return
        path = Path(target)
        with path.open("wb") as out:
            yield out
        self.written = str(path)

    def done(self, rows: int) -> None:
        # On stderr when the file itself went to stdout.
        stream = self.stderr if self.written == "standard output" else self.stdout
        stream.write(f"{rows} row(s) written to {self.written}.")
