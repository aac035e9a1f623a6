"""The file writers every export shares (sales, payments, check-ins, fiscal documents, the
Libro de Ventas): rows come from the apps' selectors as tuples, one per record, and are
written as they arrive, never gathered into a list.

- **CSV**: UTF-8 with a byte-order mark (so Excel reads the accents), comma-separated,
  RFC 4180 quoting, one header line. Values as a program reads them: amounts with a dot
  and two decimals (`1194.80`), rates with six, dates `YYYY-MM-DD`, times
  `YYYY-MM-DD HH:MM:SS` on the venue's clock (the tenant's time zone), booleans `yes`/`no`.
- **XLSX** (openpyxl, write-only mode: the rows go to disk as they come): typed cells,
  dates and times as Excel dates on the venue's clock, amounts as numbers with the format
  `#,##0.00`, counts as integers; a bold header row frozen at the top.

The query of an export (event, dates, format) is read here too, so every endpoint and
command answers the same 400 `{detail, code, field}` for the same mistake."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import IO, Any
from zoneinfo import ZoneInfo

from rest_framework.negotiation import DefaultContentNegotiation

from pos.errors import DomainError

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MEDIA_TYPE = "application/pdf"
FORMATS = ("csv", "xlsx")
# The longest date range one export may cover (inclusive): a year, leap day included.
MAX_RANGE_DAYS = 366
# An XLSX sheet holds 1,048,576 rows; the header takes one.
XLSX_MAX_ROWS = 1_048_575
MONEY_FORMAT = "#,##0.00"
RATE_FORMAT = "#,##0.000000"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm:ss"
BOM = "\ufeff"


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    MONEY = "money"
    RATE = "rate"
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT
    width: int = 14


class InvalidExportQuery(DomainError):
    """A query parameter of an export is missing or wrong: 400 naming it in `field`."""

    code = "invalid_export_query"

    def __init__(self, message: str, *, field: str, code: str | None = None) -> None:
        super().__init__(message, field=field)
        if code:
            self.code = code


@dataclass(frozen=True)
class ExportQuery:
    """What to export: the records of `event` (None: every event) from `date_from` to
    `date_to` inclusive, on the venue's clock (`time_zone`), as `format`."""

    date_from: date
    date_to: date
    time_zone: ZoneInfo
    event: int | None = None
    format: str = "csv"

    @property
    def starts(self) -> datetime:
        return datetime.combine(self.date_from, time.min, tzinfo=self.time_zone)

    @property
    def ends(self) -> datetime:
        """The first instant after the range (exclusive bound)."""
        return datetime.combine(self.date_to + timedelta(days=1), time.min,
                                tzinfo=self.time_zone)

    def window(self, field_name: str) -> dict[str, datetime]:
        """Filter keyword arguments: `field_name` within the range."""
        return {f"{field_name}__gte": self.starts, f"{field_name}__lt": self.ends}

    def file_name(self, name: str) -> str:
        event = f"-event{self.event}" if self.event is not None else ""
        return f"{name}{event}-{self.date_from:%Y%m%d}-{self.date_to:%Y%m%d}.{self.format}"


def _date(params: Mapping[str, Any], name: str) -> date:
    value = params.get(name)
    if value in (None, ""):
        raise InvalidExportQuery(f"{name} is required (YYYY-MM-DD).", field=name,
                                 code="missing_parameter")
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidExportQuery(f"{name} must be a date YYYY-MM-DD, not {str(value)[:40]!r}.",
                                 field=name, code="invalid_date") from None


def parse_export_query(params: Mapping[str, Any], *, time_zone: ZoneInfo,
                       formats: Sequence[str] = FORMATS) -> ExportQuery:
    """`event`, `date_from`, `date_to` (both required, inclusive, at most MAX_RANGE_DAYS
    days) and `format` (default the first of `formats`) of an export, checked; the event's
    existence is the caller's to check (it knows the schema)."""
    fmt = str(params.get("format") or formats[0])
    if fmt not in formats:
        raise InvalidExportQuery(f"format must be one of {', '.join(formats)}, not "
                                 f"{fmt[:20]!r}.", field="format", code="invalid_format")
    event = params.get("event")
    event_id = None
    if event not in (None, ""):
        text = str(event)
        if not text.isdigit() or len(text) > 18:
            raise InvalidExportQuery(f"event must be an event id (a number), not "
                                     f"{text[:40]!r}.", field="event", code="invalid_event")
        event_id = int(text)
    date_from, date_to = _date(params, "date_from"), _date(params, "date_to")
    if date_to < date_from:
        raise InvalidExportQuery(
            f"date_to ({date_to:%d/%m/%Y}) is before date_from ({date_from:%d/%m/%Y}).",
            field="date_to", code="invalid_range")
    if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        raise InvalidExportQuery(
            f"date_from {date_from:%d/%m/%Y} to date_to {date_to:%d/%m/%Y} is "
            f"{(date_to - date_from).days + 1} days; an export covers at most "
            f"{MAX_RANGE_DAYS}. Export it in parts.",
            field="date_to", code="range_too_long")
    return ExportQuery(date_from=date_from, date_to=date_to, time_zone=time_zone,
                       event=event_id, format=fmt)


class FileFormatNegotiation(DefaultContentNegotiation):
    """For views whose `format` query parameter names the file they answer (csv, xlsx,
    pdf), not one of DRF's renderers (DRF would answer 404 to `?format=csv`): every answer
    but the file, errors included, stays JSON."""

    settings = type("NoFormatOverride", (), {"URL_FORMAT_OVERRIDE": None})


def attachment(response: Any, file_name: str) -> Any:
    """Mark an answer as a file to save, named `file_name`."""
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


# --- Rows of an export ----------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """One export: its columns and where its rows come from. `records(query)` is the
    queryset of the records in the query's range and event; `rows(queryset)` their rows
    (the admin's actions pass the records ticked instead)."""

    name: str
    sheet: str
    columns: tuple[Column, ...]
    records: Callable[[ExportQuery], Any]
    rows: Callable[[Any], Iterator[tuple]]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


# --- Writers --------------------------------------------------------------------------


def _local(moment: datetime, time_zone: ZoneInfo) -> datetime:
    return moment.astimezone(time_zone)


def csv_value(kind: Kind, value: Any, time_zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if kind == Kind.MONEY:
        return str(Decimal(value).quantize(Decimal("0.01")))
    if kind == Kind.RATE:
        return str(Decimal(value).quantize(Decimal("0.000001")))
    if kind == Kind.DATETIME:
        return f"{_local(value, time_zone):%Y-%m-%d %H:%M:%S}"
    if kind == Kind.DATE:
        return value.isoformat()
    if kind == Kind.BOOL:
        return "yes" if value else "no"
    return str(value)


class _Line:
    """A file-like object csv.writer writes one line into, read back at once."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text


def csv_lines(columns: Sequence[Column], rows: Iterable[Sequence[Any]], *,
              time_zone: ZoneInfo) -> Iterator[str]:
    """The CSV file, line by line (the first carries the BOM): what a streamed answer or a
    command writes as the rows come."""
    buffer = _Line()
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in columns])
    yield BOM + buffer.text
    for row in rows:
        buffer.text = ""
        writer.writerow([csv_value(c.kind, v, time_zone)
                         for c, v in zip(columns, row, strict=True)])
        yield buffer.text


def write_csv(out: IO[bytes], columns: Sequence[Column], rows: Iterable[Sequence[Any]], *,
              time_zone: ZoneInfo) -> None:
    for line in csv_lines(columns, rows, time_zone=time_zone):
        out.write(line.encode())


def xlsx_value(kind: Kind, value: Any, time_zone: ZoneInfo) -> Any:
    """A value as the XLSX cell holds it: Excel has no time zones, so times are naive on
    the venue's clock; amounts stay Decimal (openpyxl writes them exactly)."""
    if value is None:
        return None
    if kind == Kind.DATETIME:
        return _local(value, time_zone).replace(tzinfo=None)
    if kind in (Kind.MONEY, Kind.RATE):
        return Decimal(value)
    if kind == Kind.BOOL:
        return "sí" if value else "no"
    return value


NUMBER_FORMATS = {Kind.MONEY: MONEY_FORMAT, Kind.RATE: RATE_FORMAT, Kind.DATE: DATE_FORMAT,
                  Kind.DATETIME: DATETIME_FORMAT, Kind.INT: "0"}


@dataclass
class Sheet:
    """One sheet of a workbook: optional title lines above the table, the table, and
    optional closing rows (a totals row) in bold."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    title_lines: Sequence[str] = ()
    closing_rows: Callable[[], Iterable[Sequence[Any]]] | None = None


def write_xlsx(out: IO[bytes], sheets: Sequence[Sheet], *, time_zone: ZoneInfo) -> None:
    """Write the workbook to `out` (a file opened for binary writing)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for spec in sheets:
        sheet = workbook.create_sheet(title=spec.title[:31])
        for index, column in enumerate(spec.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        header_row = len(spec.title_lines) + 1
        sheet.freeze_panes = f"A{header_row + 1}"
        for line in spec.title_lines:
            cell = WriteOnlyCell(sheet, value=line)
            cell.font = bold
            sheet.append([cell])
        header = []
        for column in spec.columns:
            cell = WriteOnlyCell(sheet, value=column.header)
            cell.font = bold
            header.append(cell)
        sheet.append(header)

        def cells(row: Sequence[Any], *, strong: bool = False, columns=spec.columns,
                  sheet=sheet) -> list:
            out_cells = []
            for column, value in zip(columns, row, strict=True):
                cell = WriteOnlyCell(sheet, value=xlsx_value(column.kind, value, time_zone))
                number_format = NUMBER_FORMATS.get(column.kind)
                if number_format and value is not None:
                    cell.number_format = number_format
                if strong:
                    cell.font = bold
                out_cells.append(cell)
            return out_cells

        for row in spec.rows:
            sheet.append(cells(row))
        if spec.closing_rows is not None:
            for row in spec.closing_rows():
                sheet.append(cells(row, strong=True))
    workbook.save(out)


def xlsx_file(sheets: Sequence[Sheet], *, time_zone: ZoneInfo) -> IO[bytes]:
    """The workbook in a temporary file (in memory while small), rewound: what an answer
    sends or a command copies."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (returned open)
    write_xlsx(spool, sheets, time_zone=time_zone)
    spool.seek(0)
    return spool


def xlsx_bytes(sheets: Sequence[Sheet], *, time_zone: ZoneInfo) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets, time_zone=time_zone)
    return buffer.getvalue()


# --- Answers --------------------------------------------------------------------------


def check_xlsx_size(records: Any) -> None:
    """More rows than a sheet holds: a 400 before anything is written (CSV has no limit)."""
    count = records.count()
    if count > XLSX_MAX_ROWS:
        raise InvalidExportQuery(
            f"{count} rows do not fit an XLSX sheet (at most {XLSX_MAX_ROWS}): ask for CSV "
            "or a shorter range.", field="format", code="too_many_rows")


def streamed_csv(export: Export, records: Any, *, time_zone: ZoneInfo) -> Iterator[bytes]:
    """The CSV of `records`, encoded line by line, for a streamed answer: the rows are read
    while the answer is sent, after the view has returned, so the tenant's schema is set
    again around the reading."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from pos.replica import stale_iterator

    schema = connection.schema_name

    def lines() -> Iterator[bytes]:
        with schema_context(schema):
            for line in csv_lines(export.columns, export.rows(records), time_zone=time_zone):
                yield line.encode()

    # An export may be a little stale: the hot standby may serve it (pos.replica).
    return stale_iterator(lines)


def file_answer(export: Export, records: Any, *, fmt: str, time_zone: ZoneInfo,
                file_name: str) -> Any:
    """`records` as a CSV (streamed) or XLSX attachment named `file_name`."""
    from django.http import FileResponse, StreamingHttpResponse

    from pos.replica import stale_reads_ok

    if fmt == "xlsx":
        @stale_reads_ok()  # the hot standby may serve an export (pos.replica)
        def workbook() -> IO[bytes]:
            check_xlsx_size(records)
            sheet = Sheet(title=export.sheet, columns=export.columns, rows=export.rows(records))
            return xlsx_file([sheet], time_zone=time_zone)

        return attachment(FileResponse(workbook(), content_type=XLSX_MEDIA_TYPE), file_name)
    return attachment(StreamingHttpResponse(streamed_csv(export, records,
                                                         time_zone=time_zone),
                                            content_type=CSV_MEDIA_TYPE), file_name)


def admin_export_actions(export: Export) -> list[Callable]:
    """The Django admin's "Export selected as CSV / XLSX" actions of a changelist whose
    records the export reads (the same rows and writers as the API and the commands).
    Times on the venue's clock: the time zone the request activated (the tenant's)."""
    from django.contrib import admin
    from django.utils import timezone

    def make(fmt: str) -> Callable:
        @admin.action(description=f"Export selected as {fmt.upper()}")
        def action(modeladmin, request, queryset):
            # A fresh queryset of the ticked records: the changelist's own may carry
            # prefetches and annotations the rows do not read.
            records = queryset.model._default_manager.filter(pk__in=queryset.values("pk"))
            time_zone = timezone.get_current_timezone()
            name = f"{export.name}-selected-{timezone.localdate():%Y%m%d}.{fmt}"
            return file_answer(export, records, fmt=fmt, time_zone=time_zone,
                               file_name=name)

        action.__name__ = f"export_{export.name}_{fmt}"
        return action

    return [make(fmt) for fmt in FORMATS]
