"""Writes of the e-mail app: record an e-mail once (its unique key), send it, record
what came of it; set a user's alert subscriptions. Sending happens in Celery tasks
(sales.mail.tasks), never in a request nor under a row lock.

Delivery is at least once per key, at most once once it succeeded: a row is claimed
(`queued` → `sending`) before the SMTP conversation, so a task delivered twice finds it
taken or sent; a worker that died mid-send leaves a claim that lapses after
CLAIM_TIMEOUT and is tried again."""

from __future__ import annotations

import smtplib
from collections.abc import Iterable
from datetime import datetime, timedelta

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from reservations.models import Alert
from sales.mail import messages, selectors
from sales.mail.errors import UnknownAlertKind
from sales.mail.models import AlertSubscription, OutgoingMail
from sales.models import Transaction
from tenants.services import current_tenant_settings

logger = structlog.get_logger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=10)
# Errors worth trying again later: the server unreachable, a dropped connection, a
# temporary (4xx) refusal. A permanent (5xx) refusal of the address is final.
RETRYABLE: tuple[type[Exception], ...] = (smtplib.SMTPException, OSError)


def _customer_key(kind: str, transaction_id: int, deadline: datetime | None) -> str:
    if kind == OutgoingMail.Kind.REMINDER:
        if deadline is None:
            raise ValueError("A reminder names the deadline it reminds of.")
        return selectors.reminder_key(transaction_id, deadline)
    return f"{kind}:{transaction_id}"


def record_customer_mail(
    *, kind: str, transaction_id: int, deadline: datetime | None = None,
) -> OutgoingMail | None:
    """The e-mail of this kind to the sale's customer, recorded once (a second call
    returns the same row); None when the sale has no customer e-mail."""
    tx = Transaction.objects.filter(pk=transaction_id).only("id", "customer_email").first()
    if tx is None or not tx.customer_email:
        return None
    mail, _ = OutgoingMail.objects.get_or_create(
        key=_customer_key(kind, transaction_id, deadline),
        defaults={"kind": kind, "transaction": tx, "recipient": tx.customer_email,
                  "language": current_tenant_settings().mail_language},
    )
    return mail


def record_alert_mail(*, alert: Alert, user: AbstractBaseUser) -> OutgoingMail | None:
    """The e-mail of `alert` to `user`, recorded once; None when it already was."""
    try:
        with transaction.atomic():
            return OutgoingMail.objects.create(
                key=selectors.alert_key(alert.pk, user.pk), kind=OutgoingMail.Kind.ALERT,
                alert=alert, recipient=user.email, language=_user_language(user))
    except IntegrityError:  # another run recorded it first
        return None


def _user_language(user: AbstractBaseUser) -> str:
    # Operators read the tenant's language; staff have no language of their own yet.
    return current_tenant_settings().mail_language


def record_due_mail(*, now: datetime | None = None) -> list[int]:
    """Record the reminders now due and the alert e-mails not yet sent in this schema;
    the ids of the rows to send (with those recorded earlier whose task was lost)."""
    now = now or timezone.now()
    ids = []
    for transaction_id, deadline in selectors.reminders_due(now=now):
        mail = record_customer_mail(kind=OutgoingMail.Kind.REMINDER,
                                    transaction_id=transaction_id, deadline=deadline)
        if mail is not None and mail.status == OutgoingMail.Status.QUEUED:
            ids.append(mail.pk)
    for alert, user in selectors.alert_mails_due(now=now):
        mail = record_alert_mail(alert=alert, user=user)
        if mail is not None:
            ids.append(mail.pk)
    ids += [pk for pk in selectors.stale_queued_mail(now=now, older_than=CLAIM_TIMEOUT)
            if pk not in ids]
    return ids


def _claim(mail_id: int, now: datetime) -> OutgoingMail | None:
    claimable = Q(status=OutgoingMail.Status.QUEUED) | Q(
        status=OutgoingMail.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    taken = OutgoingMail.objects.filter(claimable, pk=mail_id).update(
        status=OutgoingMail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    return OutgoingMail.objects.select_related("transaction", "alert").get(pk=mail_id) \
        if taken else None


def _finish(mail: OutgoingMail, status: str, error: str = "") -> str:
    OutgoingMail.objects.filter(pk=mail.pk).update(
        status=status, last_error=error[:500],
        sent_at=timezone.now() if status == OutgoingMail.Status.SENT else None)
    logger.info("mail.finished", mail=mail.pk, kind=mail.kind, status=status,
                attempts=mail.attempts, error=error[:200] or None)
    return status


def _permanent(exc: Exception) -> bool:
    """A 5xx answer: the server will never take this message (an unknown mailbox, a
    refused sender or content)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


def deliver(mail_id: int, *, last_attempt: bool = False) -> str:
    """Send the recorded e-mail unless it was sent, skipped or failed for good, and
    record the outcome; the row's status is returned. A retryable error is recorded and
    raised again (the task retries) unless this is the `last_attempt` (then: failed)."""
    now = timezone.now()
    mail = _claim(mail_id, now)
    if mail is None:
        return OutgoingMail.objects.filter(pk=mail_id).values_list("status", flat=True) \
            .first() or "missing"
    try:
        message = messages.build(mail, now=now)
        if message is None:
            return _finish(mail, OutgoingMail.Status.SKIPPED)
        message.send(fail_silently=False)
    except RETRYABLE as exc:
        error = f"{exc.__class__.__name__}: {exc}"
        if _permanent(exc):
            return _finish(mail, OutgoingMail.Status.FAILED, error)
        _finish(mail, OutgoingMail.Status.FAILED if last_attempt else OutgoingMail.Status.QUEUED,
                error)
        raise
    except Exception as exc:  # a bug in building it: recorded, tried again later
        _finish(mail, OutgoingMail.Status.FAILED if last_attempt else OutgoingMail.Status.QUEUED,
                f"{exc.__class__.__name__}: {exc}")
        raise
    return _finish(mail, OutgoingMail.Status.SENT)


def set_alert_subscriptions(*, user: AbstractBaseUser, kinds: Iterable[str]) -> None:
    """Subscribe `user` to exactly these alert kinds (the others are dropped); a kind
    kept keeps its subscription's date."""
    wanted = set(kinds)
    unknown = wanted - set(Alert.Kind.values)
    if unknown:
        raise UnknownAlertKind(sorted(unknown))
    with transaction.atomic():
        AlertSubscription.objects.filter(user=user).exclude(kind__in=wanted).delete()
        AlertSubscription.objects.bulk_create(
            [AlertSubscription(user=user, kind=kind) for kind in sorted(wanted)],
            ignore_conflicts=True)
    logger.info("mail.alert_subscriptions_set", user=user.pk, kinds=sorted(wanted))
