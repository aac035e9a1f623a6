"""Domain errors of fiscal. The wording users see lives here, in one place."""

from pos.errors import Conflict, DomainError, NotFound


class ExchangeRateMissing(Conflict):
    code = "exchange_rate_missing"


class InvalidPayment(DomainError):
    code = "invalid_payment"


class ImmutableDocument(Conflict):
    """An issued document was about to change: corrections go through credit/debit notes."""

    code = "document_immutable"
    default_message = ("Issued fiscal documents cannot be changed; issue a credit or debit "
                       "note instead.")


class DocumentNotFound(NotFound):
    code = "document_not_found"
    default_message = "No such fiscal document."


class TicketNotFound(NotFound):
    code = "ticket_not_found"
    default_message = "No such ticket."


class NotAnInvoice(Conflict):
    code = "not_an_invoice"
    default_message = "Credit and debit notes can only refer to an invoice."


class InvalidNote(DomainError):
    code = "invalid_note"


class NothingToCredit(Conflict):
    code = "nothing_to_credit"
    default_message = "This invoice has already been credited in full."


class NothingNewToClose(Conflict):
    code = "z_nothing_new"



class DocumentAmountTooLarge(DomainError):
    """A figure of the document would not fit its column (a client asked for absurd
    amounts): refused before anything is written, instead of a database overflow."""

    code = "document_amount_too_large"
