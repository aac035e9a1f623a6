"""Fiscal identity, tax rates and exchange rates of a venue organisation (its schema)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class FiscalProfile(models.Model):
    """One row per schema: who issues the documents and at which rates. Documents copy the
    rates they were issued with, so changing them here never alters an issued document."""

    legal_name = models.CharField(max_length=200, default="")
    rif = models.CharField("RIF", max_length=20, default="")
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
