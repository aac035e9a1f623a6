"""Benchmark data, made through the project's own services in the database named by
POS_DB_NAME, and a manifest (hosts, ids, tokens) for the load clients.

    python -m benchmarks.fixtures onsale --seats 20000 --cashiers 64 --out M.json
    python -m benchmarks.fixtures availability --seats 20000 --held 0.3 --sold 0.3 --out M.json
    python -m benchmarks.fixtures scale --small 1000 --large 100000 --tenants 100 --out M.json

Tenants and users are reused when they exist (a second run is quick); every on-sale and
availability run gets a fresh event, so seats sold by an earlier run never skew it."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.common import ROW, django_setup

BENCH_SCHEMA = "bench"
PASSWORD = "bench-pass-123"
SEAT_PRICE = Decimal("10.00")
RATE = Decimal("100.0000")  # Bs per USD: one seat costs 10 × 1.16 × 100 = 1160.00 Bs


def host_of(schema: str) -> str:
    return schema.replace("_", "-") + ".localhost"


def ensure_tenant(schema: str) -> Any:
    from tenants.models import Tenant
    from tenants.services import create_tenant, ensure_public_tenant

    ensure_public_tenant()
    tenant = Tenant.objects.filter(schema_name=schema).first()
    if tenant is None:
        tenant = create_tenant(schema_name=schema, domain=host_of(schema),
                               admin_username="admin", admin_password=PASSWORD)
    return tenant


def ensure_cashiers(count: int, prefix: str = "c") -> dict[str, str]:
    """Cashiers c000…, each with a fresh API token, in the current schema. Existing users
    are kept as they are (hashing a password is the slow part of creating one)."""
    from django.contrib.auth import get_user_model

    from tenants.roles import Role
    from tenants.services import create_staff_user
    from tenants.staff.services import issue_token

    User = get_user_model()
    tokens = {}
    for i in range(count):
        username = f"{prefix}{i:03d}"
        user = User.objects.filter(username=username).first() or create_staff_user(
            username=username, password=PASSWORD, role=Role.CASHIER)
        tokens[username] = issue_token(user=user)[1]
    return tokens


def ensure_rate() -> None:
    """What a checkout needs of the fiscal app: USD rates around today and an issuer
    identity (without it, 409 fiscal_profile_incomplete)."""
    from fiscal.models import ExchangeRate
    from fiscal.selectors import fiscal_day, fiscal_profile, missing_issuer_fields
    from fiscal.services import set_up_issuer

    if missing_issuer_fields(fiscal_profile()):
        set_up_issuer(legal_name="Teatro Bench, C.A.", rif="J-12345678-4",
                      fiscal_address="Caracas")
    day = fiscal_day()
    for valid_on in (day - timedelta(days=1), day, day + timedelta(days=1)):
        ExchangeRate.objects.update_or_create(currency="USD", valid_on=valid_on,
                                              defaults={"rate": RATE})


def make_event(name: str, seats: int, *, reuse: bool = False) -> tuple[Any, list[int]]:
    """An on-sale event with one numbered zone of `seats` seats, in rows of at most 500.
    Returns the event and its seat ids in row order (neighbours are adjacent)."""
    from django.utils import timezone

    from sales.models import Event, Seat, Venue, Zone
    from sales.services import MAX_ROWS, create_seats_in_rows

    if reuse:
        event = Event.objects.filter(name=name).order_by("-id").first()
        if event is not None:
            ids = list(Seat.objects.filter(zone__event=event)
                       .order_by("zone_id", "row", "number").values_list("id", flat=True))
            if len(ids) == seats:
                return event, ids
    venue = Venue.objects.get_or_create(name="Bench Arena")[0]
    event = Event.objects.create(venue=venue, name=name, currency="USD",
                                 starts_at=timezone.now() + timedelta(days=30))
    per_row = min(ROW, seats)
    rows = math.ceil(seats / per_row)
    zones_needed = math.ceil(rows / MAX_ROWS)
    made = 0
    for z in range(zones_needed):
        zone = Zone.objects.create(event=event, name=f"Zone {z + 1}", price=SEAT_PRICE)
        zone_rows = min(MAX_ROWS, rows - z * MAX_ROWS)
        full_rows = zone_rows if made + zone_rows * per_row <= seats else zone_rows - 1
        if full_rows:
            create_seats_in_rows(zone=zone, rows=[f"R{r:03d}" for r in range(full_rows)],
                                 seats_per_row=per_row)
            made += full_rows * per_row
        if made < seats and full_rows < zone_rows:
            create_seats_in_rows(zone=zone, rows=[f"R{full_rows:03d}"],
                                 seats_per_row=seats - made)
            made = seats
    ids = list(Seat.objects.filter(zone__event=event)
               .order_by("zone_id", "row", "number").values_list("id", flat=True))
    return event, ids


def fill_claims(event: Any, seat_ids: list[int], *, held: float, sold: float,
                holder_username: str) -> dict[str, int]:
    """Mark a share of the seats held (live for a day) and a share sold, directly in the
    database (a fixture, not a code path under test), four seats per transaction."""
    import random

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from reservations.models import ReservedTicket
    from sales.models import Seat, Transaction

    user = get_user_model().objects.get(username=holder_username)
    shuffled = seat_ids[:]
    random.Random(7).shuffle(shuffled)
    n_held, n_sold = int(len(seat_ids) * held), int(len(seat_ids) * sold)
    zone_of = dict(Seat.objects.filter(id__in=seat_ids).values_list("id", "zone_id"))
    now = timezone.now()
    plan = [(shuffled[:n_held], Transaction.Status.PENDING, ReservedTicket.Status.ACTIVE),
            (shuffled[n_held:n_held + n_sold], Transaction.Status.COMPLETED,
             ReservedTicket.Status.COMPLETED)]
    with transaction.atomic():
        for ids, tx_status, rt_status in plan:
            groups = [ids[i:i + 4] for i in range(0, len(ids), 4)]
            txs = Transaction.objects.bulk_create(
                Transaction(event=event, cashier=user, currency="USD", status=tx_status,
                            subtotal=SEAT_PRICE * len(g),
                            completed_at=now if tx_status == "completed" else None)
                for g in groups)
            ReservedTicket.objects.bulk_create(
                (ReservedTicket(transaction=tx, event=event, zone_id=zone_of[s], seat_id=s,
                                unit_price=SEAT_PRICE, status=rt_status, created_by=user,
                                reserved_until=now + timedelta(days=1))
                 for tx, g in zip(txs, groups, strict=True) for s in g),
                batch_size=2000)
    return {"held": n_held, "sold": n_sold}


def build_onsale(args: argparse.Namespace) -> dict[str, Any]:
    from django_tenants.utils import tenant_context

    tenant = ensure_tenant(BENCH_SCHEMA)
    with tenant_context(tenant):
        ensure_rate()
        tokens = ensure_cashiers(args.cashiers)
        event, seat_ids = make_event(f"On-sale {time.strftime('%H:%M:%S')}", args.seats)
    return {"kind": "onsale", "schema": BENCH_SCHEMA, "host": host_of(BENCH_SCHEMA),
            "event": event.pk, "seat_ids": seat_ids, "tokens": list(tokens.values()),
            "seat_price": str(SEAT_PRICE), "rate": str(RATE)}


def build_availability(args: argparse.Namespace) -> dict[str, Any]:
    from django_tenants.utils import tenant_context

    tenant = ensure_tenant(BENCH_SCHEMA)
    with tenant_context(tenant):
        tokens = ensure_cashiers(1)
        # The claims belong to a user of their own, who never holds through the API (the
        # per-cashier hold limit would refuse the load clients' cashiers otherwise).
        ensure_cashiers(1, prefix="holder")
        event, seat_ids = make_event(f"Availability {time.strftime('%H:%M:%S')}", args.seats)
        counts = fill_claims(event, seat_ids, held=args.held, sold=args.sold,
                             holder_username="holder000")
    return {"kind": "availability", "schema": BENCH_SCHEMA, "host": host_of(BENCH_SCHEMA),
            "event": event.pk, "seats": len(seat_ids), **counts,
            # The reader is not the holder, so its seat map has no "reserved_by_me".
            "token": tokens["c000"]}


def build_scale(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django_tenants.utils import tenant_context

    cases: dict[str, Any] = {}
    tenant = ensure_tenant(BENCH_SCHEMA)
    with tenant_context(tenant):
        ensure_rate()
        tokens = ensure_cashiers(args.cashiers)
        for label, seats in (("seats_small", args.small), ("seats_large", args.large)):
            event, seat_ids = make_event(f"Scale {seats} seats", seats, reuse=True)
            cases[label] = {"seats": seats, "targets": [
                {"host": host_of(BENCH_SCHEMA), "event": event.pk, "seat_ids": seat_ids,
                 "tokens": list(tokens.values())}]}
    targets = []
    for i in range(args.tenants):
        schema = f"bench_t{i:03d}"
        started = time.monotonic()
        tenant = ensure_tenant(schema)
        with tenant_context(tenant):
            ensure_rate()
            t_tokens = ensure_cashiers(max(1, args.cashiers // 8))
            event, seat_ids = make_event(f"Scale {args.small} seats", args.small, reuse=True)
        targets.append({"host": host_of(schema), "event": event.pk, "seat_ids": seat_ids,
                        "tokens": list(t_tokens.values())})
        print(f"tenant {i + 1}/{args.tenants} {schema} ready "
              f"({time.monotonic() - started:.1f} s)", file=sys.stderr)
    connection.set_schema_to_public()
    cases["tenants_one"] = {"tenants": 1, "seats": args.small, "targets": targets[:1]}
    cases["tenants_many"] = {"tenants": len(targets), "seats": args.small, "targets": targets}
    return {"kind": "scale", "cases": cases}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    onsale = sub.add_parser("onsale", help="one hot event and many cashiers")
    onsale.add_argument("--seats", type=int, default=20000)
    onsale.add_argument("--cashiers", type=int, default=64)
    avail = sub.add_parser("availability", help="an event with seats held and sold")
    avail.add_argument("--seats", type=int, default=20000)
    avail.add_argument("--held", type=float, default=0.3)
    avail.add_argument("--sold", type=float, default=0.3)
    scale = sub.add_parser("scale", help="small and large events, one and many tenants")
    scale.add_argument("--small", type=int, default=1000)
    scale.add_argument("--large", type=int, default=100000)
    scale.add_argument("--tenants", type=int, default=100)
    scale.add_argument("--cashiers", type=int, default=16)
    for p in (onsale, avail, scale):
        p.add_argument("--out", required=True, help="manifest JSON to write")
    args = parser.parse_args(argv)
    django_setup()
    started = time.monotonic()
    manifest = {"onsale": build_onsale, "availability": build_availability,
                "scale": build_scale}[args.what](args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(manifest))
    print(f"fixture {args.what} ready in {time.monotonic() - started:.1f} s → {args.out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
