"""A ticket's QR code: its code signed for the tenant (sales.tickets), the same in the
API's answers and on the printed ticket."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context, tenant_context

from sales.tickets import ticket_from_qr
from tests.builders import make_event, sell_through_api, set_rate
from tests.conftest import api_client


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate()
        return make_event(rows="A", seats_per_row=4)


def test_every_ticket_of_a_sale_carries_a_qr_signed_for_the_tenant(alpha, setup):
    sale = sell_through_api(alpha, setup, "A1", "A2")
    for ticket in sale["tickets"]:
        code, _, signature = ticket["qr"].partition(":")
        assert code == ticket["code"] and len(signature) >= 40
        with schema_context(alpha.schema):
            assert ticket_from_qr(ticket["qr"]) == ticket["code"]
        with schema_context("beta"):  # another tenant's key: not theirs
            assert ticket_from_qr(ticket["qr"]) is None
    with schema_context(alpha.schema):
        assert ticket_from_qr(sale["tickets"][0]["code"]) is None  # a bare code
        forged = sale["tickets"][0]["code"] + ":" + "A" * 43
        assert ticket_from_qr(forged) is None


def test_the_printed_ticket_encodes_the_same_signed_string(alpha, setup, monkeypatch):
    from fiscal import printing

    sale = sell_through_api(alpha, setup, "A1")
    encoded = []
    monkeypatch.setattr(printing, "qr_svg_data_uri", lambda text: encoded.append(text) or "")
    response = api_client(alpha, "cashier").get(
        f"/api/fiscal/tickets/{sale['tickets'][0]['id']}/html/")
    assert response.status_code == 200
    assert encoded == [sale["tickets"][0]["qr"]]


