"""Tenants: one venue organisation per PostgreSQL schema, reached by host name."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

# Validated ranges of the reservation settings: (min, max). One place, used by the model
# validators, the database check constraints and the API documentation.
SETTING_RANGES: dict[str, tuple[int, int]] = {
    "reservation_hold_minutes": (1, 120),
    "partial_payment_hours": (1, 720),
    "max_reservations_per_session": (1, 100),
    "cleanup_interval_minutes": (1, 60),
    # The longest hold a venue admin may grant (a VIP or group sale), in minutes from the
    # grant: up to a day.
    "max_granted_hold_minutes": (1, 1440),
    # E-mail (sales.mail): remind a reservation's customer this many hours before its
    # deadline; 0: no reminders. Up to a week.
    "reservation_reminder_hours": (0, 168),
}

# The languages customer e-mails are written in (settings.LANGUAGES).
MAIL_LANGUAGES = [("es", "Español"), ("en", "English")]


class Tenant(TenantMixin):
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    auto_create_schema = True
    # Dropping a schema loses a venue's sales and fiscal records: never implicit.
    auto_drop_schema = False

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"


class Domain(DomainMixin):
    def __str__(self) -> str:
        return self.domain


def _default(name: str):
    def default() -> int:
        return settings.RESERVATION_SETTINGS[name]

    default.__name__ = f"default_{name}"
    default.__qualname__ = default.__name__
    return default


default_reservation_hold_minutes = _default("reservation_hold_minutes")
default_partial_payment_hours = _default("partial_payment_hours")
default_max_reservations_per_session = _default("max_reservations_per_session")
default_cleanup_interval_minutes = _default("cleanup_interval_minutes")
default_max_granted_hold_minutes = _default("max_granted_hold_minutes")


def _range(name: str) -> list:
    low, high = SETTING_RANGES[name]
    return [MinValueValidator(low), MaxValueValidator(high)]


def default_time_zone() -> str:
    return settings.TIME_ZONE


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    """An IANA zone name this machine's zone database knows (e.g. `America/Caracas`)."""
    if value not in _time_zones():
        raise ValidationError(
            f"{value!r} is not a time zone name; use an IANA name such as America/Caracas.",
            code="invalid_time_zone",
        )


class TenantSettings(models.Model):
    """The venue organisation's reservation settings, tuned by its venue admins."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="settings")
    reservation_hold_minutes = models.PositiveIntegerField(
        default=default_reservation_hold_minutes,
        validators=_range("reservation_hold_minutes"),
        help_text="How long picked seats are held before they are released.",
    )
    partial_payment_hours = models.PositiveIntegerField(
        default=default_partial_payment_hours,
        validators=_range("partial_payment_hours"),
        help_text="How long a partially paid reservation is kept before it expires.",
    )
    max_reservations_per_session = models.PositiveIntegerField(
        default=default_max_reservations_per_session,
        validators=_range("max_reservations_per_session"),
        help_text="Most tickets (seats plus general-admission units) one cashier may hold.",
    )
    cleanup_interval_minutes = models.PositiveIntegerField(
        default=default_cleanup_interval_minutes,
        validators=_range("cleanup_interval_minutes"),
        help_text="How often the expiry job records expired holds.",
    )
    max_granted_hold_minutes = models.PositiveIntegerField(
        default=default_max_granted_hold_minutes,
        validators=_range("max_granted_hold_minutes"),
        help_text="Longest hold a venue admin may grant to a hold (a VIP or group sale), in "
                  "minutes from the grant.",
    )
    allow_hold_extension = models.BooleanField(
        default=True, help_text="Whether a cashier may extend a hold once."
    )
    min_down_payment_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Least share of the amount due (%) a partial-payment reservation must pay "
                  "at checkout.",
    )
    max_change_usd = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("100"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Most change a cashier may give back for a cash payment, in US dollars "
                  "(given in Bs at the day's rate).",
    )
    time_zone = models.CharField(
        max_length=64, default=default_time_zone, validators=[validate_time_zone],
        help_text="The venue's clock (IANA name): every time the page, documents, tickets "
                  "and admin show is in this zone.",
    )
    reservation_reminder_hours = models.PositiveIntegerField(
        default=24, validators=_range("reservation_reminder_hours"),
        help_text="Hours before a reservation's payment deadline its customer is reminded "
                  "by e-mail (0: no reminders).",
    )
    mail_language = models.CharField(
        max_length=2, choices=MAIL_LANGUAGES, default="es",
        help_text="Language of the e-mails sent to customers (tickets, reminders).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "tenant settings"
        verbose_name_plural = "tenant settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(**{f"{name}__gte": low, f"{name}__lte": high}),
                name=f"tenantsettings_{name}_range",
            )
            for name, (low, high) in SETTING_RANGES.items()
        ]

    def __str__(self) -> str:
        return f"Settings of {self.tenant.schema_name}"
