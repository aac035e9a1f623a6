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
        "state_reserved_partial": _("reserved (partly paid)"),
        "state_blocked": _("blocked"),
        "seat_aria": _("Seat {label}, {state}"),
        "row": pgettext("seat map", "Row {row}"),
        "ga_remaining": _("{available} of {capacity} left"),
        "ga_quantity": _("Quantity for {zone}"),
        "best_available": _("Best {n} seats"),
        "best_quantity": _("How many best seats of {zone}"),
        "no_adjacent_seats": _("{zone} has no {n} adjacent seats free."),
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
        "pay": _("Charge and issue the invoice"),
        "pay_partial": _("Record the down payment and reserve"),
        "pay_nothing": _("Enter a payment"),
        "amount_empty": _("Enter the amount."),
        "amount_invalid": _("“{text}” is not an amount: write it as 5.800,00 or 5800.00."),
        "amount_ambiguous": _("“{text}” could be read two ways: write {a} or {b}."),
        "amount_decimals": _("“{text}” has more than two decimals."),
        "amount_zero": _("The amount must be more than zero."),
        "reference_needed": _("Enter the bank reference."),
        "confirm_reserve_title": _("Reserve with a down payment?"),
        "confirm_reserve_ok": _("Yes, reserve"),
        "confirm_paid": _("Paid now: {amount}"),
        "confirm_balance": _("Balance left: {amount}"),
        "confirm_deadline": _("The seats are kept until {deadline}; unpaid by then, "
                              "they go back on sale."),
        "reserve_note": _("This payment leaves a balance: the sale becomes a reservation, "
                          "to be paid by {deadline}."),
        "print_document": _("Print the invoice"),
        "print_receipt": _("Print the receipt"),
        "print_ticket": _("Print ticket {label}"),
        "my_hold": _("Hold #{id}: {items}, until {time}"),
        "pay_by": _("Pay by"),
        "resume_hold": _("Continue here"),
        "release_hold": _("Release"),
        "own_hold_elsewhere": _("Seat {label} is held by you in hold #{id} (another terminal "
                                "or tab): continue it here or release it."),
        "busy_hold": _("Finish or release the current hold first."),
        "res_no_name": _("(no name)"),
        "res_title": _("Reservation #{id}"),
        "res_balance_in": _("{amount} paying in {currency}"),
        "res_pay_rest": _("Charge the balance and issue the invoice"),
        "res_pay_part": _("Record a payment (balance left)"),
        "res_paid_off": _("Reservation #{id} paid off: sale completed"),
        "res_still_reserved": _("Payment recorded; reservation #{id} still has a balance"),
        "res_cancel_title": _("Cancel reservation #{id}?"),
        "res_cancel_body": _("The seats go back on sale and the payments are recorded as "
                             "handed back."),
        "res_cancel_reason": _("Reason (for the audit trail)"),
        "res_cancel_ok": _("Yes, cancel it"),
        "res_cancelled": _("Reservation #{id} cancelled: the seats are on sale again."),
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
