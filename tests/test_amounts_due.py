"""`amounts_due`: for each currency, the amount that settles the sale when paid entirely in
it. The property a cashier relies on: paying exactly that completes the sale, and one
cent less does not, whatever the rate, prices, quantities, tax setting and earlier
payments (split payments)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from fiscal.taxes import Line, PaymentInput, TaxCategory, TaxRates, amounts_due, calculate

CENT = Decimal("0.01")

rates_of_exchange = st.builds(
    lambda units, places, digits: (Decimal(units) + Decimal(digits) / Decimal(10) ** places),
    st.integers(min_value=1, max_value=900), st.integers(min_value=4, max_value=6),
    st.integers(min_value=0, max_value=999_999),
).filter(lambda r: r > 0)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
lines = st.lists(
    st.builds(Line, description=st.just("Platea"), quantity=st.integers(1, 12),
              unit_price=prices, tax_category=st.sampled_from(list(TaxCategory))),
    min_size=1, max_size=4)
earlier_payments = st.lists(
    st.builds(PaymentInput, method=st.just("cash"), currency=st.sampled_from(["VES", "USD"]),
              amount=st.decimals(min_value=CENT, max_value=Decimal("40"), places=2)),
    max_size=2)


def settles(sale_lines, payments, extra: PaymentInput, rate, include) -> bool:
    return calculate(lines=sale_lines, payments=[*payments, extra], sale_currency="USD",
                     rate=rate, rates=TaxRates(), prices_include_tax=include).is_paid_in_full


@settings(max_examples=600, deadline=None)
@given(sale_lines=lines, rate=rates_of_exchange, include=st.booleans(),
       payments=earlier_payments)
@example(sale_lines=[Line("Platea", 3, Decimal("12.50"))], rate=Decimal("151.2345"),
         include=False, payments=[])
def test_paying_the_amount_due_settles_and_a_cent_less_does_not(sale_lines, rate, include,
                                                                payments):
    before = calculate(lines=sale_lines, payments=payments, sale_currency="USD", rate=rate,
                       rates=TaxRates(), prices_include_tax=include)
    due = amounts_due(lines=sale_lines, payments=payments, sale_currency="USD", rate=rate,
                      rates=TaxRates(), prices_include_tax=include)
    assert set(due) == {"VES", "USD"}
    if before.is_paid_in_full:
        assert due == {"VES": Decimal("0.00"), "USD": Decimal("0.00")}
        return
    for currency, amount in due.items():
        assert amount == amount.quantize(CENT) and amount > 0
        method = "cash"
        assert settles(sale_lines, payments, PaymentInput(method, currency, amount), rate,
                       include), (currency, amount)
        if amount > CENT:  # (one cent less than a cent is paying nothing: not settled)
            assert not settles(sale_lines, payments,
                               PaymentInput(method, currency, amount - CENT), rate, include)


def test_the_worked_example_of_the_issue():
    """3 × USD 12.50 at 151.2345, IVA 16 %: USD 44.80 left Bs 0.75 open; 44.81 settles."""
    due = amounts_due(lines=[Line("Platea", 3, Decimal("12.50"))], sale_currency="USD",
                      rate=Decimal("151.2345"), rates=TaxRates())
    assert due == {"VES": Decimal("6578.70"), "USD": Decimal("44.81")}


def test_a_bolivar_sale_is_due_in_bolivares_only():
    due = amounts_due(lines=[Line("General", 2, Decimal("100.00"))], sale_currency="VES",
                      rate=Decimal("1"), rates=TaxRates())
    assert due == {"VES": Decimal("232.00")}
