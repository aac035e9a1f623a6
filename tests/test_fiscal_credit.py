"""Credit-note arithmetic (pure, hypothesis): however an invoice is credited — at once or
unit by unit over several notes — the notes add up to the invoice to the cent, and no
note returns more IGTF than is left."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fiscal.taxes import (
    CreditRequest,
    Line,
    PaymentInput,
    TaxCalculationError,
    TaxCategory,
    TaxRates,
    calculate,
    credit,
)

RATES = TaxRates()
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
lines = st.lists(
    st.builds(Line, description=st.just("x"), quantity=st.integers(1, 6), unit_price=prices,
              tax_category=st.sampled_from(list(TaxCategory))),
    min_size=1, max_size=4,
)
rates = st.decimals(min_value=Decimal("1"), max_value=Decimal("99999"), places=4)


@settings(max_examples=150, deadline=None)
@given(lines=lines, rate=rates, include_tax=st.booleans(), usd_share=st.integers(0, 100),
       order=st.randoms(use_true_random=False))
def test_notes_crediting_a_whole_invoice_add_up_to_it(lines, rate, include_tax, usd_share,
                                                      order):
    probe = calculate(lines=lines, sale_currency="USD", rate=rate, rates=RATES,
                      prices_include_tax=include_tax)
    usd = (probe.total_ves * usd_share / 100 / rate).quantize(Decimal("0.01"))
    payments = [PaymentInput("pago_movil", "VES", probe.total_ves + 1)]
    if usd > 0:
        payments.append(PaymentInput("cash", "USD", usd))
    invoice = calculate(lines=lines, payments=payments, sale_currency="USD", rate=rate,
                        rates=RATES, prices_include_tax=include_tax)
    units = [i for i, line in enumerate(invoice.lines) for _ in range(line.quantity)]
    order.shuffle(units)
    credited = dict.fromkeys(range(len(invoice.lines)), 0)
    notes = []
    while units:  # credit notes of one to three units each, in random order
        size = order.randint(1, 3)
        take, units = units[:size], units[size:]
        counts = sorted({i: take.count(i) for i in set(take)}.items())
        note = credit(
            requests=[CreditRequest(line=invoice.lines[i], quantity=q,
                                    credited_before=credited[i]) for i, q in counts],
            sale_currency="USD", rate=rate, rates=RATES, invoice_total_ves=invoice.total_ves,
            invoice_igtf_ves=invoice.igtf_ves,
            credited_total_before_ves=sum((n.total_ves for n in notes), Decimal("0.00")),
            igtf_credited_before_ves=sum((n.igtf_ves for n in notes), Decimal("0.00")),
        )
        assert all(amount >= 0 for line in note.lines
                   for amount in (line.base_ves, line.iva_ves, line.municipal_ves))
        assert note.igtf_ves >= 0
        for i, q in counts:
            credited[i] += q
        notes.append(note)
    for field in ("base_total_ves", "exempt_ves", "iva_total_ves", "municipal_ves",
                  "total_ves", "igtf_ves", "amount_due_ves"):
        assert sum(getattr(n, field) for n in notes) == getattr(invoice, field), field


def test_crediting_more_than_is_left_is_refused():
    invoice = calculate(lines=[Line("GA", 2, Decimal("5.00"))], sale_currency="USD",
                        rate=Decimal("100"), rates=RATES)
    with pytest.raises(TaxCalculationError, match="1 left"):
        credit(requests=[CreditRequest(line=invoice.lines[0], quantity=2, credited_before=1)],
               sale_currency="USD", rate=Decimal("100"), rates=RATES,
               invoice_total_ves=invoice.total_ves, invoice_igtf_ves=Decimal("0"))
