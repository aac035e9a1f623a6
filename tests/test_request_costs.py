"""What the hot path saves must not change what it answers: the answers built with fields
made once (pos.serializers.FieldsBuiltOnce) equal DRF's own; a checkout is one database
call to lock the sale, one to complete it, seven statements in all, and answers the sale
as written; the search path kept between requests of a tenant is set again whenever the
tenant changes or a rollback may have undone it."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context
from rest_framework import serializers

from sales.models import Transaction
from sales.selectors import transaction_detail
from sales.serializers import TransactionSerializer
from tests.builders import api_hold_id, checkout_body, make_event, set_rate
from tests.conftest import api_client


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate()
        return make_event(rows="AB", seats_per_row=4, ga_capacity=10)


def _drf_own(serializer: serializers.Serializer, instance) -> dict:
    """What DRF's own loop over freshly built fields answers for `instance`."""
    return serializers.Serializer.to_representation(serializer, instance)


def test_a_sale_and_a_reservation_answer_as_drf_would(alpha, setup, cashier):
    sold = api_hold_id(cashier, setup, "A1", "A2", zones=[{"zone": setup.ga_zone.pk,
                                                           "quantity": 2}])
    paid = cashier.post(f"/api/holds/{sold}/checkout/",
                        checkout_body(("cash", "VES", "4640.00")), format="json")
    assert paid.status_code == 200, paid.json()
    reserved = api_hold_id(cashier, setup, "B1")
    kept = cashier.post(f"/api/holds/{reserved}/checkout/",
                        checkout_body(("cash", "VES", "500.00")), format="json")
    assert kept.json()["transaction"]["status"] == "reserved"
    with tenant_context(alpha.tenant):
        for pk in (sold, reserved):
            tx = transaction_detail(pk)
            built_once = TransactionSerializer(tx).data
            assert built_once == _drf_own(TransactionSerializer(transaction_detail(pk)), tx)
            assert built_once["history"] and built_once["tickets" if pk == sold else "items"]
        assert TransactionSerializer(transaction_detail(reserved)).data["amounts_due"] == {
            "VES": "660.00", "USD": "6.81"}  # USD 6.60 plus the IGTF it bears, rounded up


def test_a_checkout_is_seven_statements_and_completes_everything(alpha, setup, cashier):
    first = api_hold_id(cashier, setup, "B1")  # the first invoice creates its series
    cashier.post(f"/api/holds/{first}/checkout/", checkout_body(("cash", "VES", "1160.00")),
                 format="json")
    hold_id = api_hold_id(cashier, setup, "A1", "A2", "A3")
    with CaptureQueriesContext(connection) as queries:
        response = cashier.post(f"/api/holds/{hold_id}/checkout/",
                                checkout_body(("cash", "VES", "3480.00")), format="json")
    assert response.status_code == 200, response.json()
    sale = response.json()["transaction"]
    statements = [q["sql"] for q in queries.captured_queries]
    assert not any(s.startswith("SET search_path") for s in statements), statements
    assert sum(1 for s in statements if "pos_complete(" in s) == 1
    # BEGIN, pos_lock_sale (the sale locked, with its items), the payment, pos_complete
    # (with the history for the answer), the number, the invoice, COMMIT.
    assert len(statements) == 7, "\n".join(s[:70] for s in statements)
    assert sum(1 for s in statements if "pos_lock_sale(" in s) == 1
    assert sale["status"] == "completed"
    assert [t["label"] for t in sale["tickets"]] == ["A1", "A2", "A3"]
    assert {i["status"] for i in sale["items"]} == {"completed"}
    assert [(h["subject"], h["to_status"]) for h in sale["history"]][-5:] == [
        ("payment", "received"), ("reserved_ticket", "completed"),
        ("reserved_ticket", "completed"), ("reserved_ticket", "completed"),
        ("transaction", "completed")]
    with tenant_context(alpha.tenant):
        tx = Transaction.objects.get(pk=hold_id)
        assert tx.status == "completed" and tx.completed_at is not None
        assert tx.tickets.count() == 3


def test_the_search_path_follows_the_tenant_and_every_rollback(alpha, beta, setup):
    alpha_client, beta_client = api_client(alpha, "cashier"), api_client(beta, "cashier")

    def sets_path(client) -> bool:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/events/").status_code == 200
        return any(q["sql"].startswith("SET search_path") for q in queries.captured_queries)

    def event_names(client) -> set[str]:
        return {e["name"] for e in client.get("/api/events/").json()["results"]}

    sets_path(alpha_client)
    assert not sets_path(alpha_client), "the same tenant again: no SET"
    assert sets_path(beta_client), "another tenant: SET"
    assert setup.event.name not in event_names(beta_client)
    assert sets_path(alpha_client)
    assert setup.event.name in event_names(alpha_client)
    # A rollback to a savepoint may undo a SET made after it: the next request sets it.
    sid = transaction.savepoint()
    transaction.savepoint_rollback(sid)
    assert sets_path(alpha_client)
    assert not sets_path(alpha_client)
