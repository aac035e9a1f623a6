"""Fiscal identity, tax rates and exchange rates of a venue organisation (its schema)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from fiscal.errors import ImmutableDocument, ImmutableShift
from fiscal.validators import validate_rif

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class FiscalProfile(models.Model):
    """One row per schema: who issues the documents and at which rates. Documents copy the
    rates they were issued with, so changing them here never alters an issued document."""

    legal_name = models.CharField(max_length=200, default="")
    rif = models.CharField("RIF", max_length=20, default="", blank=True,
                           validators=[validate_rif])
    fiscal_address = models.CharField(max_length=300, default="")
    iva_general = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("16"),
                                      validators=PERCENT)
    iva_reduced = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("8"),
                                      validators=PERCENT)
    iva_luxury_surcharge = models.DecimalField(max_digits=5, decimal_places=2,
                                               default=Decimal("15"), validators=PERCENT)
    igtf = models.DecimalField("IGTF", max_digits=5, decimal_places=2, default=Decimal("3"),
                               validators=PERCENT)
    municipal_tax = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"),
                                        validators=PERCENT)
    prices_include_tax = models.BooleanField(default=False)
    # How old the latest BCV rate may be before a foreign-currency sale is refused.
    max_rate_age_days = models.PositiveSmallIntegerField(default=4)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # A singleton: the row with id 1.
            models.CheckConstraint(condition=models.Q(id=1), name="fiscal_profile_singleton"),
        ]

    def __str__(self) -> str:
        return self.legal_name or "Fiscal profile"


class ExchangeRate(models.Model):
    """The official BCV rate of a day: Bs per one unit of `currency`."""

    currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=18, decimal_places=6,
                               validators=[MinValueValidator(Decimal("0.000001"))])
    valid_on = models.DateField()
    source = models.CharField(max_length=50, default="BCV")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_on", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_on"], name="one_rate_per_day"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} Bs ({self.valid_on})"


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", "Factura"
    PAYMENT_RECEIPT = "payment_receipt", "Recibo de pago"
    CREDIT_NOTE = "credit_note", "Nota de crédito"
    DEBIT_NOTE = "debit_note", "Nota de débito"


# Documents that count in the fiscal totals (a payment receipt is not a fiscal document).
FISCAL_KINDS = (DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE, DocumentKind.DEBIT_NOTE)


class FiscalSeries(models.Model):
    """A numbering series of one document kind, optionally for one POS terminal. The row is
    the counter: issuing increments `next_number` and `next_control_number` with one
    UPDATE ... RETURNING (which locks the row) in the same transaction that saves the
    document, so a rollback gives the numbers back and no number is skipped or reused."""

    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    # Empty: the venue's default series for the kind. Otherwise a terminal identifier.
    terminal = models.CharField(max_length=40, blank=True, default="")
    code = models.CharField(max_length=10, help_text="Printed before the number, e.g. A")
    control_prefix = models.CharField(max_length=10, default="00")
    next_number = models.PositiveBigIntegerField(default=1)
    next_control_number = models.PositiveBigIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "terminal"]
        verbose_name_plural = "fiscal series"
        constraints = [
            models.UniqueConstraint(fields=["kind", "terminal"],
                                    name="one_series_per_kind_terminal"),
            models.UniqueConstraint(fields=["kind", "code"], name="series_code_unique_per_kind"),
            models.CheckConstraint(condition=models.Q(next_number__gte=1),
                                   name="series_next_number_positive"),
        ]

    def __str__(self) -> str:
        where = f" ({self.terminal})" if self.terminal else ""
        return f"{self.get_kind_display()} {self.code}{where}"


class FiscalDocumentQuerySet(models.QuerySet):
    # The only columns that may change after issue, once each (from null): the Z report
    # and the cashier's shift the document is closed into.
    MUTABLE = frozenset({"z_report", "z_report_id", "shift", "shift_id"})

    def update(self, **kwargs):
        if set(kwargs) - self.MUTABLE:
            raise ImmutableDocument("Issued fiscal documents cannot be changed.")
        return super().update(**kwargs)

    def delete(self):
        raise ImmutableDocument("Issued fiscal documents cannot be deleted.")


class FiscalDocument(models.Model):
    """An issued invoice, payment receipt, credit note or debit note. A snapshot: issuer,
    buyer, lines, rates, figures in Bs and in the foreign currency, and payments are copied
    in when it is issued and never change (also enforced by a database trigger)."""

    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    series = models.ForeignKey(FiscalSeries, on_delete=models.PROTECT, related_name="documents")
    series_code = models.CharField(max_length=10)
    number = models.PositiveBigIntegerField()
    control_number = models.CharField(max_length=40)
    issued_at = models.DateTimeField()
    fiscal_day = models.DateField()
    transaction = models.ForeignKey("sales.Transaction", on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="fiscal_documents")
    # A credit or debit note refers to the invoice it corrects.
    original = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="corrections")
    reason = models.CharField(max_length=300, blank=True)
    issuer_name = models.CharField(max_length=200)
    issuer_rif = models.CharField(max_length=20)
    issuer_address = models.CharField(max_length=300)
    buyer_name = models.CharField(max_length=200)
    buyer_tax_id = models.CharField(max_length=20, blank=True)
    sale_currency = models.CharField(max_length=3)
    # The one foreign currency of the document (VES when everything was in Bs) and its rate.
    foreign_currency = models.CharField(max_length=3)
    exchange_rate = models.DecimalField(max_digits=18, decimal_places=6)
    base_total_ves = models.DecimalField(max_digits=16, decimal_places=2)
    exempt_ves = models.DecimalField(max_digits=16, decimal_places=2)
    iva_total_ves = models.DecimalField(max_digits=16, decimal_places=2)
    municipal_ves = models.DecimalField(max_digits=16, decimal_places=2)
    total_ves = models.DecimalField(max_digits=16, decimal_places=2)
    igtf_ves = models.DecimalField(max_digits=16, decimal_places=2)
    amount_due_ves = models.DecimalField(max_digits=16, decimal_places=2)
    paid_ves = models.DecimalField(max_digits=16, decimal_places=2)
    total_foreign = models.DecimalField(max_digits=16, decimal_places=2)
    amount_due_foreign = models.DecimalField(max_digits=16, decimal_places=2)
    # lines, taxes per rate, payments, rates: see fiscal.services._snapshot
    snapshot = models.JSONField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    # The POS terminal it was issued at (X-POS-Terminal), whether or not the terminal has
    # a series of its own: the till its payments went into.
    terminal = models.CharField(max_length=40, blank=True, default="")
    z_report = models.ForeignKey("ZReport", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="documents")
    shift = models.ForeignKey("Shift", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="documents")

    objects = FiscalDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["issued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "number"], name="document_number_unique"),
            models.UniqueConstraint(fields=["series", "control_number"],
                                    name="document_control_unique"),
            # One invoice per sale.
            models.UniqueConstraint(fields=["transaction"], name="one_invoice_per_transaction",
                                    condition=models.Q(kind="invoice")),
        ]
        indexes = [
            models.Index(fields=["fiscal_day", "kind"], name="doc_day_kind"),
            models.Index(fields=["z_report"], name="doc_z_report"),
            # What a shift close looks for: the till's documents not closed yet.
            models.Index(fields=["issued_by", "terminal"], name="doc_open_shift",
                         condition=models.Q(shift__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.display_number}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ImmutableDocument(f"{self} is issued and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableDocument(f"{self} is issued and cannot be deleted.")

    @property
    def display_number(self) -> str:
        return f"{self.series_code}-{self.number:08d}"

    @property
    def is_fiscal(self) -> bool:
        return self.kind in FISCAL_KINDS


class VoidedTicket(models.Model):
    """A ticket refunded by a credit note: no longer valid for entry."""

    ticket = models.OneToOneField("sales.Ticket", on_delete=models.PROTECT,
                                  related_name="voided")
    credit_note = models.ForeignKey(FiscalDocument, on_delete=models.PROTECT,
                                    related_name="voided_tickets")
    voided_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.ticket} voided by {self.credit_note}"


class ZReport(models.Model):
    """The close of a fiscal day: consecutive number, totals, and the documents locked to
    it. Never changed once made."""

    number = models.PositiveIntegerField(unique=True)
    fiscal_day = models.DateField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    totals = models.JSONField()

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Z {self.number:06d} ({self.fiscal_day:%d/%m/%Y})"


class Shift(models.Model):
    """A cashier's shift at a POS terminal, closed: consecutive number, what the till took
    (payments by method and currency, net of the change given back), the documents locked
    to it (`FiscalDocument.shift`) and, when the cashier counted the drawer, the cash
    declared and its difference from what the drawer should hold. Never changed once
    made (also enforced by a database trigger)."""

    number = models.PositiveIntegerField(unique=True)
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+")
    terminal = models.CharField(max_length=40, blank=True, default="")
    # The previous close of this cashier at this terminal, or the start of the fiscal day
    # of the shift's first document (of the close, for a first shift without documents).
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField()
    # fiscal.selectors.shift_figures: documents, counts, series, payments, cash_expected.
    figures = models.JSONField()
    # Currency -> amount counted in the drawer ("20.00"); null when nothing was declared.
    declared = models.JSONField(null=True, blank=True)
    # Currency -> the cash the drawer started with (the change float); null: none given.
    opening_float = models.JSONField(null=True, blank=True)
    # Currency -> declared minus expected cash ("-1.50": short); null without a count.
    difference = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        indexes = [
            models.Index(fields=["cashier", "terminal", "-closed_at"], name="shift_till_last"),
        ]

    def __str__(self) -> str:
        where = f" {self.terminal}" if self.terminal else ""
        return f"Shift {self.number:06d}{where}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ImmutableShift()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableShift()
