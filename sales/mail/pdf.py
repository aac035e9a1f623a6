"""The tickets as one PDF, one page per ticket with its signed QR code (sales.tickets,
the string the door accepts) also printed in words, for a door that has to type it."""

from __future__ import annotations

from collections.abc import Sequence

from django.template.loader import render_to_string
from django.utils import translation

from fiscal.printing import qr_svg_data_uri
from pos.formatting import format_datetime, format_money
from sales.models import Ticket
from sales.tickets import ticket_qr


def tickets_pdf(tickets: Sequence[Ticket], language: str) -> bytes:
    from weasyprint import HTML  # heavy: only where a PDF is made

    with translation.override(language):
        pages = []
        for ticket in tickets:
            qr = ticket_qr(ticket)
            pages.append({
                "ticket": ticket, "event": ticket.event, "venue": ticket.event.venue,
                "starts": format_datetime(ticket.event.starts_at, language),
                "zone": ticket.zone.name, "seat": ticket.seat.label if ticket.seat_id else "",
                "price": format_money(ticket.price, ticket.event.currency, language),
                "qr_text": qr, "qr": qr_svg_data_uri(qr),
            })
        html = render_to_string("mail/tickets_pdf.html", {"pages": pages})
    return HTML(string=html).write_pdf()
