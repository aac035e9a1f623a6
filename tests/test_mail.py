"""E-mail (sales.mail) delivered through a real SMTP server (aiosmtpd) the test starts on
a free port, with Django's SMTP backend pointed at it; the messages are parsed with the
`email` package. Tasks run eagerly (in this process, on the test's transaction)."""

from __future__ import annotations

import email
import os
import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pypdfium2
import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tenants.utils import tenant_context

from pos.celery import app as celery_app
from reservations import services as hold_services
from reservations.models import Alert
from sales.mail import tasks
from sales.mail.models import AlertSubscription, OutgoingMail
from sales.models import Ticket, Transaction
from sales.tickets import ticket_from_qr
from tests.builders import (
    api_hold_id,
    change_tenant_settings,
    make_event,
    payment,
    set_rate,
    user,
)
from tests.conftest import api_client
from tests.processes import free_port

CUSTOMER = "ana@example.com"
QR = re.compile(r"([A-HJ-NP-Z2-9]{16}:[A-Za-z0-9_-]{43})")


class Inbox:
    """The SMTP server's handler: keeps what it received; can refuse an address (550)
    or answer the next DATA commands with a temporary failure (451)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()
        self.tempfail_next = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.tempfail_next:
            self.tempfail_next -= 1
            return "451 4.3.0 Try again later"
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted"


@pytest.fixture
def smtp(settings) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_TIMEOUT = 5
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate()
        return make_event(rows="A", seats_per_row=6, ga_capacity=10)


def checkout(client, hold_id: int, amount: str, *, reserve: bool = False,
             customer_email: str = CUSTOMER):
    body = {"payments": [payment("pago_movil", "VES", amount)], "reserve": reserve}
    if customer_email:
        body["customer"] = {"name": "Ana Pérez", "email": customer_email}
    answer = client.post(f"/api/holds/{hold_id}/checkout/", body, format="json")
    assert answer.status_code == 200, answer.json()
    return answer.json()["transaction"]


def sell(client, setup, *labels: str, zones=None, customer_email: str = CUSTOMER) -> int:
    hold_id = api_hold_id(client, setup, *labels, zones=zones)
    due = client.get(f"/api/holds/{hold_id}/").json()["amounts_due"]["VES"]
    checkout(client, hold_id, due, customer_email=customer_email)
    return hold_id


def reserve(client, setup, label: str, *, customer_email: str = CUSTOMER) -> int:
    hold_id = api_hold_id(client, setup, label)
    checkout(client, hold_id, "1000.00", reserve=True, customer_email=customer_email)
    return hold_id


def attachment(message: EmailMessage) -> bytes:
    [pdf] = [part for part in message.iter_attachments()
             if part.get_content_type() == "application/pdf"]
    return pdf.get_content()


def pdf_pages_text(data: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def keep_for_review(pdf: bytes, name: str) -> None:
    """The PDF and its first page as PNG, under $POS_TEST_ARTIFACTS/screenshots/."""
    folder = Path(os.environ.get("POS_TEST_ARTIFACTS", "test-artifacts")) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.pdf").write_bytes(pdf)
    document = pypdfium2.PdfDocument(pdf)
    try:
        document[0].render(scale=2).to_pil().save(folder / f"{name}-page1.png")
    finally:
        document.close()


def outbox(tenant) -> list[OutgoingMail]:
    with tenant_context(tenant):
        return list(OutgoingMail.objects.order_by("id"))


def run_dispatch(alpha) -> None:
    """The beat job, in alpha's schema only (from the public schema it visits every
    tenant, the concurrency tests' committed ones too)."""
    with tenant_context(alpha.tenant):
        tasks.dispatch.apply().get()


# --- Tickets -------------------------------------------------------------------------


def test_a_sale_with_an_email_delivers_its_tickets_one_pdf_page_per_ticket(
        alpha, setup, cashier, smtp, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tx_id = sell(cashier, setup, "A1", "A2",
                     zones=[{"zone": setup.ga_zone.pk, "quantity": 1}])
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == CUSTOMER
    assert message["Subject"] == f"Tus entradas para {setup.event.name}"
    text = message.get_body(("plain",)).get_content()
    assert "Hola Ana Pérez," in text
    assert "Platea A1, Platea A2, General" in text
    assert re.search(r"Total: Bs\. [\d.]+,\d\d / USD \d+,\d\d", text), text
    html = message.get_body(("html",)).get_content()
    assert "<td>Platea A1, Platea A2, General</td>" in html
    pdf = attachment(message)
    pages = pdf_pages_text(pdf)
    assert len(pages) == 3  # one page per ticket
    keep_for_review(pdf, "mail-tickets")
    with tenant_context(alpha.tenant):
        codes = set(Ticket.objects.filter(transaction_id=tx_id).values_list("code", flat=True))
        scanned = {ticket_from_qr(QR.search("".join(page.split())).group(1))
                   for page in pages}
    assert scanned == codes  # each page's QR text is one of the sale's tickets, signed
    [mail] = outbox(alpha.tenant)
    assert (mail.kind, mail.status, mail.attempts) == ("tickets", "sent", 1)


def test_a_sale_without_an_email_queues_nothing(alpha, setup, cashier, smtp, eager,
                                               monkeypatch,
                                               django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(tasks.send_customer_mail, "apply_async",
                        lambda *a, **kw: queued.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        sell(cashier, setup, "A3", customer_email="")
    assert queued == [] and smtp.messages == [] and outbox(alpha.tenant) == []


def test_the_task_run_twice_sends_once(alpha, setup, cashier, smtp, eager,
                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tx_id = sell(cashier, setup, "A4")
    with tenant_context(alpha.tenant):
        again = tasks.send_customer_mail.apply(
            kwargs={"kind": "tickets", "transaction_id": tx_id}).get()
    assert again == "sent"
    assert len(smtp.messages) == 1
    assert len(outbox(alpha.tenant)) == 1


def test_smtp_down_then_up_is_retried_and_delivered(alpha, setup, cashier, smtp, settings,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the task is run below
        tx_id = sell(cashier, setup, "A5")
    up = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nobody listens there: the server is "down"
    assert OSError in tasks.send_customer_mail.autoretry_for  # so Celery retries
    with tenant_context(alpha.tenant):
        with pytest.raises(ConnectionRefusedError):
            tasks.send_customer_mail(kind="tickets", transaction_id=tx_id)
        [mail] = outbox(alpha.tenant)
        assert (mail.status, mail.attempts) == ("queued", 1)
        assert "ConnectionRefusedError" in mail.last_error
        settings.EMAIL_PORT = up  # the server is back: the retry delivers
        assert tasks.send_customer_mail(kind="tickets", transaction_id=tx_id) == "sent"
    [mail] = outbox(alpha.tenant)
    assert (mail.status, mail.attempts) == ("sent", 2)
    assert len(smtp.messages) == 1


def test_a_temporary_refusal_is_retried_by_celery(alpha, setup, cashier, smtp, eager,
                                                  django_capture_on_commit_callbacks):
    smtp.tempfail_next = 1  # 451 once
    # Celery's eager apply() re-runs a retried task itself unless errors propagate.
    celery_app.conf.task_eager_propagates = False
    with django_capture_on_commit_callbacks(execute=True):
        sell(cashier, setup, "A6")
    [mail] = outbox(alpha.tenant)
    assert (mail.status, mail.attempts) == ("sent", 2)
    assert len(smtp.messages) == 1


def test_a_refused_address_is_final_and_recorded(alpha, setup, cashier, smtp, eager,
                                                 django_capture_on_commit_callbacks):
    smtp.refused.add("nobody@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        sell(cashier, setup, "A1", customer_email="nobody@example.com")
    [mail] = outbox(alpha.tenant)
    assert (mail.status, mail.attempts) == ("failed", 1)
    assert "550" in mail.last_error and "No such mailbox" in mail.last_error
    assert smtp.messages == []


def test_english_when_the_tenant_writes_in_english(alpha, setup, cashier, smtp, eager,
                                                   django_capture_on_commit_callbacks):
    change_tenant_settings(alpha.tenant, mail_language="en")
    with tenant_context(alpha.tenant):
        setup.event.name = "Rock & Roll"
        setup.event.save(update_fields=["name"])
    with django_capture_on_commit_callbacks(execute=True):
        sell(cashier, setup, "A2")
    [message] = smtp.messages
    assert message["Subject"] == "Your tickets for Rock & Roll"  # not "&amp;"
    text = message.get_body(("plain",)).get_content()
    assert "Hello Ana Pérez,\r\n\r\nHere is your ticket for Rock & Roll." in text
    assert "<td>Rock &amp; Roll</td>" in message.get_body(("html",)).get_content()
    assert re.search(r"Total: Bs [\d,]+\.\d\d / USD \d+\.\d\d", text), text


# --- Reservations: reminder and lapse ------------------------------------------------


def test_a_reservation_is_reminded_once_hours_before_its_deadline(
        alpha, setup, cashier, smtp, eager, django_capture_on_commit_callbacks):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        reminded = reserve(cashier, setup, "A1")
        paid_off = reserve(cashier, setup, "A2")
        cancelled = reserve(cashier, setup, "A3")
        no_email = reserve(cashier, setup, "A4", customer_email="")
    admin = api_client(alpha, "admin")
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        rest = cashier.get(f"/api/transactions/{paid_off}/").json()["amounts_due"]["VES"]
        with django_capture_on_commit_callbacks(execute=True):
            assert cashier.post(f"/api/transactions/{paid_off}/payments/",
                                {"payments": [payment("pago_movil", "VES", rest)]},
                                format="json").status_code == 200
            assert admin.post(f"/api/transactions/{cancelled}/cancel/",
                              {"reason": "customer called"},
                              format="json").status_code == 200
    smtp.messages.clear()  # the paid-off sale's tickets
    # The deadline is 72 h after the reservation; the reminder 24 h before it.
    with time_machine.travel(start + timedelta(hours=47), tick=False):
        run_dispatch(alpha)
    assert smtp.messages == []
    with time_machine.travel(start + timedelta(hours=49), tick=False):
        with tenant_context(alpha.tenant):
            set_rate()  # the day's rate, as the box office would have
        run_dispatch(alpha)
        run_dispatch(alpha)
    with time_machine.travel(start + timedelta(hours=60), tick=False):
        run_dispatch(alpha)
    assert len(smtp.messages) == 1
    [message] = smtp.messages
    assert message["To"] == CUSTOMER
    # (a long encoded subject is folded: the parser keeps the fold's space in front)
    assert message["Subject"].strip().startswith(f"Tu reservación para {setup.event.name} vence el")
    text = message.get_body(("plain",)).get_content()
    assert re.search(r"Saldo pendiente: Bs\. [\d.]+,\d\d / USD \d+,\d\d", text), text
    assert "Platea A1" in text
    with tenant_context(alpha.tenant):
        reminders = OutgoingMail.objects.filter(kind="reminder")
        assert [m.transaction_id for m in reminders] == [reminded]
        assert Transaction.objects.get(pk=no_email).status == "reserved"


def test_no_reminders_when_the_setting_is_zero(alpha, setup, cashier, smtp, eager):
    change_tenant_settings(alpha.tenant, reservation_reminder_hours=0)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        reserve(cashier, setup, "A5")
    with time_machine.travel(start + timedelta(hours=71), tick=False):
        run_dispatch(alpha)
    assert smtp.messages == [] and outbox(alpha.tenant) == []


def test_the_reminder_hours_setting_is_validated(alpha):
    admin = api_client(alpha, "admin")
    bad = admin.patch("/api/settings/", {"reservation_reminder_hours": 169}, format="json")
    assert bad.status_code == 400 and "reservation_reminder_hours" in bad.json()
    bad = admin.patch("/api/settings/", {"mail_language": "fr"}, format="json")
    assert bad.status_code == 400 and "mail_language" in bad.json()
    good = admin.patch("/api/settings/", {"reservation_reminder_hours": 0}, format="json")
    assert good.status_code == 200 and good.json()["reservation_reminder_hours"] == 0


def test_a_lapsed_reservation_tells_its_customer(alpha, setup, cashier, smtp, eager,
                                                 django_capture_on_commit_callbacks):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        tx_id = reserve(cashier, setup, "A6")
    with (time_machine.travel(start + timedelta(hours=73), tick=False),
          tenant_context(alpha.tenant), django_capture_on_commit_callbacks(execute=True)):
        hold_services.expire_stale_holds()
    [message] = smtp.messages
    assert message["Subject"] == f"Tu reservación para {setup.event.name} ha vencido"
    assert "sus asientos vuelven a estar a la venta" in message.get_body(
        ("plain",)).get_content()
    with tenant_context(alpha.tenant):
        assert OutgoingMail.objects.get(kind="lapsed").transaction_id == tx_id


# --- Operators' alerts ---------------------------------------------------------------


def _give_email(alpha, username: str, address: str) -> None:
    with tenant_context(alpha.tenant):
        person = user(username)
        person.email = address
        person.save(update_fields=["email"])


def test_a_subscribed_operator_gets_the_alert_and_others_do_not(alpha, smtp, eager):
    _give_email(alpha, "operator", "ops@example.com")
    _give_email(alpha, "admin", "boss@example.com")  # not subscribed
    operator = api_client(alpha, "operator")
    answer = operator.put("/api/me/alert-subscriptions/", {"kinds": ["contested_seat"]},
                          format="json")
    assert answer.status_code == 200, answer.json()
    with tenant_context(alpha.tenant):
        Alert.objects.create(key="contested:1:test", kind=Alert.Kind.CONTESTED_SEAT,
                             message="Seat A1 (Gala) was refused to cashiers 4 times.")
        Alert.objects.create(key="abandonment:1", kind=Alert.Kind.HIGH_ABANDONMENT,
                             message="7 of 10 holds were abandoned.")
    run_dispatch(alpha)
    run_dispatch(alpha)
    [message] = smtp.messages
    assert message["To"] == "ops@example.com"
    assert message["Subject"] == "Alerta: Asiento disputado por varios cajeros"
    assert "Seat A1 (Gala) was refused" in message.get_body(("plain",)).get_content()


def test_alert_subscriptions_api_roles_and_bad_input(alpha):
    for username in ("cashier", "door"):
        refused = api_client(alpha, username).get("/api/me/alert-subscriptions/")
        assert refused.status_code == 403, username
    operator = api_client(alpha, "operator")
    listed = operator.get("/api/me/alert-subscriptions/").json()
    assert [(s["kind"], s["subscribed"]) for s in listed["subscriptions"]] == [
        ("payment_deadline", False), ("contested_seat", False), ("high_abandonment", False)]
    bad = operator.put("/api/me/alert-subscriptions/", {"kinds": ["seat_fire"]},
                       format="json")
    assert bad.status_code == 400
    assert bad.json() == {"kinds": {"0": ['"seat_fire" is not a valid choice.']}}
    assert operator.put("/api/me/alert-subscriptions/", {"kinds": "contested_seat"},
                        format="json").status_code == 400
    assert operator.put("/api/me/alert-subscriptions/", {}, format="json").status_code == 400
    set_two = operator.put("/api/me/alert-subscriptions/",
                           {"kinds": ["high_abandonment", "contested_seat"]}, format="json")
    assert set_two.status_code == 200
    assert {s["kind"] for s in set_two.json()["subscriptions"] if s["subscribed"]} == {
        "high_abandonment", "contested_seat"}
    # A venue admin sets their own, never the operator's.
    admin = api_client(alpha, "admin")
    assert admin.put("/api/me/alert-subscriptions/", {"kinds": []},
                     format="json").status_code == 200
    with tenant_context(alpha.tenant):
        assert set(AlertSubscription.objects.values_list("user__username", "kind")) == {
            ("operator", "high_abandonment"), ("operator", "contested_seat")}
