from pos.errors import Conflict, DomainError


class ExchangeRateMissing(Conflict):
    code = "exchange_rate_missing"


class InvalidPayment(DomainError):
    code = "invalid_payment"
