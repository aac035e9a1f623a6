"""Gapless numbering under real concurrency: parallel checkouts, each in its own thread
and PostgreSQL connection, released together by a barrier, committing for real.

These tests commit, so they run in a tenant of their own, `fiscalrace`, each with its own
event; they compare numbers relative to the series counter they find (N)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from django.db import connections
from django_tenants.utils import tenant_context

from fiscal.models import FiscalDocument, FiscalSeries
from fiscal.taxes import PaymentInput
from reservations import services as reservation_services
from sales.checkout import services as sales_services
from sales.models import Transaction
from tenants.models import Tenant
from tests import parallel
from tests.builders import make_event, user
from tests.conftest import committed_tenant

CASHIERS = 20
PAID_IN_BS = [PaymentInput(method="pago_movil", currency="VES", amount=Decimal("1160.00"),
                                                                               reference="0102-555123")]


class ForcedFailure(Exception):
    """Raised by a test after the invoice number was taken."""


@pytest.fixture(scope="module")
def fiscal_race(tenants, django_db_blocker) -> Iterator[Tenant]:
    with django_db_blocker.unblock():
        yield committed_tenant("fiscalrace", (f"f{i}" for i in range(CASHIERS)))


@pytest.fixture
def in_fiscal_race(fiscal_race, django_db_blocker) -> Iterator[Tenant]:
    with django_db_blocker.unblock(), tenant_context(fiscal_race):
        yield fiscal_race


def run_parallel(tenant: Tenant, calls: list[Callable[[], object]]) -> list[object]:
    """The result, or the exception, of each call run at the same instant."""
    return parallel.run_parallel(calls, tenant=tenant, catch=Exception)


def next_invoice_number() -> int:
    series = FiscalSeries.objects.filter(kind="invoice", terminal="").first()
    return series.next_number if series else 1


def holds_for_cashiers(n: int) -> list[tuple[object, int]]:
    """One live one-seat hold per cashier, committed."""
    setup = make_event(rows="A", seats_per_row=n, price="10.00")
    result = []
    for i in range(n):
        cashier = user(f"f{i}")
        tx = reservation_services.hold_seats(user=cashier, event_id=setup.event.pk,
                                             seat_ids=setup.ids(f"A{i + 1}"))
        result.append((cashier, tx.pk))
    return result


def checkout(cashier, tx_id: int):
    return sales_services.checkout_hold(user=cashier, transaction_id=tx_id,
                                        payments=PAID_IN_BS)


def invoice_numbers(tx_ids: list[int]) -> list[int]:
    return sorted(FiscalDocument.objects.filter(kind="invoice", transaction_id__in=tx_ids)
                  .values_list("number", flat=True))


def test_twenty_parallel_checkouts_get_exactly_the_next_twenty_numbers(in_fiscal_race):
    holds = holds_for_cashiers(CASHIERS)
    n = next_invoice_number() - 1
    results = run_parallel(in_fiscal_race, [
        (lambda c=c, t=t: checkout(c, t)) for c, t in holds])
    assert not [r for r in results if isinstance(r, Exception)], results
    tx_ids = [t for _, t in holds]
    assert invoice_numbers(tx_ids) == list(range(n + 1, n + CASHIERS + 1))
    controls = FiscalDocument.objects.filter(kind="invoice", transaction_id__in=tx_ids) \
        .values_list("control_number", flat=True)
    assert len(set(controls)) == CASHIERS
    assert next_invoice_number() == n + CASHIERS + 1


def test_checkouts_failing_after_numbering_leave_no_gap(in_fiscal_race, monkeypatch):
    """Five of twenty parallel checkouts fail after their invoice number was taken (a
    forced error right after issue_invoice, inside the checkout's transaction): the fifteen
    others still get N+1 … N+15, the failed sales roll back entirely, and the next sale
    gets N+16."""
    holds = holds_for_cashiers(CASHIERS)
    doomed = {t for _, t in holds[::4]}
    real_issue = sales_services.issue_invoice

    def issue_then_fail(**kwargs):
        document = real_issue(**kwargs)
        if kwargs["tx"].pk in doomed:
            raise ForcedFailure(f"after taking number {document.number}")
        return document

    monkeypatch.setattr(sales_services, "issue_invoice", issue_then_fail)
    n = next_invoice_number() - 1
    results = run_parallel(in_fiscal_race, [
        (lambda c=c, t=t: checkout(c, t)) for c, t in holds])
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == len(doomed) and all(isinstance(r, ForcedFailure) for r in failed)
    ok_ids = [t for _, t in holds if t not in doomed]
    assert invoice_numbers(ok_ids) == list(range(n + 1, n + len(ok_ids) + 1))
    assert not FiscalDocument.objects.filter(transaction_id__in=doomed).exists()
    assert set(Transaction.objects.filter(pk__in=doomed).values_list("status", flat=True)) \
        == {"pending"}

    monkeypatch.setattr(sales_services, "issue_invoice", real_issue)
    cashier, tx_id = next((c, t) for c, t in holds if t in doomed)
    checkout(cashier, tx_id)
    assert invoice_numbers([tx_id]) == [n + len(ok_ids) + 1]


def test_control_a_counter_outside_the_transaction_would_leave_a_gap(in_fiscal_race,
                                                                     monkeypatch):
    """Proof that the test above can fail: when the number is taken in its own committed
    transaction (like a PostgreSQL sequence), a failed checkout burns a number."""
    from django.db import transaction as db_transaction

    from fiscal import services as fiscal_services

    holds = holds_for_cashiers(2)
    real_take = fiscal_services._take_number

    def take_outside(kind, terminal):
        # Take the number in another connection that commits at once, as a sequence would.
        result_box = {}

        def own_connection():
            try:
                with tenant_context(in_fiscal_race), db_transaction.atomic():
                    result_box["value"] = real_take(kind, terminal)
            finally:
                connections.close_all()

        thread = threading.Thread(target=own_connection)
        thread.start()
        thread.join()
        series, number, control = result_box["value"]
        return FiscalSeries.objects.get(pk=series.pk), number, control

    def issue_then_fail(**kwargs):
        real_issue(**kwargs)
        raise ForcedFailure("after numbering")

    real_issue = sales_services.issue_invoice
    monkeypatch.setattr(fiscal_services, "_take_number", take_outside)
    monkeypatch.setattr(sales_services, "issue_invoice", issue_then_fail)
    n = next_invoice_number() - 1
    with pytest.raises(ForcedFailure):
        checkout(*holds[0])
    monkeypatch.setattr(sales_services, "issue_invoice", real_issue)
    checkout(*holds[1])
    assert invoice_numbers([holds[1][1]]) == [n + 2], "the failed checkout burnt N+1"
