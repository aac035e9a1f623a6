"""The door's actions: admit a ticket, record its exit. Each scan is one transaction that
locks the ticket (sales.checkin.lock_objects), decides, and logs the scan whatever the
decision: a refusal is logged in the same transaction and raised only after it commits,
so the log keeps refusals as well as admissions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from fiscal.models import VoidedTicket
from pos.concurrency import retry_on_conflict
from sales.checkin.errors import (
    AlreadyAdmitted,
    CheckinRefused,
    NotInside,
    TicketVoid,
    UnknownTicket,
    WrongEvent,
)
from sales.checkin.lock_objects import lock_ticket
from sales.models import CheckinScan, Ticket
from sales.tickets import MAX_QR_LENGTH, ticket_from_qr

logger = structlog.get_logger(__name__)

Result = CheckinScan.Result
Action = CheckinScan.Action


@dataclass(frozen=True)
class ScanOutcome:
    """What a scan did: the logged scan, its ticket and the ticket's admissions so far."""

    scan: CheckinScan
    ticket: Ticket
    entries: int


def _counts(ticket: Ticket) -> tuple[int, int]:
    """(admissions, exits) of the ticket so far (read under its lock)."""
    rows = dict(ticket.scans.filter(result__in=[Result.ADMITTED, Result.EXITED])
                .order_by().values("result").annotate(n=Count("id"))
                .values_list("result", "n"))
    return rows.get(Result.ADMITTED, 0), rows.get(Result.EXITED, 0)


def _already_admitted(ticket: Ticket) -> AlreadyAdmitted:
    first = (ticket.scans.filter(result=Result.ADMITTED).select_related("user")
             .order_by("created_at", "id").first())
    return AlreadyAdmitted(first_admitted_at=first.created_at.isoformat(),
                           gate=first.gate, by=first.user.username)


def _decide(ticket: Ticket | None, *, action: str, event_id: int | None) -> int:
    """The ticket's admissions after the scan, or the refusal raised."""
    if ticket is None:
        raise UnknownTicket()
    if event_id is not None and ticket.event_id != event_id:
        raise WrongEvent(ticket_event=ticket.event_id)
    if VoidedTicket.objects.filter(ticket_id=ticket.pk).exists():
        raise TicketVoid()
    entries, exits = _counts(ticket)
    inside = entries > exits
    if action == Action.EXIT:
        if not inside:
            raise NotInside(entries=entries)
        return entries
    if inside or entries >= ticket.zone.max_entries:
        raise _already_admitted(ticket)
    return entries + 1


@retry_on_conflict
def _scan(*, user: AbstractBaseUser, text: str, action: str, gate: str, device: str,
          event_id: int | None, now: datetime) -> tuple[CheckinScan, Ticket | None, int,
                                                         CheckinRefused | None]:
    code = ticket_from_qr(text)
    with transaction.atomic():
        ticket = lock_ticket(code) if code else None
        refusal: CheckinRefused | None = None
        entries = 0
        try:
            entries = _decide(ticket, action=action, event_id=event_id)
        except CheckinRefused as exc:
            refusal = exc
        if refusal is not None:
            result = Result.REFUSED
        else:
            result = Result.EXITED if action == Action.EXIT else Result.ADMITTED
        scan = CheckinScan.objects.create(
            ticket=ticket, code=str(text)[:MAX_QR_LENGTH], action=action, gate=gate[:40],
            device=device[:40], user=user, result=result,
            reason=refusal.code if refusal else "", created_at=now)
    return scan, ticket, entries, refusal


def _scan_and_answer(**kwargs) -> ScanOutcome:
    now = kwargs.pop("now", None) or timezone.now()
    scan, ticket, entries, refusal = _scan(now=now, **kwargs)
    logger.info("checkin.scan", schema=connection.schema_name, action=scan.action,
                result=scan.result, reason=scan.reason, ticket=scan.ticket_id,
                gate=scan.gate, device=scan.device)
    if refusal is not None:
        raise refusal
    return ScanOutcome(scan=scan, ticket=ticket, entries=entries)


def check_in_ticket(*, user: AbstractBaseUser, text: str, gate: str = "", device: str = "",
                    event_id: int | None = None, now: datetime | None = None) -> ScanOutcome:
    """Admit the holder of the ticket whose signed QR string is `text` (sales.tickets).

    Admitted when the ticket is this tenant's, of `event_id` if given, not voided, not
    inside (admitted and not exited since) and has entered fewer than its zone's
    `max_entries` times; otherwise the refusal is raised (UnknownTicket, WrongEvent,
    TicketVoid, AlreadyAdmitted naming the first admission). The ticket is locked while
    deciding: one ticket scanned at many gates at once is admitted once. Every scan is
    logged (CheckinScan), refusals included, whatever the caller does next."""
    return _scan_and_answer(user=user, text=text, action=Action.ENTRY, gate=gate,
                            device=device, event_id=event_id, now=now)


def record_exit(*, user: AbstractBaseUser, text: str, gate: str = "", device: str = "",
                event_id: int | None = None, now: datetime | None = None) -> ScanOutcome:
    """Record that the holder of the ticket left, so they may enter again (if the zone's
    `max_entries` allows another entry). Refused (NotInside) when the ticket is not
    inside; the other refusals as check_in_ticket. Logged like every scan."""
    return _scan_and_answer(user=user, text=text, action=Action.EXIT, gate=gate,
                            device=device, event_id=event_id, now=now)
