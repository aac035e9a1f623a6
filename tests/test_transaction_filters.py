"""Finding reserved sales (issue 15, item 3): GET /api/transactions/ filters by status,
customer name, ID number and payment deadline, combined; bad values are a 400."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import tenant_context

from sales.models import Transaction
from tests.builders import make_event, user
from tests.conftest import api_client

NOW = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def sales(alpha) -> dict[str, int]:
    """Transactions of alpha's cashier as a checkout leaves them (only what the list reads
    and filters on), by a short name."""
    with tenant_context(alpha.tenant):
        event = make_event(rows="A", seats_per_row=1).event
        cashier = user("cashier")
        rows = {
            "maria": ("reserved", "María Pérez", "v-12.345.678", NOW + timedelta(hours=5)),
            "mario": ("reserved", "MARIO PEREZ", "V12345679", NOW + timedelta(days=2)),
            "empresa": ("reserved", "Eventos Caracas, C.A.", "j 12345678 4",
                        NOW + timedelta(days=3)),
            "paid": ("completed", "María Pérez", "V-12345678", None),
            "walk_in": ("reserved", "", "", NOW + timedelta(hours=1)),
        }
        return {name: Transaction.objects.create(
            event=event, cashier=cashier, status=status, currency="USD",
            customer_name=customer, customer_tax_id=tax_id, payment_deadline=deadline).pk
            for name, (status, customer, tax_id, deadline) in rows.items()}


def found(client, sales: dict[str, int], **params) -> set[str]:
    response = client.get("/api/transactions/", params)
    assert response.status_code == 200, response.json()
    names = {pk: name for name, pk in sales.items()}
    return {names[t["id"]] for t in response.json()["results"] if t["id"] in names}


def test_reserved_sales_are_found_by_part_of_the_customer_name_in_any_case(cashier, sales):
    assert found(cashier, sales, status="reserved", customer="pérez") == {"maria"}
    assert found(cashier, sales, status="reserved", customer="PEREZ") == {"mario"}
    assert found(cashier, sales, status="reserved", customer="caracas") == {"empresa"}
    assert found(cashier, sales, customer="maría") == {"maria", "paid"}


@pytest.mark.parametrize(("typed", "expected"), [
    ("V-12345678", {"maria"}),
    ("v12.345.678", {"maria"}),
    (" V 12345678 ", {"maria"}),
    ("V-12345679", {"mario"}),
    ("J-12345678-4", {"empresa"}),
    ("j123456784", {"empresa"}),
    ("12345678", set()),  # exact: the letter is part of the number
    ("V-1234567", set()),
])
def test_reserved_sales_are_found_by_id_number_however_it_was_typed(
        cashier, sales, typed, expected):
    assert found(cashier, sales, status="reserved", tax_id=typed) == expected


def test_reserved_sales_are_found_by_payment_deadline(cashier, sales):
    soon = (NOW + timedelta(hours=6)).isoformat()
    assert found(cashier, sales, status="reserved", deadline_before=soon) == {
        "maria", "walk_in"}
    assert found(cashier, sales, status="reserved",
                 deadline_after=(NOW + timedelta(days=1)).isoformat()) == {"mario", "empresa"}
    assert found(cashier, sales, deadline_after=(NOW + timedelta(hours=2)).isoformat(),
                 deadline_before=(NOW + timedelta(days=2)).isoformat()) == {"maria", "mario"}
    # At the deadline itself counts, on either side.
    assert found(cashier, sales, deadline_before=(NOW + timedelta(hours=5)).isoformat(),
                 deadline_after=(NOW + timedelta(hours=5)).isoformat()) == {"maria"}


def test_filters_combine_with_each_other_and_with_the_status(cashier, sales):
    assert found(cashier, sales, customer="pérez", tax_id="V-12345678") == {"maria", "paid"}
    assert found(cashier, sales, status="completed", customer="pérez",
                 tax_id="V-12345678") == {"paid"}
    assert found(cashier, sales, status="reserved", customer="pérez",
                 deadline_after=(NOW + timedelta(days=1)).isoformat()) == set()
    assert found(cashier, sales, status="reserved") == {
        "maria", "mario", "empresa", "walk_in"}
    assert found(cashier, sales, customer="", tax_id="") == set(sales)


def test_a_cashier_finds_only_their_own_sales(alpha, sales):
    assert found(api_client(alpha, "cashier2"), sales, status="reserved") == set()
    assert found(api_client(alpha, "admin"), sales, status="reserved", customer="mario") == {
        "mario"}


@pytest.mark.parametrize("params", [
    {"status": "paid"},
    {"status": "RESERVED"},
    {"deadline_before": "tomorrow"},
    {"deadline_after": "2030-13-01T00:00:00"},
    {"customer": "x" * 201},
    {"tax_id": "V" * 21},
    {"customer": "a\x00b"},
    {"q": "x" * 201},
    {"event": "first"},
    {"mine": "perhaps"},
])
def test_bad_filters_are_400_naming_the_parameter(cashier, sales, params):
    response = cashier.get("/api/transactions/", params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_the_filters_are_in_the_openapi_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = {p["name"]: p for p in schema["paths"]["/api/transactions/"]["get"][
        "parameters"]}
    assert {"status", "q", "customer", "tax_id", "event", "mine", "deadline_before",
            "deadline_after"} <= set(parameters)
    assert parameters["deadline_before"]["schema"]["format"] == "date-time"
    assert "reserved" in parameters["status"]["schema"]["enum"]


# --- One search box for the POS page's "Reservas" view (issue 17, item 1) ----------------


@pytest.mark.parametrize(("typed", "expected"), [
    ("pérez", {"maria"}),            # part of the name
    ("caracas", {"empresa"}),
    ("v12.345.678", {"maria"}),      # the ID number however typed
    ("12345679", {"mario"}),         # a cédula without its letter
    ("J-12345678-4", {"empresa"}),
    ("nobody", set()),
])
def test_one_search_box_finds_a_reservation_by_name_or_id_number(cashier, sales, typed,
                                                                 expected):
    assert found(cashier, sales, status="reserved", q=typed) == expected


def test_one_search_box_finds_a_reservation_by_its_number(cashier, sales):
    number = sales["walk_in"]
    assert found(cashier, sales, status="reserved", q=str(number)) == {"walk_in"}
    assert found(cashier, sales, status="reserved", q=f"#{number}") == {"walk_in"}
    # The number of a completed sale is no open reservation.
    assert found(cashier, sales, status="reserved", q=str(sales["paid"])) == set()


def test_the_list_names_the_customer_id_number_and_filters_by_event_and_own(alpha, sales):
    admin = api_client(alpha, "admin")
    response = admin.get("/api/transactions/", {"q": "mario"})
    (row,) = response.json()["results"]
    assert (row["customer_name"], row["customer_tax_id"]) == ("MARIO PEREZ", "V12345679")
    with tenant_context(alpha.tenant):
        event = Transaction.objects.get(pk=sales["maria"]).event_id
    assert found(admin, sales, event=event, status="reserved") == {
        "maria", "mario", "empresa", "walk_in"}
    assert found(admin, sales, event=event + 1000) == set()
    # A venue admin sees every sale; with mine=true only their own (none here).
    assert found(admin, sales, event=event, mine="true") == set()
    assert found(api_client(alpha, "cashier"), sales, event=event, mine="true") == set(sales)
