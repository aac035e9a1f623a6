"""Every row lock fiscal takes, in one place so the order is visible.

These are step 7 of the one lock order (reservations/lock_objects.py), always after the
sale's own locks (its transaction row and items): the invoice a note corrects, then the
series counter row of the document, then the fiscal profile row (Z and shift numbering).
A Z report or a shift close updates the documents it links to itself while holding the
profile row: that cannot close a cycle, since nothing that locks a document (a note on
its invoice) ever waits for the profile. A checkout holds its transaction lock and then
its series lock (the counter's UPDATE); parallel checkouts queue on the series row, which
is what makes the numbers gapless. FOR NO KEY UPDATE, as
everywhere: documents that reference a locked row can still be inserted."""

from __future__ import annotations

from django.db import connection

from fiscal.models import FiscalDocument, FiscalProfile, FiscalSeries

DEFAULT_CODES = {
    "invoice": "FAC",
    "payment_receipt": "REC",
    "credit_note": "NC",
    "debit_note": "ND",
}


# The counter row's update is its lock (an UPDATE that changes no key takes FOR NO KEY
# UPDATE, held to the end of the transaction) and hands back the numbers it took: one
# statement instead of a locking read and an update.
_TAKE_NUMBER = """
    UPDATE fiscal_fiscalseries
       SET next_number = next_number + 1, next_control_number = next_control_number + 1
     WHERE kind = %s AND terminal = %s
 RETURNING id, code, control_prefix, next_number - 1, next_control_number - 1"""


def take_series_number(kind: str, terminal: str = "") -> tuple[FiscalSeries, int, int]:
    """The series of `kind` for `terminal` (falling back to the venue's default series of
    the kind), its next number and control number taken: the row stays locked until the
    end of the transaction, so a rollback gives the numbers back. The default series is
    created on first use; ON CONFLICT DO NOTHING makes that safe when two checkouts race."""
    with connection.cursor() as cursor:
        for where in ([terminal, ""] if terminal else [""]):
            cursor.execute(_TAKE_NUMBER, [kind, where])
            row = cursor.fetchone()
            if row is not None:
                break
        else:  # first document of the kind: create the series, then take from it
            FiscalSeries.objects.bulk_create(
                [FiscalSeries(kind=kind, terminal="", code=DEFAULT_CODES[kind])],
                ignore_conflicts=True)
            cursor.execute(_TAKE_NUMBER, [kind, ""])
            row = cursor.fetchone()
    series_id, code, control_prefix, number, control = row
    series = FiscalSeries(pk=series_id, kind=kind, terminal=where, code=code,
                          control_prefix=control_prefix)
    series._state.adding = False
    return series, number, control


def lock_profile() -> FiscalProfile:
    FiscalProfile.objects.bulk_create([FiscalProfile(pk=1)], ignore_conflicts=True)
    return FiscalProfile.objects.select_for_update(no_key=True).get(pk=1)


def lock_invoice(document_id: int) -> FiscalDocument | None:
    """The invoice a note corrects: serialises notes on one invoice, so two refunds cannot
    both credit the same line."""
    return FiscalDocument.objects.filter(pk=document_id).select_for_update(no_key=True).first()

