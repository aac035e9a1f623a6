"""Reads of the e-mail app: what is due to be sent, and a user's alert subscriptions."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser

from reservations.models import Alert
from sales.mail.models import AlertSubscription, OutgoingMail
from sales.models import Transaction
from tenants.roles import Role, roles_of
from tenants.services import current_tenant_settings

# Alerts older than this when the job first sees them are not e-mailed (a subscription
# made today does not bring yesterday's alerts; a stopped worker does not flood).
ALERT_MAIL_WINDOW = timedelta(hours=1)
# Who may subscribe to alerts and receive them.
ALERT_ROLES = frozenset({Role.OPERATOR, Role.VENUE_ADMIN})


def reminder_key(transaction_id: int, deadline: datetime) -> str:
    return f"reminder:{transaction_id}:{deadline.timestamp():.0f}"


def reminders_due(*, now: datetime) -> list[tuple[int, datetime]]:
    """(transaction, deadline) of the reserved sales with a customer e-mail whose
    deadline is within the tenant's `reservation_reminder_hours` and that were not
    reminded of that deadline yet (an extended deadline is reminded again)."""
    hours = current_tenant_settings().reservation_reminder_hours
    if not hours:
        return []
    candidates = list(
        Transaction.objects.filter(status=Transaction.Status.RESERVED,
                                   payment_deadline__gt=now,
                                   payment_deadline__lte=now + timedelta(hours=hours))
        .exclude(customer_email="").order_by("payment_deadline", "id")
        .values_list("id", "payment_deadline"))
    keys = {reminder_key(tx_id, deadline): (tx_id, deadline) for tx_id, deadline in candidates}
    sent = set(OutgoingMail.objects.filter(key__in=list(keys)).values_list("key", flat=True))
    return [due for key, due in keys.items() if key not in sent]


def alert_key(alert_id: int, user_id: int) -> str:
    return f"alert:{alert_id}:{user_id}"


def alert_mails_due(*, now: datetime) -> list[tuple[Alert, AbstractBaseUser]]:
    """(alert, user) for each open alert of the last hour and each active user with an
    e-mail address and an alerts role subscribed to its kind since before it was
    raised, not e-mailed yet."""
    alerts = list(Alert.objects.filter(status=Alert.Status.OPEN,
                                       created_at__gte=now - ALERT_MAIL_WINDOW))
    if not alerts:
        return []
    subscriptions = list(
        AlertSubscription.objects.filter(kind__in={a.kind for a in alerts},
                                         user__is_active=True)
        .exclude(user__email="").select_related("user"))
    users = {s.user_id: s.user for s in subscriptions if roles_of(s.user) & ALERT_ROLES}
    pairs = {alert_key(alert.pk, s.user_id): (alert, users[s.user_id])
             for alert in alerts for s in subscriptions
             if s.kind == alert.kind and s.user_id in users and s.created_at <= alert.created_at}
    sent = set(OutgoingMail.objects.filter(key__in=list(pairs)).values_list("key", flat=True))
    return [pair for key, pair in pairs.items() if key not in sent]


def stale_queued_mail(*, now: datetime, older_than: timedelta) -> list[int]:
    """E-mails recorded by the job but never tried (their task was lost with the broker):
    the job queues them again."""
    return list(OutgoingMail.objects.filter(status=OutgoingMail.Status.QUEUED, attempts=0,
                                            created_at__lt=now - older_than)
                .order_by("id").values_list("id", flat=True)[:500])


def subscriptions_of(user: AbstractBaseUser) -> list[dict[str, object]]:
    """Every alert kind, and whether `user` is subscribed to it."""
    mine = set(AlertSubscription.objects.filter(user=user).values_list("kind", flat=True))
    return [{"kind": kind, "label": label, "subscribed": kind in mine}
            for kind, label in Alert.Kind.choices]
