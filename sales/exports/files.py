"""An export as a file: the rows of `sales.exports.selectors` through pos.exports' writers.
What the API, the admin's actions and the commands share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from django.db import connection
from django_tenants.utils import schema_context

from pos.exports import (
    XLSX_MAX_ROWS,
    Export,
    ExportQuery,
    InvalidExportQuery,
    Sheet,
    csv_lines,
    xlsx_file,
)
from sales.models import Event


def check_event(query: ExportQuery) -> None:
    """An `event` that is no event of this venue is a 400 naming it (not an empty file
    that would look like an event without sales)."""
    if query.event is not None and not Event.objects.filter(pk=query.event).exists():
        raise InvalidExportQuery(f"There is no event {query.event}.", field="event",
                                 code="unknown_event")


def check_xlsx_size(export: Export, records: Any) -> None:
    count = records.count()
    if count > XLSX_MAX_ROWS:
        raise InvalidExportQuery(
            f"{count} rows do not fit an XLSX sheet (at most {XLSX_MAX_ROWS}): ask for CSV "
            "or a shorter range.", field="format", code="too_many_rows")


def streamed_csv(export: Export, records: Any, query: ExportQuery) -> Iterator[bytes]:
    """The CSV, encoded line by line, for a streamed answer: the rows are read while the
    answer is sent, after the view returned, so the tenant's schema is set again here."""
    schema = connection.schema_name

    def lines() -> Iterator[bytes]:
        with schema_context(schema):
            for line in csv_lines(export.columns, export.rows(records),
                                  time_zone=query.time_zone):
                yield line.encode()

    return lines()


def xlsx_export(export: Export, records: Any, query: ExportQuery) -> IO[bytes]:
    check_xlsx_size(export, records)
    return xlsx_file([Sheet(title=export.sheet, columns=export.columns,
                            rows=export.rows(records))], time_zone=query.time_zone)
