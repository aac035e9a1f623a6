"""Every row lock fiscal takes, in one place so the order is visible.

These are step 7 of the one lock order (reservations/lock_objects.py), always after the
sale's own locks (its transaction row and items): the invoice a note corrects, then the
series counter row of the document, then the fiscal profile row (Z and shift numbering).
A Z report or a shift close updates the documents it links to itself while holding the
profile row: that cannot close a cycle, since nothing that locks a document (a note on
its invoice) ever waits for the profile. A
checkout holds its transaction lock and then its series lock; parallel checkouts queue
on the series row, which is what makes the numbers gapless. FOR NO KEY UPDATE, as
everywhere: documents that reference a locked row can still be inserted."""

from __future__ import annotations

from fiscal.models import FiscalDocument, FiscalProfile, FiscalSeries

DEFAULT_CODES = {
    "invoice": "FAC",
    "payment_receipt": "REC",
    "credit_note": "NC",
    "debit_note": "ND",
}


def lock_series(kind: str, terminal: str = "") -> FiscalSeries:
    """The counter row of `kind` for `terminal` (falling back to the venue's default series
    of the kind), locked until the end of the transaction. The default series is created
    on first use; ON CONFLICT DO NOTHING makes that safe when two checkouts race."""
    if terminal:
        series = (FiscalSeries.objects.filter(kind=kind, terminal=terminal)
                  .select_for_update(no_key=True).first())
        if series is not None:
            return series
    default = FiscalSeries.objects.filter(kind=kind, terminal="").select_for_update(no_key=True)
    series = default.first()
    if series is None:  # first document of the kind: create the series, then lock it
        FiscalSeries.objects.bulk_create(
            [FiscalSeries(kind=kind, terminal="", code=DEFAULT_CODES[kind])],
            ignore_conflicts=True,
        )
        series = default.get()
    return series


def lock_profile() -> FiscalProfile:
    FiscalProfile.objects.bulk_create([FiscalProfile(pk=1)], ignore_conflicts=True)
    return FiscalProfile.objects.select_for_update(no_key=True).get(pk=1)


def lock_invoice(document_id: int) -> FiscalDocument | None:
    """The invoice a note corrects: serialises notes on one invoice, so two refunds cannot
    both credit the same line."""
    return FiscalDocument.objects.filter(pk=document_id).select_for_update(no_key=True).first()

