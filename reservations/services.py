"""Writes on holds: hold, release, extend, complete, expire. Each is one transaction.

A hold never sells a seat twice: the seat rows are locked in id order, stale claims on
them are expired, availability is checked, and only then are the claims inserted; the
partial unique index `one_live_claim_per_seat` turns any missed race into an
IntegrityError, answered with the same 409."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Sum
from django.utils import timezone

from reservations import cache as availability_cache
from reservations.errors import (
    Busy,
    EventNotOnSale,
    ExtensionRefused,
    HoldExpired,
    HoldNotFound,
    IllegalTransition,
    InvalidBulkExtension,
    InvalidHoldRequest,
    SeatsUnavailable,
    SessionLimitExceeded,
    UnavailableSeat,
    ZoneShortfall,
)
from reservations.lock_objects import (
    lock_seats,
    lock_transaction,
    lock_transactions,
    lock_user,
    lock_zones,
    set_lock_timeout,
)
from reservations.models import HoldAttempt, ReservedTicket, StatusChange
from reservations.selectors import ga_claimed_by_zone, hold_items
from reservations.transitions import (
    record_created,
    transition_reserved_tickets,
    transition_reserved_tickets_where,
    transition_transaction,
    transition_transactions_where,
)
from sales.models import Event, Seat, Transaction, Zone
from tenants.models import TenantSettings
from tenants.permissions import acts_on_every_hold
from tenants.services import current_tenant_settings

logger = structlog.get_logger(__name__)

Reason = StatusChange.Reason
ACTIVE = ReservedTicket.Status.ACTIVE
MAX_ITEMS_PER_REQUEST = 500


@dataclass(frozen=True)
class ZoneQuantity:
    zone_id: int
    quantity: int


def _validate_request(seat_ids: Sequence[int], zones: Sequence[ZoneQuantity]) -> None:
    if not seat_ids and not zones:
        raise InvalidHoldRequest("Pick at least one seat or a general-admission quantity.")
    duplicates = sorted(seat for seat, n in Counter(seat_ids).items() if n > 1)
    if duplicates:
        shown = ", ".join(map(str, duplicates[:10]))
        raise InvalidHoldRequest(f"Seats listed more than once: {shown}.")
    zone_counts = Counter(z.zone_id for z in zones)
    if any(n > 1 for n in zone_counts.values()):
        raise InvalidHoldRequest("Each zone may appear only once in `zones`.")
    if any(z.quantity < 1 for z in zones):
        raise InvalidHoldRequest("A general-admission quantity must be at least 1.")
    if len(seat_ids) + sum(z.quantity for z in zones) > MAX_ITEMS_PER_REQUEST:
        raise InvalidHoldRequest(f"At most {MAX_ITEMS_PER_REQUEST} tickets per request.")


def _check_session_limit(
    user: AbstractBaseUser, requested: int, now: datetime
) -> TenantSettings:
    """Refuse a hold over the per-cashier limit; returns the settings it read, for the rest
    of the hold (one query for them per hold)."""
    venue = current_tenant_settings()
    limit = venue.max_reservations_per_session
    held = (
        ReservedTicket.objects.live(now)
        .filter(created_by=user, transaction__status=Transaction.Status.PENDING)
        .aggregate(total=Sum("quantity"))["total"]
        or 0
    )
    if held + requested > limit:
        raise SessionLimitExceeded(
            f"A cashier may hold at most {limit} tickets at a time; you hold {held} and "
            f"asked for {requested} more.",
            limit=limit, held=held, requested=requested,
        )
    return venue


@dataclass
class ExpiryResult:
    holds: int = 0
    transactions: int = 0
    events: set[int] = field(default_factory=set)


def _expire_stale(
    stale: QuerySet[ReservedTicket], *, reason: str, now: datetime
) -> ExpiryResult:
    """Record EXPIRED on the holds `stale` selects (past their time; it may lock and
    limit), and on the transactions left with no live hold, set-based: two statements
    whatever the count. The result names the events whose availability changed."""
    expired = transition_reserved_tickets_where(
        stale.values("id"), from_status=ReservedTicket.Status.ACTIVE,
        to=ReservedTicket.Status.EXPIRED, reason=reason, now=now)
    result = ExpiryResult(holds=len(expired), events={event_id for _, _, event_id in expired})
    if not expired:
        return result
    ending_statuses = [Transaction.Status.PENDING, Transaction.Status.RESERVED]
    ending = (
        Transaction.objects.filter(
            id__in={tx_id for _, tx_id, _ in expired}, status__in=ending_statuses,
        )
        .exclude(reserved_tickets__status=ACTIVE)
        .order_by("id")
        .select_for_update(of=("self",))
        .values("id", "status")
    )
    result.transactions = transition_transactions_where(
        ending, from_statuses=ending_statuses, to=Transaction.Status.EXPIRED, reason=reason,
        now=now)
    return result


def invalidate_availability(event_ids: set[int]) -> None:
    """Replace the events' cache versions now and again after commit: a reader between the
    two may file a pre-commit snapshot under the first new version, and the second
    replacement retires it. (A rollback only costs one needless cache miss.)"""
    if event_ids:
        availability_cache.invalidate_events(set(event_ids))
        transaction.on_commit(partial(availability_cache.invalidate_events, set(event_ids)))


def hold_seats(
    *,
    user: AbstractBaseUser,
    event_id: int,
    seat_ids: Sequence[int] = (),
    zones: Sequence[ZoneQuantity] = (),
    now: datetime | None = None,
) -> Transaction:
    """Hold numbered seats and general-admission quantities for the tenant's hold time.

    All or nothing: either every seat and unit is held by one new PENDING transaction,
    or SeatsUnavailable names every seat and zone that could not be, with the reason.
    The transaction carries its items as written (`written_items`, see
    reservations.selectors.hold_items)."""
    _validate_request(seat_ids, zones)
    now = now or timezone.now()
    requested = len(seat_ids) + sum(z.quantity for z in zones)
    try:
        with transaction.atomic():
            set_lock_timeout()
            event = Event.objects.filter(pk=event_id).first()
            if event is None:
                raise InvalidHoldRequest(f"Event {event_id} does not exist.")
            if event.status != Event.Status.ON_SALE:
                raise EventNotOnSale(f"{event.name} is not on sale.")
            lock_user(user.pk)
            venue = _check_session_limit(user, requested, now)
            seats = _lock_event_seats(event, seat_ids)
            ga_zones = _lock_event_ga_zones(event, zones)
            claims = _seat_claims(seat_ids, now)
            changed_events: set[int] = set()
            if claims.stale_ids:
                stale = ReservedTicket.objects.stale(now).filter(id__in=claims.stale_ids)
                changed_events = _expire_stale(stale, reason=Reason.STALE_ON_HOLD,
                                               now=now).events
            unavailable = _unavailable_seats(seats, claims.standing)
            shortfalls = _ga_shortfalls(ga_zones, zones, now)
            if unavailable or shortfalls:
                raise SeatsUnavailable(seats=unavailable, zones=shortfalls)
            tx = _create_hold(user=user, event=event, seats=seats, ga_zones=ga_zones,
                              zones=zones, now=now,
                              hold_minutes=venue.reservation_hold_minutes)
            invalidate_availability(changed_events | {event.pk})
    except SeatsUnavailable as exc:
        # Recorded after the rollback, so the refusals survive it (contested-seat alerts).
        record_refused_hold_attempts(user=user, event_id=event_id,
                                     seat_ids=[s["id"] for s in exc.extra["seats"]],
                                     zone_ids=[z["id"] for z in exc.extra["zones"]], now=now)
        raise
    except IntegrityError as exc:
        # Only reachable if a claim was inserted without the seat lock: still a 409.
        logger.warning("hold.integrity_conflict", event_id=event_id, error=str(exc))
        labels = dict(Seat.objects.filter(id__in=seat_ids).values_list("id", "label"))
        raise SeatsUnavailable(
            seats=[UnavailableSeat(id=i, label=labels.get(i, str(i)), reason="reserved")
                   for i in seat_ids],
            zones=[],
        ) from exc
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == "55P03":  # lock_not_available
            raise Busy() from exc
        raise
    logger.info("hold.created", transaction=tx.pk, event_id=event_id, seats=len(seat_ids),
                ga_units=requested - len(seat_ids))
    return tx


def _lock_event_seats(event: Event, seat_ids: Sequence[int]) -> list[Seat]:
    seats = lock_seats(seat_ids) if seat_ids else []
    found = {seat.pk for seat in seats if seat.zone.event_id == event.pk}
    missing = [seat_id for seat_id in seat_ids if seat_id not in found]
    if missing:
        shown = ", ".join(map(str, missing[:20]))
        raise InvalidHoldRequest(f"These seats do not exist in event {event.pk}: {shown}.",
                                 unknown_seat_ids=missing[:100])
    return seats


def _lock_event_ga_zones(event: Event, zones: Sequence[ZoneQuantity]) -> dict[int, Zone]:
    if not zones:
        return {}
    locked = {zone.pk: zone for zone in lock_zones(z.zone_id for z in zones)}
    for wanted in zones:
        zone = locked.get(wanted.zone_id)
        if zone is None or zone.event_id != event.pk:
            raise InvalidHoldRequest(f"Zone {wanted.zone_id} does not exist in event {event.pk}.")
        if not zone.is_general_admission:
            raise InvalidHoldRequest(
                f"Zone {zone.name} has numbered seats: pick seats with `seat_ids`."
            )
    return locked


@dataclass
class SeatClaims:
    standing: dict[int, str] = field(default_factory=dict)  # seat id → ACTIVE or COMPLETED
    stale_ids: list[int] = field(default_factory=list)  # ACTIVE items past their time


def _seat_claims(seat_ids: Sequence[int], now: datetime) -> SeatClaims:
    """One read (under the seat locks) of every item that may still claim the seats: the
    claims that stand, and the stale ones to record as EXPIRED."""
    claims = SeatClaims()
    if not seat_ids:
        return claims
    rows = (ReservedTicket.objects.unfinished().filter(seat_id__in=seat_ids)
            .values_list("id", "seat_id", "status", "reserved_until"))
    for item_id, seat_id, status, reserved_until in rows:
        if ReservedTicket.claims_at(status, reserved_until, now):
            claims.standing[seat_id] = status
        else:
            claims.stale_ids.append(item_id)
    return claims


def _unavailable_seats(seats: list[Seat], claims: dict[int, str]) -> list[UnavailableSeat]:
    return [
        UnavailableSeat(
            id=seat.pk,
            label=seat.label,
            reason="sold" if claims[seat.pk] == ReservedTicket.Status.COMPLETED else "reserved",
        )
        for seat in sorted(seats, key=lambda s: (s.row, s.number, s.pk))
        if seat.pk in claims
    ]


def _ga_shortfalls(
    ga_zones: dict[int, Zone], zones: Sequence[ZoneQuantity], now: datetime
) -> list[ZoneShortfall]:
    if not zones:
        return []
    claimed = ga_claimed_by_zone(ga_zones, now)
    shortfalls = []
    for wanted in zones:
        zone = ga_zones[wanted.zone_id]
        available = max(zone.capacity - claimed.get(zone.pk, 0), 0)
        if wanted.quantity > available:
            shortfalls.append(ZoneShortfall(id=zone.pk, name=zone.name,
                                            requested=wanted.quantity, available=available))
    return shortfalls


def _create_hold(
    *, user: AbstractBaseUser, event: Event, seats: list[Seat], ga_zones: dict[int, Zone],
    zones: Sequence[ZoneQuantity], now: datetime, hold_minutes: int,
) -> Transaction:
    until = now + timedelta(minutes=hold_minutes)
    items = [
        ReservedTicket(event=event, zone=seat.zone, seat=seat, quantity=1,
                       unit_price=seat.zone.price, reserved_until=until, created_by=user)
        for seat in seats
    ] + [
        ReservedTicket(event=event, zone=ga_zones[z.zone_id], quantity=z.quantity,
                       unit_price=ga_zones[z.zone_id].price, reserved_until=until,
                       created_by=user)
        for z in zones
    ]
    subtotal = sum((item.unit_price * item.quantity for item in items), Decimal("0"))
    tx = Transaction.objects.create(event=event, cashier=user, currency=event.currency,
                                    subtotal=subtotal)
    for item in items:
        item.transaction = tx
    ReservedTicket.objects.bulk_create(items)
    record_created(tx=tx, tickets=items, actor=user, now=now)
    tx.written_items = items
    return tx


# --- Acting on an existing hold ------------------------------------------------------


def locked_hold_for(user: AbstractBaseUser, transaction_id: int) -> Transaction:
    """The transaction, locked (inside the caller's atomic block); a cashier sees only
    their own (others' are 404)."""
    tx = lock_transaction(transaction_id)
    if tx is None:
        raise HoldNotFound()
    if tx.cashier_id != user.pk and not acts_on_every_hold(user):  # as holds_visible_to
        raise HoldNotFound()
    return tx


def _require_pending(tx: Transaction, action: str) -> None:
    if tx.status != Transaction.Status.PENDING:
        if tx.status == Transaction.Status.EXPIRED:
            raise HoldExpired()
        raise IllegalTransition(f"Hold {tx.pk} is {tx.status}; it cannot be {action}.")


def _require_live(items: list[ReservedTicket], now: datetime, expired_message: str | None
                  ) -> None:
    """Expiry is exact: a hold past its time is refused with 410 whether or not the
    cleanup job has recorded it yet (it will)."""
    if not items or not all(item.is_live_at(now) for item in items):
        raise HoldExpired(expired_message)


def live_hold_items(
    tx: Transaction, now: datetime, *, expired_message: str | None = None
) -> list[ReservedTicket]:
    """The (locked) transaction's ACTIVE items, all live, or HoldExpired."""
    items = list(tx.reserved_tickets.filter(status=ACTIVE).select_related("seat", "zone"))
    _require_live(items, now, expired_message)
    return items


def release_hold(
    *,
    user: AbstractBaseUser,
    transaction_id: int,
    seat_ids: Sequence[int] | None = None,
    reason: str = Reason.USER,
    now: datetime | None = None,
) -> Transaction:
    """Release a whole hold (CANCELLED), or only some of its seats. Seats are free again
    the moment this commits. `reason` goes to the audit trail (the admin passes ADMIN).
    The transaction carries all its items as written (`written_items`)."""
    now = now or timezone.now()
    with transaction.atomic():
        tx = locked_hold_for(user, transaction_id)
        _require_pending(tx, "released")
        all_items = hold_items(tx)
        items = [item for item in all_items if item.status == ACTIVE]
        _require_live(items, now, None)
        if seat_ids is not None:
            wanted = set(seat_ids)
            if not wanted:
                raise InvalidHoldRequest("Name at least one seat to release.")
            missing = sorted(wanted - {item.seat_id for item in items if item.seat_id})
            if missing:
                raise InvalidHoldRequest(
                    f"These seats are not in hold {tx.pk}: {', '.join(map(str, missing[:20]))}."
                )
            items = [item for item in items if item.seat_id in wanted]
        transition_reserved_tickets(items, to=ReservedTicket.Status.CANCELLED,
                                    reason=reason, actor=user, now=now)
        # Releasing the whole hold leaves nothing ACTIVE: an item the UPDATE skipped was
        # already moved on by someone else, and ACTIVE has no way back.
        remaining = [] if seat_ids is None else list(tx.reserved_tickets.filter(status=ACTIVE))
        if remaining:
            tx.subtotal = sum((r.unit_price * r.quantity for r in remaining), Decimal("0"))
            tx.save(update_fields=["subtotal", "updated_at"])
        else:
            transition_transaction(tx, to=Transaction.Status.CANCELLED, reason=reason,
                                   actor=user, now=now)
        invalidate_availability({tx.event_id})
    tx.written_items = all_items  # with the statuses just written
    logger.info("hold.released", transaction=transaction_id, partial=seat_ids is not None)
    return tx


def extend_hold(
    *, user: AbstractBaseUser, transaction_id: int, now: datetime | None = None
) -> Transaction:
    """Give a live hold the tenant's hold time once more. Allowed once per hold."""
    now = now or timezone.now()
    settings = current_tenant_settings()
    with transaction.atomic():
        tx = locked_hold_for(user, transaction_id)
        _require_pending(tx, "extended")
        items = live_hold_items(tx, now)
        if not settings.allow_hold_extension:
            raise ExtensionRefused("This venue does not allow extending holds.")
        if tx.extensions_used >= 1:
            raise ExtensionRefused(f"Hold {tx.pk} was already extended once.")
        new_until = max(i.reserved_until for i in items) + timedelta(
            minutes=settings.reservation_hold_minutes
        )
        keep_items_until(items, until=new_until, now=now)
        tx.extensions_used += 1
        tx.save(update_fields=["extensions_used", "updated_at"])
        # The expiry is part of the hold's state: the audit trail shows who extended it.
        StatusChange.objects.create(
            subject=StatusChange.Subject.TRANSACTION, subject_id=tx.pk, transaction=tx,
            from_status=tx.status, to_status=tx.status, reason=Reason.USER, actor_id=user.pk,
            note=f"hold extended until {new_until.isoformat()}", created_at=now,
        )
    logger.info("hold.extended", transaction=transaction_id)
    return tx


def complete_items(
    items: list[ReservedTicket], *, actor: AbstractBaseUser, now: datetime
) -> None:
    """ACTIVE → COMPLETED for a paid sale. Raises HoldExpired if any item was expired by
    someone else meanwhile (the whole checkout then rolls back)."""
    changed = transition_reserved_tickets(items, to=ReservedTicket.Status.COMPLETED,
                                          actor=actor, now=now)
    if len(changed) != len(items):
        raise HoldExpired()
    invalidate_availability({items[0].event_id})


def keep_items_until(items: list[ReservedTicket], *, until: datetime, now: datetime) -> None:
    """The items stay held until `until` (a partial payment's deadline, an extension)."""
    ReservedTicket.objects.filter(id__in=[i.pk for i in items], status=ACTIVE).update(
        reserved_until=until, updated_at=now
    )
    invalidate_availability({items[0].event_id})


def expire_stale_holds(
    *, now: datetime | None = None, batch_size: int = 1000, dry_run: bool = False
) -> dict[str, int]:
    """Record EXPIRED on every hold past its time in the current schema, in batches.

    Idempotent and safe beside live traffic: each batch locks its rows with SKIP LOCKED
    (a row a checkout is working on is left for the next run) and commits on its own."""
    now = now or timezone.now()
    if dry_run:
        stale = ReservedTicket.objects.stale(now)
        return {
            "holds_expired": stale.count(),
            "transactions_expired": stale.values("transaction_id").distinct().count(),
        }
    total = ExpiryResult()
    while True:
        with transaction.atomic():
            batch = (
                ReservedTicket.objects.stale(now)
                .order_by("id")
                .select_for_update(skip_locked=True)[:batch_size]
            )
            result = _expire_stale(batch, reason=Reason.EXPIRY, now=now)
            invalidate_availability(result.events)
        total.holds += result.holds
        total.transactions += result.transactions
        if result.holds < batch_size:
            break
    logger.info("holds.expired", holds=total.holds, transactions=total.transactions)
    return {"holds_expired": total.holds, "transactions_expired": total.transactions}


# --- Operations: hold attempts and the bulk extension ----------------------------------


def record_refused_hold_attempts(
    *, user: AbstractBaseUser, event_id: int, seat_ids: Sequence[int], zone_ids: Sequence[int],
    now: datetime,
) -> None:
    """One row per seat (or GA zone) refused because it was taken (a hold that succeeds is
    its own record). Statistics only: a failure here is logged and never fails anything."""
    outcome = HoldAttempt.Outcome.CONFLICT
    rows = [HoldAttempt(event_id=event_id, seat_id=seat_id, outcome=outcome, user_id=user.pk,
                        created_at=now) for seat_id in seat_ids]
    rows += [HoldAttempt(event_id=event_id, zone_id=zone_id, outcome=outcome, user_id=user.pk,
                         created_at=now) for zone_id in zone_ids]
    if not rows:
        return
    try:
        with transaction.atomic():
            HoldAttempt.objects.bulk_create(rows)
    except DatabaseError as exc:
        logger.warning("hold_attempts.not_recorded", event_id=event_id, error=str(exc))


# A reservation may be kept at most as long as the longest partial-payment window.
MAX_BULK_EXTENSION_HOURS = 720


def validate_bulk_extension(
    hours: int, expiring_within: int | None, event_id: int | None = None
) -> None:
    """Refuse a bulk extension's arguments; `event_id` is checked in the current schema."""
    if isinstance(hours, bool) or not isinstance(hours, int) or hours <= 0:
        raise InvalidBulkExtension(f"Hours must be a positive whole number, not {hours!r}.")
    if hours > MAX_BULK_EXTENSION_HOURS:
        raise InvalidBulkExtension(
            f"Refusing to extend by {hours} hours: at most {MAX_BULK_EXTENSION_HOURS} hours "
            f"({MAX_BULK_EXTENSION_HOURS // 24} days) at a time."
        )
    if expiring_within is not None and not 0 < expiring_within <= MAX_BULK_EXTENSION_HOURS:
        raise InvalidBulkExtension(
            f"Expiring-within must be between 1 and {MAX_BULK_EXTENSION_HOURS} hours."
        )
    if event_id is not None and not Event.objects.filter(pk=event_id).exists():
        raise InvalidBulkExtension(f"Event {event_id} does not exist.")


def reservations_to_extend(
    *, now: datetime, event_id: int | None = None, expiring_within: int | None = None
):
    """Live partial-payment reservations (RESERVED with live items), optionally of one
    event and expiring within some hours."""
    live = ReservedTicket.objects.live(now).filter(transaction=OuterRef("pk"))
    if expiring_within is not None:
        live = live.filter(reserved_until__lte=now + timedelta(hours=expiring_within))
    candidates = Transaction.objects.filter(Exists(live), status=Transaction.Status.RESERVED)
    if event_id is not None:
        candidates = candidates.filter(event_id=event_id)
    return candidates


def extend_reservations(
    *,
    hours: int,
    event_id: int | None = None,
    expiring_within: int | None = None,
    dry_run: bool = False,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "",
    job_id: str = "",
    now: datetime | None = None,
    batch_size: int = 500,
) -> dict[str, object]:
    """Give every live partial-payment reservation (and its held seats) `hours` more.

    All or nothing, in one transaction: a crash halfway extends nothing. Each reservation
    gets an audit row (reason bulk_extension) naming who, when and the old and new
    deadline. A `job_id` makes the job safe to run twice: a job already recorded is
    reported again, not applied again."""
    validate_bulk_extension(hours, expiring_within, event_id)
    now = now or timezone.now()
    result: dict[str, object] = {"hours": hours, "dry_run": dry_run, "job": job_id,
                                 "replayed": False, "reservations": 0, "tickets": 0}
    tag = f"job {job_id}:" if job_id else ""
    if tag:
        done = StatusChange.objects.filter(reason=Reason.BULK_EXTENSION, note__startswith=tag)
        if done.exists():
            ids = set(done.values_list("transaction_id", flat=True))
            tickets = ReservedTicket.objects.filter(transaction_id__in=ids, status=ACTIVE)
            return {**result, "replayed": True, "reservations": len(ids),
                    "tickets": tickets.count()}
    candidates = reservations_to_extend(now=now, event_id=event_id,
                                        expiring_within=expiring_within)
    if dry_run:
        ids = list(candidates.values_list("id", flat=True))
        tickets = ReservedTicket.objects.live(now).filter(transaction_id__in=ids)
        return {**result, "reservations": len(ids), "tickets": tickets.count()}
    delta = timedelta(hours=hours)
    who = actor_label or (getattr(actor, "username", "") if actor is not None else "")
    events: set[int] = set()
    with transaction.atomic():
        ids = list(candidates.order_by("id").values_list("id", flat=True))
        for start in range(0, len(ids), batch_size):
            for tx in lock_transactions(ids[start:start + batch_size]):
                if tx.status != Transaction.Status.RESERVED:
                    continue  # paid off or expired since it was selected
                items = ReservedTicket.objects.live(now).filter(transaction=tx)
                changed = items.update(reserved_until=F("reserved_until") + delta,
                                       updated_at=now)
                if not changed:
                    continue
                old_deadline = tx.payment_deadline
                tx.payment_deadline = (old_deadline or now) + delta
                tx.save(update_fields=["payment_deadline", "updated_at"])
                StatusChange.objects.create(
                    subject=StatusChange.Subject.TRANSACTION, subject_id=tx.pk, transaction=tx,
                    from_status=tx.status, to_status=tx.status, reason=Reason.BULK_EXTENSION,
                    actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
                    note=(f"{tag} " if tag else "") + (
                        f"+{hours} h by {who or 'unknown'}: deadline "
                        f"{old_deadline.isoformat() if old_deadline else '-'} -> "
                        f"{tx.payment_deadline.isoformat()}"
                    )[:250],
                    created_at=now,
                )
                result["reservations"] = int(result["reservations"]) + 1
                result["tickets"] = int(result["tickets"]) + changed
                events.add(tx.event_id)
        invalidate_availability(events)
    logger.info("reservations.extended", hours=hours, reservations=result["reservations"],
                event_id=event_id, by=who, job=job_id)
    return result
