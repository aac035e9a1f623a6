"""The e-mails themselves: subject, plain text and HTML from the templates in
templates/mail/ (Django i18n, the row's language), and the tickets' PDF. Each builder
answers None when there is nothing to say any more (a reminder of a reservation paid off
meanwhile): the row is then skipped, not sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from fiscal.models import DocumentKind, FiscalDocument
from pos.formatting import format_datetime, format_money
from reservations.models import Alert, ReservedTicket
from sales.checkout.services import hold_quote
from sales.mail import pdf
from sales.mail.models import OutgoingMail
from sales.models import Ticket, Transaction

LEGAL_CURRENCY = "VES"


def _seat(ticket: Ticket) -> str:
    return f"{ticket.zone.name} {ticket.seat.label}" if ticket.seat_id else ticket.zone.name


def _sale_context(tx: Transaction, language: str) -> dict[str, Any]:
    event = tx.event
    return {"tx": tx, "event": event, "venue": event.venue,
            "starts": format_datetime(event.starts_at, language),
            "customer": tx.customer_name}


def _tickets(mail: OutgoingMail, now: datetime) -> tuple[dict[str, Any], list] | None:
    tx = mail.transaction
    if tx is None or tx.status != Transaction.Status.COMPLETED:
        return None
    tickets = list(Ticket.objects.filter(transaction=tx)
                   .select_related("seat", "zone", "event__venue").order_by("id"))
    if not tickets:
        return None
    invoice = FiscalDocument.objects.filter(transaction=tx, kind=DocumentKind.INVOICE).first()
    totals = []
    if invoice is not None:
        totals.append(format_money(invoice.total_ves, LEGAL_CURRENCY, mail.language))
        if invoice.foreign_currency != LEGAL_CURRENCY:
            totals.append(format_money(invoice.total_foreign, invoice.foreign_currency,
                                       mail.language))
    context = {**_sale_context(tx, mail.language), "total": " / ".join(totals),
               "seats": [_seat(t) for t in tickets], "count": len(tickets)}
    name = f"{translation.gettext('tickets')}-{tx.pk}.pdf"
    return context, [(name, pdf.tickets_pdf(tickets, mail.language), "application/pdf")]


def _reminder(mail: OutgoingMail, now: datetime) -> tuple[dict[str, Any], list] | None:
    tx = mail.transaction
    # The key names the deadline reminded of: a changed deadline is another reminder.
    if (tx is None or tx.status != Transaction.Status.RESERVED or tx.payment_deadline is None
            or not mail.key.endswith(f":{tx.payment_deadline.timestamp():.0f}")
            or tx.payment_deadline <= now):
        return None
    items = list(ReservedTicket.objects.filter(transaction=tx,
                                               status=ReservedTicket.Status.ACTIVE)
                 .select_related("seat", "zone"))
    quote = hold_quote(tx, items, now)  # the amounts the API shows as due
    due = [format_money(amount, currency, mail.language)
           for currency, amount in (quote.amounts_due.items() if quote else ())]
    seats = [f"{i.zone.name} {i.seat.label}" if i.seat_id else i.zone.name for i in items]
    return {**_sale_context(tx, mail.language), "seats": seats, "amounts_due": due,
            "deadline": format_datetime(tx.payment_deadline, mail.language)}, []


def _lapsed(mail: OutgoingMail, now: datetime) -> tuple[dict[str, Any], list] | None:
    tx = mail.transaction
    if tx is None or tx.status != Transaction.Status.EXPIRED:
        return None
    return {**_sale_context(tx, mail.language),
            "deadline": format_datetime(tx.payment_deadline, mail.language)
            if tx.payment_deadline else ""}, []


def _alert(mail: OutgoingMail, now: datetime) -> tuple[dict[str, Any], list] | None:
    alert = mail.alert
    if alert is None or alert.status == Alert.Status.RESOLVED:
        return None
    return {"alert": alert, "kind": translation.gettext(alert.get_kind_display()),
            "raised": format_datetime(alert.created_at, mail.language)}, []


BUILDERS: dict[str, Callable[[OutgoingMail, datetime],
                             tuple[dict[str, Any], list] | None]] = {
    OutgoingMail.Kind.TICKETS: _tickets,
    OutgoingMail.Kind.REMINDER: _reminder,
    OutgoingMail.Kind.LAPSED: _lapsed,
    OutgoingMail.Kind.ALERT: _alert,
}


def build(mail: OutgoingMail, *, now: datetime) -> EmailMultiAlternatives | None:
    """The message of the recorded e-mail, in its language, or None (nothing to send)."""
    with translation.override(mail.language):
        built = BUILDERS[mail.kind](mail, now)
        if built is None:
            return None
        context, attachments = built
        template = f"mail/{mail.kind}"
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        message = EmailMultiAlternatives(
            subject=subject, body=render_to_string(f"{template}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL, to=[mail.recipient],
            headers={"X-POS-Mail": mail.key})
        message.attach_alternative(render_to_string(f"{template}.html", context),
                                   "text/html")
    for name, content, mimetype in attachments:
        message.attach(name, content, mimetype)
    return message
