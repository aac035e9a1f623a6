"""Writes on holds: hold, release, extend, complete, expire. Each is one transaction.

The hold, the release and the extension each run as one call of a PostgreSQL function
(reservations/sql/: the only implementation of those rules, with comments); the functions
here validate what needs no database, call them once and map the answer to the domain
errors. A hold never sells a seat twice: the seat rows are locked in id order, stale
claims on them are expired, availability is checked, and only then are the claims
inserted; the partial unique index `one_live_claim_per_seat` turns any missed race into
an IntegrityError, answered with the same 409. Locks follow the one order of
reservations/lock_objects.py; deadlocks and lock timeouts are handled by
pos.concurrency (retried, then 503 `busy`)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import structlog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, Max, OuterRef
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tenants.utils import schema_context

from pos import domain_events
from pos.concurrency import LOCK_TIMEOUT, retry_on_conflict
from pos.errors import refusal_from_database
from reservations import cache as availability_cache
from reservations import push
from reservations.best_available import parse_row_order, pick_best_seats
from reservations.errors import (
    BlockedSeatsForbidden,
    Busy,
    EventNotOnSale,
    ExtensionRefused,
    GrantOverCap,
    GrantTooShort,
    HoldExpired,
    HoldNotActive,
    HoldNotFound,
    IllegalTransition,
    InvalidBulkExtension,
    InvalidHoldRequest,
    NoAdjacentSeats,
    NotEnoughSeats,
    SeatsUnavailable,
    SessionLimitExceeded,
    UnavailableSeat,
    ZoneShortfall,
)
from reservations.lock_objects import (
    claim_orphan_transactions,
    claim_stale_items,
    lock_items,
    lock_transaction,
    lock_transactions,
)
from reservations.models import ReservedTicket, StatusChange
from reservations.selectors import zone_seat_spots
from reservations.transitions import (
    record_items_created,
    require_transition,
    transition_reserved_tickets,
    transition_reserved_tickets_where,
    transition_transactions_where,
)
from sales.models import Event, Seat, Ticket, Transaction, Zone, new_ticket_code
from tenants.permissions import acts_on_every_hold, may_hold_blocked_seats
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


def invalidate_availability(event_ids: set[int]) -> None:
    """Replace the events' cache versions now and again after commit: a reader between the
    two may file a pre-commit snapshot under the first new version, and the second
    replacement retires it. (A rollback only costs one needless cache miss.) Outside a
    transaction (a one-statement action already committed) once is enough. The open
    seat maps are told once it is committed (reservations.push)."""
    if not event_ids:
        return
    versions = availability_cache.invalidate_events(set(event_ids))
    if connection.in_atomic_block:
        transaction.on_commit(partial(_invalidate_and_push, set(event_ids)))
    else:
        push.publish_changes(versions)  # already committed


def _invalidate_and_push(event_ids: set[int]) -> None:
    # Open seat maps hear of the change only once it is committed (reservations.push).
    push.publish_changes(availability_cache.invalidate_events(event_ids))


def _call_write_function(name: str, *params: Any, savepoint: bool = True) -> dict[str, Any]:
    """`SELECT name(params)`: one statement, atomic by itself. Under a caller's
    transaction (an Idempotency-Key) it runs in a savepoint, so that a retry after a
    deadlock starts clean (pos.concurrency); `savepoint=False` when the caller's own
    transaction is what a retry re-runs (a checkout)."""
    placeholders = ", ".join(["%s"] * len(params))
    scope = (transaction.atomic() if savepoint and connection.in_atomic_block
             else nullcontext())
    with scope, connection.cursor() as cursor:
        cursor.execute(f"SELECT {name}({placeholders})::text", params)
        return json.loads(cursor.fetchone()[0])


@dataclass(frozen=True, slots=True)
class _Named:
    """The seat or zone of a HeldItem: what the answers show of it."""

    pk: int
    name: str = ""
    label: str = ""
    tax_category: str = ""


@dataclass(slots=True)
class HeldItem:
    """An item as a write function answered it: the fields the hold's answer shows
    (reservations.serializers.hold_item_data), without a model instance per item."""

    pk: int
    transaction_id: int
    event_id: int
    zone_id: int
    zone: _Named
    seat_id: int | None
    seat: _Named | None
    quantity: int
    unit_price: Decimal
    status: str
    reserved_until: datetime


def _build_hold(answer: dict[str, Any], *, user: AbstractBaseUser,
                event_id: int | None = None) -> Transaction:
    """The Transaction and its items from a write function's answer, for the caller and
    the API answer: no second read."""
    data = answer["transaction"]
    tx = Transaction(pk=data["id"], event_id=data.get("event", event_id),
                     cashier_id=data.get("cashier", user.pk),
                     status=data.get("status", Transaction.Status.PENDING),
                     currency=data["currency"], subtotal=Decimal(data["subtotal"]),
                     extensions_used=data.get("extensions_used", 0))
    for name in ("customer_name", "customer_tax_id", "customer_email"):
        if name in data:  # pos_lock_sale answers the whole row
            setattr(tx, name, data[name])
    for name in ("payment_deadline", "created_at", "completed_at"):
        if data.get(name):
            setattr(tx, name, parse_datetime(data[name]))
    if tx.cashier_id == user.pk:
        tx.cashier = user
    tx._state.adding = False
    default_until = answer.get("reserved_until")
    tx.written_items = [
        HeldItem(pk=row["id"], transaction_id=tx.pk, event_id=tx.event_id,
                 zone_id=row["zone"], zone=_Named(pk=row["zone"], name=row["zone_name"],
                             tax_category=row["zone_tax"]),
                 seat_id=row["seat"],
                 seat=_Named(pk=row["seat"], label=row["seat_label"]) if row["seat"] else None,
                 quantity=row["quantity"], unit_price=Decimal(row["unit_price"]),
                 status=row.get("status", ACTIVE),
                 reserved_until=parse_datetime(row.get("reserved_until") or default_until))
        for row in answer["items"]
    ]
    return tx


@retry_on_conflict
def hold_seats(
    *,
    user: AbstractBaseUser,
    event_id: int,
    seat_ids: Sequence[int] = (),
    zones: Sequence[ZoneQuantity] = (),
    include_blocked: bool = False,
    now: datetime | None = None,
) -> Transaction:
    """Hold numbered seats and general-admission quantities for the event's hold minutes
    (`Event.reservation_hold_minutes`), else the tenant's.

    All or nothing: either every seat and unit is held by one new PENDING transaction,
    or SeatsUnavailable names every seat and zone that could not be, with the reason
    (`reserved`, `sold`, or `blocked`: a venue admin took it off sale), and the refusals
    are recorded for the contested-seat statistics, whatever the caller's transaction
    does next. `include_blocked`: a venue admin holds blocked seats too, to sell them
    (anyone else: BlockedSeatsForbidden); the block stays, so the seat is blocked again
    if the hold lapses. One call of `pos_hold` (reservations/sql/hold.sql). The
    transaction carries its items as written (`written_items`, see
    reservations.selectors.hold_items)."""
    _validate_request(seat_ids, zones)
    if include_blocked and not may_hold_blocked_seats(user):
        raise BlockedSeatsForbidden()
    now = now or timezone.now()
    venue = current_tenant_settings()
    try:
        answer = _call_write_function(
            "pos_hold", user.pk, event_id, list(seat_ids),
            [z.zone_id for z in zones], [z.quantity for z in zones], now,
            venue.reservation_hold_minutes, venue.max_reservations_per_session, LOCK_TIMEOUT,
            include_blocked)
    except IntegrityError as exc:
        refusal = refusal_from_database(exc)
        if refusal is not None:  # the catalogue changed under the hold (its guard says how)
            raise refusal from exc
        # Only reachable if a claim was inserted without the seat lock: still a 409.
        logger.warning("hold.integrity_conflict", event_id=event_id, error=str(exc))
        labels = dict(Seat.objects.filter(id__in=seat_ids).values_list("id", "label"))
        raise SeatsUnavailable(
            seats=[UnavailableSeat(id=i, label=labels.get(i, str(i)), reason="reserved")
                   for i in seat_ids],
            zones=[],
        ) from exc
    _announce_lapsed(answer.get("lapsed", ()))
    if "error" in answer:
        _refuse_hold(answer, event_id=event_id)
    tx = _build_hold(answer, user=user, event_id=event_id)
    invalidate_availability({event_id})
    logger.info("hold.created", transaction=tx.pk, event_id=event_id, seats=len(seat_ids),
                ga_units=sum(z.quantity for z in zones))
    return tx


def _refuse_hold(answer: dict[str, Any], *, event_id: int) -> None:
    """Raise the domain error for a refusal of `pos_hold`."""
    error = answer["error"]
    if error == "unavailable":
        raise SeatsUnavailable(
            seats=[UnavailableSeat(**seat) for seat in answer["seats"]],
            zones=[ZoneShortfall(**zone) for zone in answer["zones"]],
        )
    if error == "session_limit":
        limit, held, requested = answer["limit"], answer["held"], answer["requested"]
        raise SessionLimitExceeded(
            f"A cashier may hold at most {limit} tickets at a time; you hold {held} and "
            f"asked for {requested} more.",
            limit=limit, held=held, requested=requested,
        )
    if error == "unknown_event":
        raise InvalidHoldRequest(f"Event {event_id} does not exist.")
    if error == "not_on_sale":
        raise EventNotOnSale(f"{answer['event_name']} is not on sale.")
    if error == "unknown_seats":
        missing = answer["seat_ids"]
        shown = ", ".join(map(str, missing[:20]))
        raise InvalidHoldRequest(f"These seats do not exist in event {event_id}: {shown}.",
                                 unknown_seat_ids=missing[:100])
    if error == "unknown_zone":
        raise InvalidHoldRequest(f"Zone {answer['zone_id']} does not exist in event {event_id}.")
    if error == "numbered_zone":
        raise InvalidHoldRequest(
            f"Zone {answer['zone_name']} has numbered seats: pick seats with `seat_ids`.")
    raise AssertionError(f"pos_hold answered an unknown refusal: {answer!r}")


# --- Best available ---------------------------------------------------------------------

# Fresh picks after a cashier in parallel took a picked seat, before answering 409.
BEST_AVAILABLE_ATTEMPTS = 3


def hold_best_available(
    *,
    user: AbstractBaseUser,
    event_id: int,
    zone_id: int,
    quantity: int,
    together: bool = True,
    now: datetime | None = None,
) -> Transaction:
    """Hold the `quantity` best free seats of a numbered zone (the rule is
    reservations.best_available: best rows, centre, no avoidable single gap; adjacent
    when `together`). One read of the zone's seats, then the ordinary hold (`hold_seats`,
    pos_hold) of the pick; when a cashier in parallel took a picked seat first, a fresh
    pick, at most BEST_AVAILABLE_ATTEMPTS in all. NoAdjacentSeats (together) or
    NotEnoughSeats when the zone cannot offer them."""
    if not 1 <= quantity <= MAX_ITEMS_PER_REQUEST:
        raise InvalidHoldRequest(f"best_available must be between 1 and "
                                 f"{MAX_ITEMS_PER_REQUEST}.")
    zone = Zone.objects.filter(pk=zone_id, event_id=event_id).first()
    if zone is None:
        raise InvalidHoldRequest(f"Zone {zone_id} does not exist in event {event_id}.")
    if zone.is_general_admission:
        raise InvalidHoldRequest(f"Zone {zone.name} is general admission: ask for a "
                                 "quantity in `zones`.")
    row_order = parse_row_order(zone.row_order)
    for _attempt in range(BEST_AVAILABLE_ATTEMPTS):
        spots = zone_seat_spots(zone_id=zone.pk, now=now or timezone.now())
        picked = pick_best_seats(spots, quantity, together=together, row_order=row_order)
        if picked is None:
            break
        try:
            tx = hold_seats(user=user, event_id=event_id, seat_ids=picked, now=now)
        except SeatsUnavailable:
            logger.info("hold.best_available_retry", event_id=event_id, zone_id=zone.pk)
            continue
        logger.info("hold.best_available", transaction=tx.pk, zone_id=zone.pk,
                    seats=len(picked), together=together)
        return tx
    if together:
        raise NoAdjacentSeats(zone_id=zone.pk, zone_name=zone.name, requested=quantity)
    free = sum(1 for spot in zone_seat_spots(zone_id=zone.pk, now=now or timezone.now())
               if spot.free)
    raise NotEnoughSeats(zone_id=zone.pk, zone_name=zone.name, requested=quantity,
                         available=free)


# --- Acting on an existing hold ------------------------------------------------------


def lock_sale(*, user: AbstractBaseUser, transaction_id: int, now: datetime) -> Transaction:
    """The transaction, locked (inside the caller's transaction), with its ACTIVE items
    (`written_items`) and whether they are all live (`items_live`): one call of
    `pos_lock_sale` (reservations/sql/lock_sale.sql). A cashier sees only their own
    (others' are HoldNotFound, as holds_visible_to)."""
    answer = _call_write_function("pos_lock_sale", transaction_id, user.pk,
                                  acts_on_every_hold(user), now, LOCK_TIMEOUT,
                                  savepoint=False)
    if "error" in answer:
        raise HoldNotFound()
    tx = _build_hold(answer, user=user)
    tx.items_live = answer["live"]
    return tx


def locked_hold_for(user: AbstractBaseUser, transaction_id: int) -> Transaction:
    """The transaction, locked (inside the caller's atomic block); a cashier sees only
    their own (others' are 404)."""
    tx = lock_transaction(transaction_id)
    if tx is None:
        raise HoldNotFound()
    if tx.cashier_id != user.pk and not acts_on_every_hold(user):  # as holds_visible_to
        raise HoldNotFound()
    return tx


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


def _refuse_hold_action(answer: dict[str, Any], *, transaction_id: int, action: str) -> None:
    """Raise the domain error for a refusal of `pos_release` or `pos_extend`."""
    error = answer["error"]
    if error == "not_found":
        raise HoldNotFound()
    if error == "expired":
        raise HoldExpired()
    if error == "not_pending":
        raise IllegalTransition(
            f"Hold {transaction_id} is {answer['status']}; it cannot be {action}.")
    if error == "no_seats":
        raise InvalidHoldRequest("Name at least one seat to release.")
    if error == "seats_not_in_hold":
        missing = ", ".join(map(str, answer["seat_ids"][:20]))
        raise InvalidHoldRequest(f"These seats are not in hold {transaction_id}: {missing}.")
    if error == "extension_not_allowed":
        raise ExtensionRefused("This venue does not allow extending holds.")
    if error == "already_extended":
        raise ExtensionRefused(f"Hold {transaction_id} was already extended once.")
    raise AssertionError(f"the hold function answered an unknown refusal: {answer!r}")


@retry_on_conflict
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
    One call of `pos_release` (reservations/sql/release.sql). The transaction carries
    all its items as written (`written_items`)."""
    now = now or timezone.now()
    answer = _call_write_function(
        "pos_release", transaction_id, user.pk, acts_on_every_hold(user),
        None if seat_ids is None else list(seat_ids), reason, now, LOCK_TIMEOUT)
    if "error" in answer:
        _refuse_hold_action(answer, transaction_id=transaction_id, action="released")
    tx = _build_hold(answer, user=user)
    invalidate_availability({tx.event_id})
    logger.info("hold.released", transaction=transaction_id, partial=seat_ids is not None)
    return tx


@retry_on_conflict
def extend_hold(
    *, user: AbstractBaseUser, transaction_id: int, now: datetime | None = None
) -> Transaction:
    """Give a live hold its hold time once more (the event's minutes, else the tenant's,
    as when it was made). Allowed once per hold.
    One call of `pos_extend` (reservations/sql/extend.sql)."""
    now = now or timezone.now()
    settings = current_tenant_settings()
    answer = _call_write_function(
        "pos_extend", transaction_id, user.pk, acts_on_every_hold(user),
        settings.allow_hold_extension, settings.reservation_hold_minutes, now, LOCK_TIMEOUT)
    if "error" in answer:
        _refuse_hold_action(answer, transaction_id=transaction_id, action="extended")
    tx = _build_hold(answer, user=user)
    invalidate_availability({tx.event_id})
    logger.info("hold.extended", transaction=transaction_id)
    return tx


# --- A venue admin's longer hold; the release of a cashier's holds at log-out -----------


def _hold_not_active(tx: Transaction, items: list[ReservedTicket], now: datetime
                     ) -> HoldNotActive | None:
    """Why a (locked) hold can no longer be granted time, or None while it is live."""
    ended = {
        Transaction.Status.COMPLETED: "is completed (sold)",
        Transaction.Status.CANCELLED: "was released (cancelled)",
        Transaction.Status.RESERVED: ("is a partial-payment reservation: it is kept until "
                                      "its payment deadline (the bulk extension moves it)"),
    }
    if tx.status in ended:
        return HoldNotActive(f"Hold {tx.pk} {ended[tx.status]}; only a live hold can be "
                             "granted a longer time.", status=tx.status)
    if tx.status == Transaction.Status.EXPIRED or not items or any(
            not item.is_live_at(now) for item in items):
        until = (min(item.reserved_until for item in items) if items else
                 tx.reserved_tickets.aggregate(until=Max("reserved_until"))["until"])
        when = f" at {timezone.localtime(until):%H:%M}" if until else ""
        return HoldNotActive(
            f"Hold {tx.pk} expired{when}; only a live hold can be granted a longer time. "
            "Hold the seats again.", status=Transaction.Status.EXPIRED,
            expired_at=until.isoformat() if until else None)
    return None


@retry_on_conflict
def grant_hold_time(
    *, user: AbstractBaseUser, transaction_id: int, minutes: int, reason: str,
    now: datetime | None = None,
) -> Transaction:
    """A venue admin keeps a live hold (a VIP or group sale) until `minutes` from now.

    At most the venue's `max_granted_hold_minutes` (GrantOverCap, 400, naming it), and
    never shorter than the hold already is (GrantTooShort, 400). Only a live hold
    (HoldNotActive, 409, says why not: expired, released, sold, reserved). Nothing is
    edited but the items' `reserved_until`, the hold's state; an audit row (reason
    hold_granted) names who, how long, until when and why. Locks: the transaction, then
    its items (reservations/lock_objects.py)."""
    now = now or timezone.now()
    cap = current_tenant_settings().max_granted_hold_minutes
    if minutes > cap:
        raise GrantOverCap(
            f"A hold may be granted at most {cap} minutes (the venue's "
            f"max_granted_hold_minutes); {minutes} were asked.",
            max_granted_hold_minutes=cap, minutes=minutes)
    until = now + timedelta(minutes=minutes)
    with transaction.atomic():
        tx = locked_hold_for(user, transaction_id)
        item_ids = lock_items(tx.reserved_tickets.filter(status=ACTIVE)
                              .values_list("id", flat=True))
        items = list(ReservedTicket.objects.filter(id__in=item_ids, status=ACTIVE))
        refusal = _hold_not_active(tx, items, now)
        if refusal is not None:
            raise refusal
        latest = max(item.reserved_until for item in items)
        if until <= latest:
            raise GrantTooShort(
                f"Hold {tx.pk} is already kept until {timezone.localtime(latest):%H:%M}; "
                f"{minutes} minutes from now would not lengthen it.",
                expires_at=latest.isoformat(), minutes=minutes)
        ReservedTicket.objects.filter(id__in=item_ids, status=ACTIVE).update(
            reserved_until=until, updated_at=now)
        StatusChange.objects.create(
            subject=StatusChange.Subject.TRANSACTION, subject_id=tx.pk, transaction=tx,
            from_status=tx.status, to_status=tx.status, reason=Reason.HOLD_GRANTED,
            actor=user, created_at=now,
            note=(f"hold granted until {until.isoformat()} ({minutes} min) by "
                  f"{user.get_username()}: {reason}")[:300])
        # The seat map's snapshot is only valid until the first hold in it expires.
        invalidate_availability({tx.event_id})
    logger.info("hold.granted", transaction=tx.pk, minutes=minutes, by=user.pk)
    return tx


def release_holds_of(
    *, user_ids: Sequence[int], reason: str = Reason.LOGOUT, now: datetime | None = None
) -> int:
    """Release every live hold (a PENDING transaction) of these users, one by one through
    `release_hold` (statuses, audit rows and availability as for a cashier's own release):
    their log-out from the POS page, or their terminal's token revoked.

    A hold does not record the terminal it was made at, so it is the cashier's: all
    their live holds go, whichever terminal made them. Partial-payment reservations
    (RESERVED) are never released here. A hold sold, released or expired meanwhile, or
    busy past the lock timeout (it will expire), is skipped. Returns how many went."""
    now = now or timezone.now()
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=list(user_ids))}
    live = ReservedTicket.objects.live(now).filter(transaction=OuterRef("pk"))
    pending = list(
        Transaction.objects.filter(cashier_id__in=list(users),
                                   status=Transaction.Status.PENDING)
        .filter(Exists(live)).order_by("id").values_list("id", "cashier_id"))
    released = 0
    for tx_id, cashier_id in pending:
        try:
            release_hold(user=users[cashier_id], transaction_id=tx_id, reason=reason, now=now)
        except (HoldExpired, HoldNotFound, IllegalTransition, Busy):
            continue
        released += 1
    if pending:
        logger.info("holds.released_on_logout", users=sorted(users), released=released,
                    skipped=len(pending) - released, reason=reason)
    return released


def release_holds_after_commit(*, user_ids: Sequence[int], reason: str = Reason.LOGOUT
                               ) -> None:
    """`release_holds_of` once the caller's transaction (a token revoked) has committed,
    in the same tenant schema: never under the caller's locks. A failure is logged, not
    raised (robust): the holds then expire at their time."""
    schema, ids = connection.schema_name, list(user_ids)

    def release() -> None:
        with schema_context(schema):
            release_holds_of(user_ids=ids, reason=reason)

    transaction.on_commit(release, robust=True)


@dataclass(frozen=True)
class CompletedSale:
    tickets: list[list[Ticket]]  # each item's, in item order
    history: list[StatusChange]  # every audit row of the transaction, in order


def complete_hold(
    tx: Transaction, items: Sequence[HeldItem], *, actor: AbstractBaseUser,
    now: datetime, payments: Sequence[tuple[int, str]] = (),
) -> CompletedSale:
    """A hold or reservation paid in full becomes a sale: its ACTIVE `items` (as
    `lock_sale` answered them) COMPLETED, the (locked) transaction COMPLETED, one ticket
    per seat or general-admission unit, audit rows for all of it and for `payments` (id
    and note of each payment just taken). One call of `pos_complete`
    (reservations/sql/complete.sql), inside the caller's transaction. HoldExpired if an
    item was expired meanwhile (the caller's transaction then rolls back)."""
    require_transition(tx, Transaction.Status.COMPLETED)
    codes = [[new_ticket_code() for _ in range(item.quantity)] for item in items]
    answer = _call_write_function(
        "pos_complete", tx.pk, actor.pk, now, [item.pk for item in items],
        [item.pk for item, item_codes in zip(items, codes, strict=True) for _ in item_codes],
        [code for item_codes in codes for code in item_codes],
        [payment_id for payment_id, _ in payments], [note for _, note in payments],
        LOCK_TIMEOUT, savepoint=False)
    if "error" in answer:
        raise HoldExpired()
    # The instances as written, for the caller's answer.
    tx.status, tx.completed_at, tx.payment_deadline = Transaction.Status.COMPLETED, now, None
    for item in items:
        item.status = ReservedTicket.Status.COMPLETED
    ticket_ids = answer["tickets"]
    tickets = []
    for item, item_codes in zip(items, codes, strict=True):
        zone = Zone(pk=item.zone_id, name=item.zone.name, tax_category=item.zone.tax_category)
        seat = Seat(pk=item.seat_id, label=item.seat.label) if item.seat_id else None
        tickets.append([_written(Ticket(pk=ticket_ids[code], transaction=tx,
                                        event_id=item.event_id, zone=zone, seat=seat,
                                        code=code, price=item.unit_price, issued_at=now))
                        for code in item_codes])
    invalidate_availability({items[0].event_id})
    return CompletedSale(tickets=tickets, history=[_history_row(row, tx)
                                                   for row in answer["history"]])


def _written(instance: Any) -> Any:
    instance._state.adding = False
    return instance


def _history_row(row: dict[str, Any], tx: Transaction) -> StatusChange:
    """An audit row as a write function answered it (with its actor's username)."""
    actor = (_written(get_user_model()(pk=row["actor"], username=row["actor_username"]))
             if row["actor"] else None)
    return _written(StatusChange(
        pk=row["id"], subject=row["subject"], subject_id=row["subject_id"], transaction=tx,
        from_status=row["from_status"], to_status=row["to_status"], reason=row["reason"],
        note=row["note"], actor=actor, created_at=parse_datetime(row["created_at"])))


def keep_items_until(items: list[ReservedTicket], *, until: datetime, now: datetime) -> None:
    """The (locked transaction's) items stay held until `until` (a partial payment's
    deadline)."""
    ReservedTicket.objects.filter(id__in=lock_items(i.pk for i in items), status=ACTIVE
                                  ).update(reserved_until=until, updated_at=now)
    invalidate_availability({items[0].event_id})


def cancel_items(items: list[ReservedTicket], *, actor: AbstractBaseUser, reason: str,
                 note: str, now: datetime) -> None:
    """ACTIVE → CANCELLED for the items of a (locked) reservation given up: the seats are
    free once the caller commits."""
    transition_reserved_tickets(items, to=ReservedTicket.Status.CANCELLED, reason=reason,
                                actor=actor, note=note, now=now)
    if items:
        invalidate_availability({items[0].event_id})


def refund_items(
    *, transaction_id: int, seat_ids: Sequence[int], ga_units: dict[int, int],
    actor: AbstractBaseUser, note: str, now: datetime,
) -> set[int]:
    """Put refunded places of a sale back on sale, inside the caller's transaction (the
    credit note's): its sold items of `seat_ids`, and `ga_units[zone]` units of its
    general-admission items, move COMPLETED → REFUNDED with an audit row each. A GA item
    refunded in part is REFUNDED whole and its remaining units are sold again as a new
    COMPLETED item (what was sold is never edited). Returns the event ids whose
    availability changed (invalidated after commit)."""
    sold = list(ReservedTicket.objects.filter(id__in=lock_items(
        ReservedTicket.objects.filter(transaction_id=transaction_id,
                                      status=ReservedTicket.Status.COMPLETED)
        .values_list("id", flat=True))).order_by("id"))
    refunded = [item for item in sold if item.seat_id in set(seat_ids)]
    remainders = []
    left = dict(ga_units)
    for item in sold:
        units = min(left.get(item.zone_id, 0), item.quantity) if item.seat_id is None else 0
        if not units:
            continue
        left[item.zone_id] -= units
        refunded.append(item)
        if units < item.quantity:
            remainders.append(ReservedTicket(
                transaction_id=item.transaction_id, event_id=item.event_id,
                zone_id=item.zone_id, quantity=item.quantity - units,
                unit_price=item.unit_price, reserved_until=item.reserved_until,
                status=ReservedTicket.Status.COMPLETED, created_by_id=item.created_by_id))
    changed = transition_reserved_tickets(refunded, to=ReservedTicket.Status.REFUNDED,
                                          reason=Reason.REFUND, actor=actor, note=note,
                                          now=now)
    if remainders:
        ReservedTicket.objects.bulk_create(remainders)
        record_items_created(remainders, actor=actor, note=f"{note}: units still sold",
                             now=now)
    events = {item.event_id for item in changed}
    invalidate_availability(events)
    return events


@dataclass
class ExpiryResult:
    holds: int = 0
    transactions: int = 0
    events: set[int] = field(default_factory=set)


def _expire_batch(now: datetime, batch_size: int) -> ExpiryResult:
    """One batch of the expiry job, in its own transaction: stale items whose transaction
    nobody holds (lock_objects.claim_stale_items), then the transactions left with no
    live item. Set-based: a few statements whatever the count."""
    with transaction.atomic():
        expired = transition_reserved_tickets_where(
            claim_stale_items(now, batch_size), from_status=ACTIVE,
            to=ReservedTicket.Status.EXPIRED, reason=Reason.EXPIRY, now=now)
        result = ExpiryResult(holds=len(expired),
                              events={event_id for _, _, event_id in expired})
        ending = claim_orphan_transactions({tx_id for _, tx_id, _ in expired})
        result.transactions = _expire_transactions(ending, now) if expired else 0
        invalidate_availability(result.events)
    return result


def _expire_transactions(ending, now: datetime) -> int:
    changed = transition_transactions_where(
        ending, from_statuses=[Transaction.Status.PENDING, Transaction.Status.RESERVED],
        to=Transaction.Status.EXPIRED, reason=Reason.EXPIRY, now=now)
    _announce_lapsed([tx_id for tx_id, from_status in changed
                      if from_status == Transaction.Status.RESERVED])
    return len(changed)


def _announce_lapsed(transaction_ids: Sequence[int]) -> None:
    """reservation.expired for each partial-payment reservation that lapsed, whichever
    write recorded it (the expiry job, or a hold that claimed its seats: pos_hold's
    `lapsed`)."""
    for transaction_id in transaction_ids:
        domain_events.emit(domain_events.RESERVATION_EXPIRED, transaction_id=transaction_id)


@retry_on_conflict
def expire_stale_holds(
    *, now: datetime | None = None, batch_size: int = 1000, dry_run: bool = False
) -> dict[str, int]:
    """Record EXPIRED on every hold past its time in the current schema, in batches, and
    on the transactions left with nothing live (also those a hold skipped when it expired
    their last item, see reservations/sql/hold.sql).

    Idempotent and safe beside live traffic: it never waits for a lock (SKIP LOCKED: a
    row a checkout is working on is left for the next run) and each batch commits on its
    own."""
    now = now or timezone.now()
    if dry_run:
        stale = ReservedTicket.objects.stale(now)
        return {
            "holds_expired": stale.count(),
            "transactions_expired": stale.values("transaction_id").distinct().count(),
        }
    total = ExpiryResult()
    while True:
        result = _expire_batch(now, batch_size)
        total.holds += result.holds
        total.transactions += result.transactions
        if result.holds < batch_size:
            break
    with transaction.atomic():
        total.transactions += _expire_transactions(claim_orphan_transactions(), now)
    logger.info("holds.expired", holds=total.holds, transactions=total.transactions)
    return {"holds_expired": total.holds, "transactions_expired": total.transactions}


# --- Operations: the bulk extension ----------------------------------------------------


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


@retry_on_conflict
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
