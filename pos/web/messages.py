"""Every sentence the POS page's script shows, translated on the server (Django i18n) and
handed to the script as JSON: one catalogue, no second translation system in JavaScript.

Placeholders in braces (`{seats}`) are filled in by the script."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from sales.models import PAYMENT_CURRENCIES, REFERENCE_REQUIRED, PaymentMethod

PAYMENT_METHOD_LABELS = {
    PaymentMethod.CASH: lambda: _("Cash"),
    PaymentMethod.DEBIT_CARD: lambda: _("Debit card"),
    PaymentMethod.CREDIT_CARD: lambda: _("Credit card"),
    PaymentMethod.PAGO_MOVIL: lambda: _("Pago móvil"),
    PaymentMethod.TRANSFER: lambda: _("Bank transfer"),
    PaymentMethod.ZELLE: lambda: _("Zelle"),
}


def payment_methods() -> list[dict[str, object]]:
    """Each method with its label, the currencies it takes and whether it needs a bank
    reference (the rules of sales.models, for the page to offer only what checkout
    accepts)."""
    return [{"value": method.value, "label": PAYMENT_METHOD_LABELS[method](),
             "currencies": sorted(PAYMENT_CURRENCIES[method]),
             "reference": method in REFERENCE_REQUIRED}
            for method in PaymentMethod]


def page_messages() -> dict[str, str]:
    """The script's strings in the active language."""
    return {
        # Seat states, read by screen readers and shown in the legend.
        "state_available": _("available"),
        "state_selected": _("selected"),
        "state_reserved_by_me": _("held by you"),
        "state_reserved": _("held by another terminal"),
        "state_sold": _("sold"),
        "seat_aria": _("Seat {label}, {state}"),
        "row": pgettext("seat map", "Row {row}"),
        "ga_remaining": _("{available} of {capacity} left"),
        "ga_quantity": _("Quantity for {zone}"),
        # Errors and notices.
        "conflict": _("Not available any more: {seats}. Choose other seats."),
        "reason_reserved": _("held"),
        "reason_sold": _("sold"),
        "zone_short": _("{zone} has only {available} place(s) left ({requested} requested)."),
        "taken_while_choosing": _("Taken by another terminal while you were choosing: {seats}."),
        "expired": _("Booking session has expired. Please select seats again."),
        "session_limit": _("You may hold at most {limit} tickets at a time."),
        "over_limit": _("You may hold at most {limit} tickets at a time: "
                        "release some before picking more."),
        "network_down": _("No connection to the server. Retrying…"),
        "network_back": _("Connection restored."),
        "not_available_click": _("Seat {label} is {state}."),
        "nothing_selected": _("Pick at least one seat or a general-admission quantity."),
        "no_events": _("No event is on sale."),
        "released": _("The seats were released."),
        "extended": _("The hold was extended."),
        "busy": _("The box office is busy with these seats. Please try again."),
        "forbidden": _("Your role does not allow this action."),
        "logged_out": _("Your session ended. Please log in again."),
        "server_error": _("Something went wrong on the server. Please try again."),
        "rate_missing": _("There is no exchange rate for today: a venue admin must enter it."),
        # Countdown and checkout.
        "expires_in": _("Hold expires in {time}"),
        "paid_in_full": _("Paid in full"),
        "balance_due": _("Balance due"),
        "change_due": _("Change to give"),
        "pay": _("Charge"),
        "pay_partial": _("Charge partial payment (reserve)"),
        "sale_completed": _("Sale completed"),
        "sale_reserved": _("Reserved with a partial payment until {deadline}"),
        "ticket": _("Ticket {label}"),
        "qr_alt": _("QR code of ticket {code}"),
        "document": _("Printable fiscal document"),
        "remove": _("Remove"),
        "pay_method": _("Payment {n}: method"),
        "pay_currency": _("Payment {n}: currency"),
        "pay_amount": _("Payment {n}: amount"),
        "pay_reference": _("Payment {n}: reference number"),
        "reference": _("Reference no."),
        "release_seat": _("Release {label}"),
        "tax_line": _("IVA {rate}%"),
    }
