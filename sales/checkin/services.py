"""The door's actions: admit a ticket, record its exit. Each scan is one transaction that
locks the ticket (sales.checkin.lock_objects), decides, and logs the scan whatever the
decision: a refusal is logged in the same transaction and raised only after it commits,
so the log keeps refusals as well as admissions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from fiscal.models import VoidedTicket
from pos import domain_events
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


def _first_admission(ticket: Ticket) -> CheckinScan | None:
    return (ticket.scans.filter(result=Result.ADMITTED).select_related("user")
            .order_by("scanned_at", "id").first())


def _already_admitted(ticket: Ticket) -> AlreadyAdmitted:
    first = _first_admission(ticket)
    # In the venue's time zone: the door shows it as the clock on the wall.
    return AlreadyAdmitted(first_admitted_at=timezone.localtime(first.scanned_at).isoformat(),
                           gate=first.gate, by=first.user.username, **_where(ticket))


def _where(ticket: Ticket) -> dict[str, str | None]:
    """The ticket's zone and seat, for a refusal the door staff read out."""
    return {"zone": ticket.zone.name, "seat": ticket.seat.label if ticket.seat_id else None}


def _check_ticket(ticket: Ticket | None, *, event_id: int | None) -> None:
    """The refusals that do not depend on the ticket's scans: unknown, another event,
    void."""
    if ticket is None:
        raise UnknownTicket()
    if event_id is not None and ticket.event_id != event_id:
        raise WrongEvent(ticket_event=ticket.event_id)
    if VoidedTicket.objects.filter(ticket_id=ticket.pk).exists():
        raise TicketVoid(**_where(ticket))


def _decide(ticket: Ticket | None, *, action: str, event_id: int | None) -> int:
    """The ticket's admissions after the scan, or the refusal raised."""
    _check_ticket(ticket, event_id=event_id)
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
            reason=refusal.code if refusal else "", scanned_at=now, created_at=now)
        if result == Result.ADMITTED:
            domain_events.emit(domain_events.CHECKIN_ADMITTED, ticket_id=ticket.pk,
                               scan_id=scan.pk, event_id=ticket.event_id, offline=False)
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


# --- Offline gates: scans uploaded later (POST /api/checkin/sync/) -------------------------

MAX_SYNC_SCANS = 500
# The answer for a scan this device had uploaded already (nothing recorded again).
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class OfflineScan:
    """One scan as a gate device made it offline."""

    id: str  # the device's own id for it
    code: str  # the QR text scanned
    action: str  # Action.ENTRY or Action.EXIT
    scanned_at: datetime


@dataclass(frozen=True)
class SyncedScan:
    """What the server made of an uploaded scan: `result` is admitted, exited, refused,
    conflict or duplicate (already uploaded: `reason` is what it was recorded as)."""

    id: str
    result: str
    reason: str = ""
    ticket: int | None = None
    first_admitted_at: datetime | None = None
    gate: str | None = None


def _answer(scan_id: str, scan: CheckinScan, *, result: str | None = None,
            reason: str | None = None) -> SyncedScan:
    """The answer for a recorded scan, naming the ticket's first admission (its own when
    it was the admission)."""
    first = _first_admission(scan.ticket) if scan.ticket_id else None
    return SyncedScan(id=scan_id, result=result or scan.result,
                      reason=scan.reason if reason is None else reason,
                      ticket=scan.ticket_id,
                      first_admitted_at=first.scanned_at if first else None,
                      gate=first.gate if first else None)


def _offline_entry(ticket: Ticket, *, scanned_at: datetime) -> tuple[str, str,
                                                                    CheckinScan | None]:
    """(result, reason, admission it displaces) for an offline entry of a ticket that
    passed the QR, event and void checks. The earliest scan counts: an offline admission
    recorded earlier but scanned LATER than this one gives up its place when it is the
    ticket's only admission and no exit followed (the gates could not have known of each
    other). An online admission is never displaced: its gate was answered "admitted" on the
    spot, so the offline scan is the conflict whatever its time."""
    entries, exits = _counts(ticket)
    if entries <= exits and entries < ticket.zone.max_entries:
        return Result.ADMITTED, "", None
    first = _first_admission(ticket)
    if (entries == 1 and exits == 0 and first.offline and scanned_at < first.scanned_at):
        return Result.ADMITTED, "", first
    return Result.CONFLICT, AlreadyAdmitted.code, None


@retry_on_conflict
def _sync_one(*, user: AbstractBaseUser, scan: OfflineScan, gate: str, device: str,
              event_id: int | None, now: datetime) -> SyncedScan:
    code = ticket_from_qr(scan.code)
    with transaction.atomic():
        ticket = lock_ticket(code) if code else None
        # Under the ticket's lock: the same upload sent twice at once records it once.
        earlier = (CheckinScan.objects.filter(device=device, device_scan_id=scan.id)
                   .select_related("ticket").first())
        if earlier is not None:
            return _answer(scan.id, earlier, result=DUPLICATE, reason=earlier.result)
        displaced = None
        try:
            _check_ticket(ticket, event_id=event_id)
            if scan.action == Action.EXIT:
                result, reason = Result.EXITED, ""
                entries, exits = _counts(ticket)
                if entries <= exits:
                    result, reason = Result.REFUSED, NotInside.code
            else:
                result, reason, displaced = _offline_entry(ticket, scanned_at=scan.scanned_at)
        except CheckinRefused as exc:
            result, reason = Result.REFUSED, exc.code
        if displaced is not None:
            # The later admission becomes the conflict; the earlier scan is the admission.
            CheckinScan.objects.filter(pk=displaced.pk).update(
                result=Result.CONFLICT, reason=AlreadyAdmitted.code)
        recorded = CheckinScan.objects.create(
            ticket=ticket, code=scan.code[:MAX_QR_LENGTH], action=scan.action,
            gate=gate[:40], device=device, user=user, result=result, reason=reason,
            scanned_at=scan.scanned_at, created_at=now, offline=True,
            device_scan_id=scan.id)
        # A displacing scan takes over an admission already told: nothing new happened.
        if result == Result.ADMITTED and displaced is None:
            domain_events.emit(domain_events.CHECKIN_ADMITTED, ticket_id=ticket.pk,
                               scan_id=recorded.pk, event_id=ticket.event_id, offline=True)
        return _answer(scan.id, recorded)


def sync_offline_scans(*, user: AbstractBaseUser, scans: list[OfflineScan], gate: str = "",
                       device: str, event_id: int | None = None,
                       now: datetime | None = None) -> list[SyncedScan]:
    """Record the scans a gate made offline, in the order they were made (`scanned_at`),
    and answer each one in the order given.

    Each scan is decided like a scan at the door, under the same ticket lock, with one
    difference: an entry the ticket's record refuses because it was admitted elsewhere is
    a `conflict` (the holder may be inside twice: staff should look), never a second
    admission. The earliest scan counts (see _offline_entry). A scan already uploaded by
    this device (same device, same scan id) is answered `duplicate` and changes nothing,
    so a device may resend a batch whose answer it lost."""
    now = now or timezone.now()
    answers: dict[int, SyncedScan] = {}
    order = sorted(range(len(scans)), key=lambda i: (scans[i].scanned_at, i))
    for index in order:
        try:
            answers[index] = _sync_one(user=user, scan=scans[index], gate=gate,
                                       device=device, event_id=event_id, now=now)
        except IntegrityError:
            # The same upload sent twice at once, for a scan that locked no ticket (an
            # unknown QR): the other request recorded it (checkin_device_scan_once).
            earlier = CheckinScan.objects.get(device=device, device_scan_id=scans[index].id)
            answers[index] = _answer(scans[index].id, earlier, result=DUPLICATE,
                                     reason=earlier.result)
    results = [answers[i] for i in range(len(scans))]
    logger.info("checkin.sync", schema=connection.schema_name, device=device, gate=gate,
                scans=len(scans),
                conflicts=sum(1 for r in results if r.result == Result.CONFLICT),
                duplicates=sum(1 for r in results if r.result == DUPLICATE))
    return results
