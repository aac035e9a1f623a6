"""Printing documents and tickets: HTML sized for 80 mm thermal paper, and the same HTML
as PDF (WeasyPrint). Rendering is slow-ish and holds no lock: views call it after the
document is issued and committed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import segno
from django.template.loader import render_to_string
from django.utils import translation

from fiscal.models import DocumentKind, FiscalDocument
from fiscal.taxes import LEGAL_CURRENCY
from pos.formatting import (
    DOCUMENT_DATE,
    DOCUMENT_LANGUAGE,
    DOCUMENT_TIME,
    currency_label,
    format_datetime,
    format_document_datetime,
    format_money,
    format_number,
    format_rate,
)
from sales.models import PaymentMethod, Ticket
from sales.tickets import ticket_qr

PAPER_WIDTH = "80mm"
PAGE_MARGIN_MM = 3
MM_PER_PX = 25.4 / 96
TITLES = {
    DocumentKind.INVOICE: "FACTURA",
    DocumentKind.PAYMENT_RECEIPT: "RECIBO DE PAGO",
    DocumentKind.CREDIT_NOTE: "NOTA DE CRÉDITO",
    DocumentKind.DEBIT_NOTE: "NOTA DE DÉBITO",
}
CATEGORY_LABELS = {"general": "IVA", "reduced": "IVA reducido", "luxury": "IVA + lujo",
                   "exempt": "Exento"}


def money(value: Decimal | str, currency: str = LEGAL_CURRENCY) -> str:
    """1160 → "Bs. 1.160,00": documents print in Spanish, as the page does
    (pos.formatting, the one place amounts are formatted)."""
    return format_money(value, currency, DOCUMENT_LANGUAGE)


def _percent(value: str) -> str:
    return f"{format_number(value, DOCUMENT_LANGUAGE, pattern='#,##0')} %"


def _method_label(method: str) -> str:
    """The payment method as printed: fiscal documents are in Spanish whatever the
    cashier's language (the labels' translations are in pos/locale)."""
    if method not in PaymentMethod.values:
        return method
    with translation.override("es"):
        return translation.gettext(PaymentMethod(method).label)


def qr_svg_data_uri(text: str) -> str:
    # micro=False: a full QR code (door scanners and phones rarely read Micro QR);
    # omitsize: a viewBox instead of a pixel size, so the code scales to the CSS box.
    return segno.make(text, error="m", micro=False).svg_data_uri(border=2, omitsize=True)


def _deadline(value: str | None) -> str | None:
    return format_document_datetime(value) if value else None


def document_context(doc: FiscalDocument) -> dict[str, Any]:
    snap = doc.snapshot
    lines = [{
        "description": line["description"], "quantity": line["quantity"],
        "unit_price": money(line["unit_price"], line["currency"]),
        "tax": "(E)" if line["exempt"] else _percent(line["iva_rate"]),
        "amount_ves": money(Decimal(line["base_ves"])),
    } for line in snap.get("lines", [])]
    payments = [{
        "method": _method_label(p["method"]), "currency": p["currency"],
        "amount": money(p["amount"], p["currency"]), "amount_ves": money(p["amount_ves"]),
        "earlier": not p.get("received_now", True), "reference": p.get("reference", ""),
    } for p in snap.get("payments", [])]
    taxes = [{"label": f"{CATEGORY_LABELS.get(t['category'], t['category'])} "
                       f"{_percent(t['rate'])}",
              "base_ves": money(t["base_ves"]), "iva_ves": money(t["iva_ves"])}
             for t in snap.get("taxes", [])]
    foreign = doc.foreign_currency != LEGAL_CURRENCY
    return {
        "doc": doc, "title": TITLES[DocumentKind(doc.kind)], "fiscal": doc.is_fiscal,
        # The venue's clock (the tenant's time zone).
        "date": format_datetime(doc.issued_at, DOCUMENT_LANGUAGE, pattern=DOCUMENT_DATE),
        "time": format_datetime(doc.issued_at, DOCUMENT_LANGUAGE, pattern=DOCUMENT_TIME),
        "lines": lines, "taxes": taxes, "payments": payments,
        "exempt_ves": money(doc.exempt_ves), "base_total_ves": money(doc.base_total_ves),
        "iva_total_ves": money(doc.iva_total_ves), "municipal_ves": money(doc.municipal_ves),
        "show_municipal": doc.municipal_ves != 0, "total_ves": money(doc.total_ves),
        "igtf_ves": money(doc.igtf_ves),
        "igtf_rate": _percent(snap.get("rates", {}).get("igtf", "0")),
        "amount_due_ves": money(doc.amount_due_ves), "paid_ves": money(doc.paid_ves),
        "foreign": foreign, "foreign_currency": doc.foreign_currency,
        "rate": f"{currency_label(LEGAL_CURRENCY, DOCUMENT_LANGUAGE)} "
                f"{format_rate(doc.exchange_rate, DOCUMENT_LANGUAGE)}",
        "total_foreign": money(doc.total_foreign, doc.foreign_currency),
        "amount_due_foreign": money(doc.amount_due_foreign, doc.foreign_currency),
        "references": snap.get("references"),
        "balance_ves": money(snap["balance_ves"]) if "balance_ves" in snap else None,
        # Paid more than due (e.g. a round dollar note): the change handed back, in Bs.
        "change_ves": money(-Decimal(snap["balance_ves"]))
        if doc.kind == DocumentKind.INVOICE and Decimal(snap.get("balance_ves", "0")) < 0
        else None,
        "paid_so_far_ves": money(snap["paid_so_far_ves"]) if "paid_so_far_ves" in snap
        else None,
        # A receipt of a reservation: what settles it, and until when it is kept.
        "amounts_due": [{"currency": c, "amount": money(a, c)}
                        for c, a in snap.get("amounts_due", {}).items()],
        "payment_deadline": _deadline(snap.get("payment_deadline")),
        "paper_width": PAPER_WIDTH,
    }


def document_html(doc: FiscalDocument) -> str:
    return render_to_string("fiscal/document.html", document_context(doc))


def ticket_html(ticket: Ticket) -> str:
    event = ticket.event
    voided = getattr(ticket, "voided", None)  # the credit note's void, if any
    return render_to_string("fiscal/ticket.html", {
        "ticket": ticket, "event": event, "venue": event.venue,
        "starts": format_document_datetime(event.starts_at),
        "label": ticket.seat.label if ticket.seat_id else ticket.zone.name,
        "zone": ticket.zone.name, "price": money(ticket.price, event.currency),
        "qr": qr_svg_data_uri(ticket_qr(ticket)), "voided": voided,
        "paper_width": PAPER_WIDTH,
    })


def html_to_pdf(html: str) -> bytes:
    """One continuous 80 mm page, as long as the content (a thermal roll has no page
    breaks): lay out once on a very long page, measure, lay out again at that height."""
    from weasyprint import CSS, HTML

    def layout(height_mm: float):
        # !important: a user stylesheet beats the template's own @page only that way.
        css = CSS(string=f"@page {{ size: {PAPER_WIDTH} {height_mm:.1f}mm !important; "
                         f"margin: {PAGE_MARGIN_MM}mm !important; }}")
        return HTML(string=html).render(stylesheets=[css])

    draft = layout(3000)
    content_px = draft.pages[0]._page_box.children[0].margin_height()
    height = content_px * MM_PER_PX + 2 * PAGE_MARGIN_MM + 2
    return layout(max(height, 40)).write_pdf()
