"""Reads of the check-in log: who scanned what, and how full each zone is."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet

from sales.checkin.errors import EventNotFound
from sales.models import CheckinScan, Event, Zone
from tenants.permissions import sees_every_scan


def scans_visible_to(user: AbstractBaseUser) -> QuerySet[CheckinScan]:
    """The scans a user may read, newest first: door staff their own, venue admins every
    one (tenants.permissions.EVERY_SCAN)."""
    queryset = CheckinScan.objects.select_related("user", "ticket__zone")
    if sees_every_scan(user):
        return queryset
    return queryset.filter(user=user)


def checkin_stats(*, event_id: int) -> dict[str, Any]:
    """Per zone of the event: `expected`, its tickets not voided, and `admitted`, those of
    them admitted at least once. One query for the zones, one for the event."""
    event = Event.objects.filter(pk=event_id).only("id", "name").first()
    if event is None:
        raise EventNotFound()
    valid = Q(tickets__voided__isnull=True)
    zones = list(Zone.objects.filter(event_id=event_id).order_by("id").annotate(
        expected=Count("tickets", filter=valid, distinct=True),
        admitted=Count("tickets", filter=valid & Q(
            tickets__scans__result=CheckinScan.Result.ADMITTED), distinct=True),
    ).values("id", "name", "expected", "admitted"))
    return {
        "event": event.pk,
        "zones": [{"zone": z["id"], "name": z["name"], "expected": z["expected"],
                   "admitted": z["admitted"]} for z in zones],
        "expected": sum(z["expected"] for z in zones),
        "admitted": sum(z["admitted"] for z in zones),
    }
