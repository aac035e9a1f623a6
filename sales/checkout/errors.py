"""Errors of the till, with codes that name its own actions. Wording in one place."""

from __future__ import annotations

from pos.errors import Conflict, DomainError, NotFound


class TransactionNotFound(NotFound):
    code = "transaction_not_found"
    default_message = "No such transaction."


class PaymentShort(DomainError):
    """The payments leave a balance and no reservation was asked for."""

    code = "payment_short"


class PaymentNotAllowed(DomainError):
    """A method in a currency it does not take, or without its bank reference."""

    code = "payment_not_allowed"


class Overpayment(DomainError):
    """More than is due by a non-cash method, or more change than a cashier may give."""

    code = "overpayment"


class DownPaymentTooSmall(DomainError):
    code = "down_payment_too_small"


class CheckoutRefused(Conflict):
    """The transaction is not in a state this action applies to."""

    code = "checkout_refused"
