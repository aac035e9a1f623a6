"""What a ticket's QR code says: its code signed for the tenant, `"<code>:<signature>"`.

The signature is an HMAC of the code with the project's SECRET_KEY and a salt naming the
tenant's schema (django.core.signing), so a QR cannot be made up from a guessed code, nor
carried to another venue organisation: the door (sales.checkin) accepts nothing else.
The API's ticket answers and the printed ticket (fiscal.printing) carry the same string."""

from __future__ import annotations

from django.core import signing
from django.db import connection

from sales.models import Ticket

# A scanned text longer than this is nothing we printed (a code is 16 characters and the
# signature 43): refused before any work.
MAX_QR_LENGTH = 100


def _signer(schema: str | None = None) -> signing.Signer:
    return signing.Signer(salt=f"ticket:{schema or connection.schema_name}", sep=":")


def ticket_qr(ticket: Ticket, *, schema: str | None = None) -> str:
    """The string the ticket's QR code encodes (in the current tenant's schema unless
    `schema` says another)."""
    return _signer(schema).sign(ticket.code)


def ticket_from_qr(text: object, *, schema: str | None = None) -> str | None:
    """The ticket code a scanned QR string carries, or None when it is not one this tenant
    signed (a bare code, a forged or altered signature, another tenant's ticket)."""
    if not isinstance(text, str) or not text or len(text) > MAX_QR_LENGTH:
        return None
    try:
        return _signer(schema).unsign(text)
    except signing.BadSignature:
        return None
