"""No invoice without an issuer (issue 15, item 7): until the venue has a legal name, a
RIF, a fiscal address and an exchange rate of the sale's currency, quotes and checkouts
answer 409 `fiscal_profile_incomplete` naming what is missing, and nothing is written;
`add_tenant` takes the identity and a rate as options, or says what is missing."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context, tenant_context

from fiscal.models import ExchangeRate, FiscalDocument, FiscalProfile, FiscalSeries
from fiscal.selectors import missing_for_invoicing
from sales.models import Payment, Transaction
from tenants.models import Tenant
from tests.builders import api_hold_id, complete_fiscal_profile, make_event, set_rate
from tests.conftest import TenantFixture, api_client

CHECKOUT_VES = {"payments": [{"method": "pago_movil", "currency": "VES", "amount": "1160.00",
                              "reference": "0102-555123"}]}


def blank_issuer(**blank: str) -> None:
    # Saved (not a queryset update): every process forgets the profile it remembered.
    profile = FiscalProfile.objects.get(pk=1)
    for name, value in blank.items():
        setattr(profile, name, value)
    profile.save()


def writes(hold_id: int) -> tuple:
    """Everything a checkout of the hold could have written."""
    tx = Transaction.objects.get(pk=hold_id)
    return (tx.status, Payment.objects.filter(transaction=tx).count(),
            FiscalDocument.objects.count(),
            list(FiscalSeries.objects.order_by("id").values_list("next_number", flat=True)))


@pytest.mark.parametrize(("blank", "no_rates", "missing"), [
    ({"legal_name": "", "rif": "", "fiscal_address": ""}, True,
     ["legal_name", "rif", "fiscal_address", "exchange_rate"]),
    ({"rif": ""}, False, ["rif"]),
    ({"legal_name": "", "fiscal_address": ""}, False, ["legal_name", "fiscal_address"]),
    ({}, True, ["exchange_rate"]),
])
def test_checkout_with_an_incomplete_fiscal_profile_is_409_naming_what_is_missing(
        alpha, cashier, blank, no_rates, missing):
    with tenant_context(alpha.tenant):
        set_rate("100.0000")
        setup = make_event(rows="A", seats_per_row=1, price="10.00")
    hold_id = api_hold_id(cashier, setup, "A1")
    with tenant_context(alpha.tenant):
        blank_issuer(**blank)
        if no_rates:
            ExchangeRate.objects.all().delete()
        before = writes(hold_id)
    response = cashier.post(f"/api/holds/{hold_id}/checkout/", CHECKOUT_VES, format="json")
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "fiscal_profile_incomplete"
    assert body["missing"] == missing
    assert "fiscal profile is complete" in body["detail"]
    if "exchange_rate" in missing:
        assert "a USD exchange rate" in body["detail"]
    with tenant_context(alpha.tenant):
        assert writes(hold_id) == before == ("pending", 0, before[2], before[3])


def test_a_quote_with_an_incomplete_fiscal_profile_is_refused_the_same_way(alpha, cashier):
    with tenant_context(alpha.tenant):
        set_rate("100.0000")
        setup = make_event(rows="A", seats_per_row=1, price="10.00")
        blank_issuer(legal_name="")
    hold_id = api_hold_id(cashier, setup, "A1")
    response = cashier.post(f"/api/holds/{hold_id}/quote/", {"payments": []}, format="json")
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["missing"]) == (
        "fiscal_profile_incomplete", ["legal_name"])


def test_a_bolivar_sale_needs_no_exchange_rate(alpha, cashier):
    with tenant_context(alpha.tenant):
        ExchangeRate.objects.all().delete()
        setup = make_event(rows="A", seats_per_row=1, price="1000.00", currency="VES")
    hold_id = api_hold_id(cashier, setup, "A1")
    response = cashier.post(f"/api/holds/{hold_id}/checkout/", CHECKOUT_VES, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["transaction"]["status"] == "completed"


def test_rates_on_file_but_none_for_the_day_is_still_exchange_rate_missing(alpha, cashier):
    with tenant_context(alpha.tenant):
        ExchangeRate.objects.all().delete()
        setup = make_event(rows="A", seats_per_row=1, price="10.00")
    hold_id = api_hold_id(cashier, setup, "A1")
    with tenant_context(alpha.tenant):
        set_rate("100.0000", on=date(2020, 1, 2))
    response = cashier.post(f"/api/holds/{hold_id}/checkout/", CHECKOUT_VES, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "exchange_rate_missing"


# --- add_tenant ---------------------------------------------------------------------


def add_tenant(schema: str, *options: str) -> str:
    out = StringIO()
    call_command("add_tenant", schema, "--domain", f"{schema}.localhost", "--admin", "boss",
                 "--password", "a-good-pass-1", *options, stdout=out)
    return out.getvalue()


def test_add_tenant_with_the_fiscal_options_issues_invoices_naming_the_issuer(db, tenants):
    out = add_tenant("teatro", "--legal-name", "Teatro Nuevo, C.A.", "--rif", "j123456784",
                     "--fiscal-address", "Av. Bolívar, Valencia", "--rate", "USD=36.5")
    assert "Fiscal profile complete" in out
    tenant = TenantFixture(tenant=Tenant.objects.get(schema_name="teatro"),
                           host="teatro.localhost")
    with tenant_context(tenant.tenant):
        setup = make_event(rows="A", seats_per_row=1, price="10.00")
    boss = api_client(tenant, "boss")
    hold_id = api_hold_id(boss, setup, "A1")
    # USD 10 at Bs 36.5: base 365.00 + IVA 58.40.
    response = boss.post(f"/api/holds/{hold_id}/checkout/", {"payments": [
        {"method": "pago_movil", "currency": "VES", "amount": "423.40",
         "reference": "0102-555123"}]}, format="json")
    assert response.status_code == 200, response.json()
    invoice = response.json()["transaction"]["invoice"]
    document = boss.get(f"/api/fiscal/documents/{invoice['id']}/").json()
    assert (document["issuer_name"], document["issuer_rif"], document["issuer_address"]) == (
        "Teatro Nuevo, C.A.", "J-12345678-4", "Av. Bolívar, Valencia")
    assert document["exchange_rate"] == "36.500000"


def test_add_tenant_without_the_fiscal_options_creates_it_and_prints_what_is_missing(
        db, tenants):
    out = add_tenant("teatro2", "--legal-name", "Teatro Dos, C.A.")
    assert Tenant.objects.filter(schema_name="teatro2").exists()
    assert "missing: RIF, fiscal address, a USD exchange rate" in out
    assert "--rif, --fiscal-address, --rate USD=RATE" in out
    with schema_context("teatro2"):
        assert missing_for_invoicing() == ["rif", "fiscal_address", "exchange_rate"]
        assert FiscalProfile.objects.get(pk=1).legal_name == "Teatro Dos, C.A."


@pytest.mark.parametrize(("options", "message"), [
    (["--rif", "J-12345678-9"], "check digit"),
    (["--rif", "12345"], "A RIF is a letter"),
    (["--rate", "USD=1e1"], "USD=36.5"),
    (["--rate", "USD=0"], "positive"),
    (["--rate", "XYZ=36.5"], "Unknown foreign currency"),
    (["--legal-name", "x" * 201], "at most 200 characters"),
])
def test_add_tenant_with_a_bad_fiscal_option_creates_nothing(db, tenants, options, message):
    with pytest.raises(CommandError, match=message):
        add_tenant("teatro3", *options)
    assert not Tenant.objects.filter(schema_name="teatro3").exists()


def test_the_demo_catalogue_fills_a_blank_fiscal_identity(alpha):
    from sales.demo import DEMO_ISSUER, ensure_demo_catalogue

    with tenant_context(alpha.tenant):
        blank_issuer(legal_name="", rif="", fiscal_address="")
        ExchangeRate.objects.all().delete()
        ensure_demo_catalogue()
        assert missing_for_invoicing() == []
        assert FiscalProfile.objects.get(pk=1).legal_name == DEMO_ISSUER["legal_name"]
        # An identity a venue admin changed stays as it is.
        complete_fiscal_profile(legal_name="Teatro Cambiado, C.A.")
        ensure_demo_catalogue()
        assert FiscalProfile.objects.get(pk=1).legal_name == "Teatro Cambiado, C.A."
