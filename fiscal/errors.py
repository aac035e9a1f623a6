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


class ImmutableShift(Conflict):
    code = "shift_immutable"
    default_message = ("A closed shift is never changed or deleted; what came after it goes "
                       "into the next close.")


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


class ShiftNotFound(NotFound):
    code = "shift_not_found"
    default_message = "No such shift."


class NothingNewToClose(Conflict):
    code = "z_nothing_new"



class InvalidFiscalDay(DomainError):
    """A fiscal day that cannot be closed: not begun yet, or before anything was sold."""

    code = "invalid_fiscal_day"


class FiscalProfileIncomplete(Conflict):
    """A sale cannot be invoiced: the venue has not entered who issues its documents, or
    no exchange rate of the sale's currency at all. `missing` names what is missing:
    legal_name, rif, fiscal_address, exchange_rate."""

    code = "fiscal_profile_incomplete"
    LABELS = {"legal_name": "legal name", "rif": "RIF", "fiscal_address": "fiscal address"}

    def __init__(self, missing: list[str], *, currency: str = "") -> None:
        rate = f"a {currency} exchange rate" if currency else "an exchange rate"
        labels = [self.LABELS.get(name, rate) for name in missing]
        super().__init__(
            "Sales cannot be invoiced until the venue's fiscal profile is complete; missing: "
            f"{', '.join(labels)}. A venue admin enters them in the fiscal settings "
            "(/api/fiscal/settings/) and the BCV rates (/api/fiscal/exchange-rates/).",
            missing=list(missing),
        )


class DocumentAmountTooLarge(DomainError):
    """A figure of the document would not fit its column (a client asked for absurd
    amounts): refused before anything is written, instead of a database overflow."""

    code = "document_amount_too_large"
