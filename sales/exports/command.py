"""`manage.py export_<name>` (sales, payments, documents, checkins): the API's export as a
file, through pos.file_command.FileCommand (tenant, output, progress bar)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from pos.exports import Sheet, check_xlsx_size, parse_export_query, write_csv, write_xlsx
from pos.file_command import FileCommand
from pos.replica import stale_reads_ok
from sales.exports.files import check_event
from sales.exports.selectors import EXPORTS
from tenants.services import current_time_zone


class ExportCommand(FileCommand):
    """`manage.py export_<name>`: the API's export as a file (sales.exports)."""

    export_name = ""

    @property
    def help(self) -> str:  # type: ignore[override]
        return (f"Export {self.export_name} of a date range (and an event) as CSV or XLSX, "
                "as GET /api/exports/ does.")

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD",
                            help="first day, inclusive, on the venue's clock")
        parser.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD",
                            help="last day, inclusive")
        parser.add_argument("--event", metavar="ID", help="only this event")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")

    def handle(self, *args: Any, **options: Any) -> None:
        export = EXPORTS[self.export_name]
        # The hot standby may serve an export (pos.replica).
        with self.in_tenant(options["tenant"]), stale_reads_ok():
            query = parse_export_query(
                {name: options[name] for name in ("date_from", "date_to", "event", "format")},
                time_zone=current_time_zone())
            check_event(query)
            records = export.records(query)
            if query.format == "xlsx":
                check_xlsx_size(records)
            total = records.count()
            rows = self.progress(export.rows(records), total=total, options=options,
                                 label=export.name)
            with self.output(options, query.file_name(export.name)) as out:
                if query.format == "xlsx":
                    write_xlsx(out, [Sheet(title=export.sheet, columns=export.columns,
                                           rows=rows)], time_zone=query.time_zone)
                else:
                    write_csv(out, export.columns, rows, time_zone=query.time_zone)
        self.done(total)
