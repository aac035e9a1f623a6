"""The Libro de Ventas: the monthly IVA sales book a Venezuelan taxpayer keeps. One line
per fiscal document issued in the month (invoices, debit and credit notes; payment
receipts are not fiscal documents and are left out), in order of issue, and the month's
totals. Credit notes count negatively (they take back what their invoice sold), debit notes
positively; both name the invoice they affect.

Figures come from the documents as issued, as the Z reports' do (fiscal.selectors
.day_totals), so the book's totals are the sum of the month's Z reports to the cent
(tests/test_sales_book.py). docs/fiscal.md describes the columns."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from fiscal.models import FISCAL_KINDS, DocumentKind, FiscalDocument
from fiscal.selectors import SIGN, fiscal_profile
from fiscal.taxes import TaxCategory
from pos.exports import Column, InvalidExportQuery, Kind, Sheet
from pos.formatting import DOCUMENT_LANGUAGE, format_money, format_number

CHUNK = 2000
ZERO = Decimal("0.00")
KIND_LABELS = {DocumentKind.INVOICE: "Factura", DocumentKind.CREDIT_NOTE: "Nota de crédito",
               DocumentKind.DEBIT_NOTE: "Nota de débito"}
# The taxed categories of fiscal.taxes, each with its base and IVA columns.
TAXED = (TaxCategory.GENERAL, TaxCategory.REDUCED, TaxCategory.LUXURY)
CATEGORY_LABELS = {TaxCategory.GENERAL: "alícuota general",
                   TaxCategory.REDUCED: "alícuota reducida",
                   TaxCategory.LUXURY: "alícuota general + adicional"}
MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
          "septiembre", "octubre", "noviembre", "diciembre")

COLUMNS = (
    Column("N°", Kind.INT, 6),
    Column("Fecha", Kind.DATE, 11),
    Column("Tipo de documento", Kind.TEXT, 16),
    Column("N° de documento", Kind.TEXT, 14),
    Column("N° de control", Kind.TEXT, 14),
    Column("Nombre o razón social del comprador", Kind.TEXT, 30),
    Column("RIF / C.I.", Kind.TEXT, 14),
    Column("Factura afectada", Kind.TEXT, 14),
    Column("Control de la factura afectada", Kind.TEXT, 14),
    Column("Total ventas con IVA (Bs.)", Kind.MONEY, 16),
    Column("Ventas exentas (Bs.)", Kind.MONEY, 14),
    *(column for category in TAXED for column in (
        Column(f"Base imponible {CATEGORY_LABELS[category]} (Bs.)", Kind.MONEY, 16),
        Column(f"IVA {CATEGORY_LABELS[category]} (Bs.)", Kind.MONEY, 14))),
    Column("Impuesto municipal (Bs.)", Kind.MONEY, 14),
    Column("IGTF (Bs.)", Kind.MONEY, 12),
)


def parse_month(value: Any) -> date:
    """`YYYY-MM` → the month's first day; anything else a 400 naming `month`."""
    text = str(value or "")
    if not text:
        raise InvalidExportQuery("month is required (YYYY-MM).", field="month",
                                 code="missing_parameter")
    try:
        parsed = datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise InvalidExportQuery(f"month must be YYYY-MM, not {text[:20]!r}.", field="month",
                                 code="invalid_month") from None
    if len(text) != 7:  # strptime takes "2026-1" too
        raise InvalidExportQuery(f"month must be YYYY-MM, not {text[:20]!r}.", field="month",
                                 code="invalid_month")
    return parsed.date()


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@dataclass(frozen=True)
class BookLine:
    """One document in the book, its amounts signed (a credit note's are negative)."""

    line: int
    document: int
    day: date
    issued_at: datetime
    kind: str
    number: str
    control_number: str
    buyer_name: str
    buyer_tax_id: str
    affects_number: str | None
    affects_control_number: str | None
    affects_date: date | None
    total_ves: Decimal
    exempt_ves: Decimal
    base_total_ves: Decimal
    iva_total_ves: Decimal
    municipal_ves: Decimal
    igtf_ves: Decimal
    amount_due_ves: Decimal
    # (category, rate) -> [base, iva], signed
    taxes: Mapping[tuple[str, str], tuple[Decimal, Decimal]]

    def category(self, category: str) -> tuple[Decimal, Decimal]:
        """Base and IVA of one category, whatever rate(s) it was issued at."""
        base = sum((b for (c, _), (b, _) in self.taxes.items() if c == category), ZERO)
        iva = sum((i for (c, _), (_, i) in self.taxes.items() if c == category), ZERO)
        return base, iva

    def cells(self) -> tuple:
        per_category = [amount for category in TAXED for amount in self.category(category)]
        return (self.line, self.day, KIND_LABELS[DocumentKind(self.kind)], self.number,
                self.control_number, self.buyer_name, self.buyer_tax_id or None,
                self.affects_number, self.affects_control_number, self.total_ves,
                self.exempt_ves, *per_category, self.municipal_ves, self.igtf_ves)

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line, "document": self.document, "date": self.day.isoformat(),
            "kind": self.kind, "number": self.number, "control_number": self.control_number,
            "buyer_name": self.buyer_name, "buyer_tax_id": self.buyer_tax_id,
            "affects": None if self.affects_number is None else {
                "number": self.affects_number,
                "control_number": self.affects_control_number,
                "date": self.affects_date.isoformat() if self.affects_date else None},
            **{name: str(getattr(self, name)) for name in AMOUNTS},
            "taxes": _taxes_list(self.taxes),
        }


AMOUNTS = ("total_ves", "exempt_ves", "base_total_ves", "iva_total_ves", "municipal_ves",
           "igtf_ves", "amount_due_ves")


def _taxes_list(taxes: Mapping[tuple[str, str], tuple[Decimal, Decimal]]) -> list[dict]:
    return [{"category": category, "rate": rate, "base_ves": str(base), "iva_ves": str(iva)}
            for (category, rate), (base, iva) in sorted(taxes.items())]


@dataclass
class BookTotals:
    """The month's totals, summed line by line as the book is read."""

    documents: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        (k.value for k in FISCAL_KINDS), 0))
    amounts: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(AMOUNTS, ZERO))
    taxes: dict[tuple[str, str], list[Decimal]] = field(default_factory=dict)

    def add(self, line: BookLine) -> None:
        self.documents += 1
        self.counts[line.kind] += 1
        for name in AMOUNTS:
            self.amounts[name] += getattr(line, name)
        for key, (base, iva) in line.taxes.items():
            bucket = self.taxes.setdefault(key, [ZERO, ZERO])
            bucket[0] += base
            bucket[1] += iva

    def as_line(self) -> BookLine:
        return BookLine(
            line=0, document=0, day=date.min, issued_at=datetime.min, kind="invoice",
            number="", control_number="", buyer_name="", buyer_tax_id="",
            affects_number=None, affects_control_number=None, affects_date=None,
            taxes={key: (base, iva) for key, (base, iva) in self.taxes.items()},
            **self.amounts)

    def cells(self) -> tuple:
        line = self.as_line()
        return (None, None, "TOTALES", None, None, f"{self.documents} documento(s)", None,
                None, None, *line.cells()[9:])

    def as_dict(self) -> dict[str, Any]:
        line = self.as_line()
        return {
            "documents": self.documents, "counts": dict(self.counts),
            **{name: str(value) for name, value in self.amounts.items()},
            "by_category": {str(category): dict(zip(("base_ves", "iva_ves"),
                                                    map(str, line.category(category)),
                                                    strict=True))
                            for category in TAXED},
            "taxes": _taxes_list(line.taxes),
        }


_VALUES = ("id", "kind", "fiscal_day", "issued_at", "series_code", "number", "control_number",
           "buyer_name", "buyer_tax_id", "original__series_code", "original__number",
           "original__control_number", "original__fiscal_day", "total_ves", "exempt_ves",
           "base_total_ves", "iva_total_ves", "municipal_ves", "igtf_ves", "amount_due_ves",
           "snapshot__taxes")


class SalesBook:
    """The book of one month (`month`: any day of it). `lines()` reads the documents in
    chunks and adds each to `totals` as it goes: read the lines once, then the totals."""

    def __init__(self, month: date) -> None:
        self.month = month.replace(day=1)
        self.last_day = month_end(self.month)
        self.totals = BookTotals()
        self.profile = fiscal_profile()
        # What the lines pass through as they are read (a command's progress bar).
        self.wrap: Callable[[Iterator[BookLine]], Iterable[BookLine]] = lambda lines: lines

    @property
    def title(self) -> str:
        return f"Libro de Ventas — {MONTHS[self.month.month - 1]} de {self.month.year}"

    @property
    def file_stem(self) -> str:
        return f"libro-de-ventas-{self.month:%Y-%m}"

    def documents(self):
        return (FiscalDocument.objects
                .filter(kind__in=FISCAL_KINDS, fiscal_day__gte=self.month,
                        fiscal_day__lte=self.last_day)
                .order_by("fiscal_day", "issued_at", "id"))

    def lines(self) -> Iterable[BookLine]:
        return self.wrap(self._lines())

    def _lines(self) -> Iterator[BookLine]:
        self.totals = BookTotals()  # read again: summed again, never twice
        rows = self.documents().values_list(*_VALUES).iterator(chunk_size=CHUNK)
        for n, (pk, kind, day, issued_at, code, number, control, buyer, buyer_id, o_code,
                o_number, o_control, o_day, total, exempt, base, iva, municipal, igtf, due,
                taxes) in enumerate(rows, start=1):
            sign = SIGN[kind]

            def signed(amount: Decimal, sign: int = sign) -> Decimal:
                return sign * amount or ZERO  # a credited zero prints 0,00, not -0,00

            line = BookLine(
                line=n, document=pk, day=day, issued_at=issued_at, kind=kind,
                number=f"{code}-{number:08d}", control_number=control, buyer_name=buyer,
                buyer_tax_id=buyer_id,
                affects_number=f"{o_code}-{o_number:08d}" if o_number else None,
                affects_control_number=o_control, affects_date=o_day,
                total_ves=signed(total), exempt_ves=signed(exempt),
                base_total_ves=signed(base), iva_total_ves=signed(iva),
                municipal_ves=signed(municipal), igtf_ves=signed(igtf),
                amount_due_ves=signed(due),
                taxes=_signed_taxes(taxes or [], sign),
            )
            self.totals.add(line)
            yield line

    def issuer(self) -> dict[str, str]:
        return {"name": self.profile.legal_name, "rif": self.profile.rif,
                "address": self.profile.fiscal_address}

    # --- Outputs ----------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        lines = [line.as_dict() for line in self.lines()]
        return {"month": f"{self.month:%Y-%m}", "issuer": self.issuer(), "lines": lines,
                "totals": self.totals.as_dict(), "generated_at": timezone.now().isoformat()}

    def sheet(self) -> Sheet:
        issuer = self.issuer()
        return Sheet(
            title="Libro de Ventas", columns=COLUMNS,
            rows=(line.cells() for line in self.lines()),
            title_lines=(self.title, f"{issuer['name']} — RIF {issuer['rif']}",
                         issuer["address"],
                         f"Período: {self.month:%d/%m/%Y} al {self.last_day:%d/%m/%Y}"),
            closing_rows=lambda: [self.totals.cells()],
        )

    def html(self) -> str:
        lines = [_printed(line.cells()) for line in self.lines()]
        totals = self.totals.as_line()
        summary = [("Total ventas con IVA", totals.total_ves),
                   ("Ventas exentas", totals.exempt_ves),
                   *((f"Base imponible {CATEGORY_LABELS[c]}", totals.category(c)[0])
                     for c in TAXED),
                   *((f"IVA {CATEGORY_LABELS[c]}", totals.category(c)[1]) for c in TAXED),
                   ("Impuesto municipal", totals.municipal_ves),
                   ("IGTF", totals.igtf_ves),
                   ("Total a cobrar (con IGTF)", totals.amount_due_ves)]
        return render_to_string("fiscal/sales_book.html", {
            "title": self.title, "issuer": self.issuer(), "first_day": self.month,
            "last_day": self.last_day, "headers": [c.header for c in COLUMNS],
            "lines": lines, "totals": _printed(self.totals.cells()),
            "documents": self.totals.documents, "counts": {
                KIND_LABELS[DocumentKind(k)]: n for k, n in self.totals.counts.items()},
            "summary": [(label, format_money(value, "VES", DOCUMENT_LANGUAGE))
                        for label, value in summary],
            "generated": timezone.localtime(),
        })

    def pdf(self) -> bytes:
        from weasyprint import HTML

        return HTML(string=self.html()).write_pdf()


def _signed_taxes(taxes: list[dict], sign: int) -> dict[tuple[str, str], tuple[Decimal,
                                                                                Decimal]]:
    result: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for tax in taxes:
        key = (tax["category"], tax["rate"])
        base, iva = result.get(key, (ZERO, ZERO))
        result[key] = (base + sign * Decimal(tax["base_ves"]) or ZERO,
                       iva + sign * Decimal(tax["iva_ves"]) or ZERO)
    return result


def _printed(cells: tuple) -> list[str]:
    """The cells as the PDF prints them: amounts in Venezuelan notation (pos.formatting),
    dates dd/mm/yyyy."""
    printed = []
    for column, value in zip(COLUMNS, cells, strict=True):
        if value is None:
            printed.append("")
        elif column.kind == Kind.MONEY:
            printed.append(format_number(value, DOCUMENT_LANGUAGE))
        elif column.kind == Kind.DATE:
            printed.append(f"{value:%d/%m/%Y}")
        else:
            printed.append(str(value))
    return printed
