"""Reads of the check-in log: who scanned what, how full each zone is, and the signed
list an offline gate admits from."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from fiscal.models import VoidedTicket
from sales.checkin import keys
from sales.checkin.errors import EventNotFound
from sales.models import CheckinScan, Event, Ticket, Zone
from sales.tickets import ticket_qr
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


def checkin_list(*, event_id: int, now: datetime | None = None) -> dict[str, Any]:
    """What a gate needs to admit the event's ticket holders offline, signed for the
    tenant (sales.checkin.keys): `{"list": {...}, "signature", "algorithm", "public_key",
    "key_id"}`. The list names each ticket by the SHA-256 of its QR string (a lost device
    leaks no QR that would enter), with its zone, seat, `max_entries`, `status` (`valid`
    or `void`) and the admissions and inside-ness already recorded. Three queries."""
    event = Event.objects.filter(pk=event_id).only("id", "name", "starts_at").first()
    if event is None:
        raise EventNotFound()
    tickets = (Ticket.objects.filter(event_id=event_id).order_by("id")
               .select_related("zone", "seat")
               .only("id", "code", "zone__name", "zone__max_entries", "seat__label")
               .annotate(
                   is_void=Exists(VoidedTicket.objects.filter(ticket_id=OuterRef("pk"))),
                   admitted=Count("scans", filter=Q(
                       scans__result=CheckinScan.Result.ADMITTED)),
                   exited=Count("scans", filter=Q(scans__result=CheckinScan.Result.EXITED))))
    schema = connection.schema_name
    entries = [{
        "qr_sha256": hashlib.sha256(ticket_qr(t, schema=schema).encode()).hexdigest(),
        "ticket": t.pk,
        "zone": t.zone.name,
        "seat": t.seat.label if t.seat_id else None,
        "max_entries": t.zone.max_entries,
        "status": "void" if t.is_void else "valid",
        "entries": t.admitted,
        "inside": t.admitted > t.exited,
    } for t in tickets]
    payload = {
        "event": event.pk,
        "event_name": event.name,
        "generated_at": timezone.localtime(now or timezone.now()).isoformat(),
        "tickets": entries,
    }
    return {"list": payload, "signature": keys.sign(payload, schema=schema),
            **keys.public_key_info(schema)}


def door_events(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """The events a gate may admit to: not drafts, starting from yesterday on (an event
    that began last night is still at the door), soonest first, at most 20."""
    since = (now or timezone.now()) - timedelta(days=1)
    events = (Event.objects.exclude(status=Event.Status.DRAFT)
              .filter(starts_at__gte=since).order_by("starts_at", "id")[:20])
    return [{"id": e.pk, "name": e.name,
             "starts_at": timezone.localtime(e.starts_at).isoformat()}
            for e in events]
