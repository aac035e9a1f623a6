"""`manage.py sales_book --month YYYY-MM`: the Libro de Ventas of a month as XLSX, PDF or
JSON (fiscal.sales_book), as GET /api/fiscal/sales-book/ answers it."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from fiscal.sales_book import SalesBook, parse_month
from fiscal.selectors import FISCAL_TZ
from pos.exports import write_xlsx
from pos.file_command import FileCommand
from pos.replica import stale_reads_ok


class Command(FileCommand):
    help = ("Libro de Ventas: one line per fiscal document of the month (credit notes "
            "negative, naming their invoice) and the month's totals, as XLSX, PDF or JSON.")

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--month", required=True, metavar="YYYY-MM")
        parser.add_argument("--format", choices=["xlsx", "pdf", "json"], default="xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = options["format"]
        # The hot standby may serve the book (pos.replica).
        with self.in_tenant(options["tenant"]), stale_reads_ok():
            book = SalesBook(parse_month(options["month"]))
            total = book.documents().count()
            book.wrap = lambda lines: self.progress(lines, total=total, options=options,
                                                    label="sales book")
            with self.output(options, f"{book.file_stem}.{fmt}") as out:
                if fmt == "xlsx":
                    write_xlsx(out, [book.sheet()], time_zone=FISCAL_TZ)
                elif fmt == "pdf":
                    out.write(book.pdf())
                else:
                    out.write(json.dumps(book.as_dict(), indent=2, ensure_ascii=False,
                                         cls=DjangoJSONEncoder).encode())
        self.done(total)
