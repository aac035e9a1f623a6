"""The expiry job on a big backlog: 100,000 expired holds across 10 tenants.

    .venv/bin/python benchmarks/cleanup.py [--holds 100000] [--tenants 10] \
        [--batch-size 1000] [--json benchmarks/results/cleanup.json]

Works in a database of its own (`--database`, default `pos_bench_cleanup`, created in the
private cluster when missing) with tenants `bench_c0`, `bench_c1`, ... (created once and
reused). Each run empties their sales data, inserts the holds (4 seats per pending
transaction, all past `reserved_until`), then times the cleanup task's body as beat runs
it (from the public schema, every tenant in turn, batches of `--batch-size` with SKIP
LOCKED; in this process, so the figure is the job's work, not broker latency), checks
that every hold and transaction is recorded EXPIRED with its audit rows, and times a
second run, which must find nothing to do."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
SEATS_PER_HOLD = 4
BENCH_PASSWORD = "bench-pass-123"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--holds", type=int, default=100_000, help="expired holds in all")
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--database", default="pos_bench_cleanup")
    parser.add_argument("--json", metavar="PATH", help="also write the result as JSON")
    return parser.parse_args()


def setup_django(database: str) -> None:
    os.environ["POS_DB_NAME"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos.settings")
    # Quiet the per-batch log lines of the job itself.
    os.environ.setdefault("POS_LOG_LEVEL", "WARNING")
    subprocess.run(["bash", str(REPO_DIR / "scripts" / "ensure_database.sh"), database],
                   check=True)
    sys.path.insert(0, str(REPO_DIR))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)


def ensure_tenants(count: int) -> list[str]:
    from django_tenants.utils import schema_context

    from tenants.models import Tenant
    from tenants.roles import Role
    from tenants.services import create_staff_user, create_tenant, ensure_public_tenant

    ensure_public_tenant()
    schemas = []
    for index in range(count):
        schema = f"bench_c{index}"
        if not Tenant.objects.filter(schema_name=schema).exists():
            print(f"creating tenant {schema} (once)", flush=True)
            create_tenant(schema_name=schema, domain=f"{schema.replace('_', '-')}.localhost",
                          admin_username="admin", admin_password=BENCH_PASSWORD)
        with schema_context(schema):
            create_staff_user(username="cashier", password=BENCH_PASSWORD, role=Role.CASHIER)
        schemas.append(schema)
    # Tenants left from a run with more tenants would be cleaned too: leave them out.
    extra = Tenant.objects.filter(schema_name__startswith="bench_c").exclude(
        schema_name__in=schemas)
    if extra.exists():
        raise SystemExit(f"Database has other bench tenants ({extra.count()}); use --tenants "
                         f"{count + extra.count()} or a fresh --database.")
    return schemas


def fill(schema: str, holds: int) -> None:
    """`holds` seats held by pending transactions whose time has passed."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from reservations.models import ReservedTicket
    from sales.models import Event, Seat, Transaction, Venue, Zone

    with schema_context(schema), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE reservations_statuschange, reservations_holdattempt, "
                "reservations_cleanuprun, reservations_alert, "
                "reservations_reservationstatssnapshot, reservations_reservedticket, "
                "sales_ticket, sales_payment, sales_transaction, sales_seat, sales_zone, "
                "sales_event, sales_venue RESTART IDENTITY CASCADE"
            )
        now = timezone.now()
        cashier = get_user_model().objects.get(username="cashier")
        venue = Venue.objects.create(name="Bench venue")
        event = Event.objects.create(venue=venue, name="Bench event", currency="USD",
                                     starts_at=now + timedelta(days=30))
        zone = Zone.objects.create(event=event, name="Platea", price=Decimal("10.00"),
                                   capacity=holds)
        Seat.objects.bulk_create(
            [Seat(zone=zone, row=f"R{i // 100}", number=i % 100 + 1, label=f"S{i}")
             for i in range(holds)], batch_size=5000)
        seats = list(Seat.objects.filter(zone=zone).order_by("id").values_list("id", flat=True))
        expired_at = now - timedelta(minutes=5)
        transactions = Transaction.objects.bulk_create(
            [Transaction(event=event, cashier=cashier, currency="USD",
                         subtotal=Decimal("10.00") * SEATS_PER_HOLD)
             for _ in range((holds + SEATS_PER_HOLD - 1) // SEATS_PER_HOLD)], batch_size=5000)
        ReservedTicket.objects.bulk_create(
            [ReservedTicket(transaction=transactions[i // SEATS_PER_HOLD], event=event,
                            zone=zone, seat_id=seat_id, unit_price=Decimal("10.00"),
                            reserved_until=expired_at, created_by=cashier)
             for i, seat_id in enumerate(seats)], batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE reservations_reservedticket; ANALYZE sales_transaction")


def check(schema: str, holds: int) -> dict[str, int]:
    from django_tenants.utils import schema_context

    from reservations.models import ReservedTicket, StatusChange
    from sales.models import Transaction

    with schema_context(schema):
        found = {
            "active_left": ReservedTicket.objects.filter(status="active").count(),
            "holds_expired": ReservedTicket.objects.filter(status="expired").count(),
            "transactions_expired": Transaction.objects.filter(status="expired").count(),
            "audit_rows": StatusChange.objects.filter(reason="expiry").count(),
        }
    expected_tx = (holds + SEATS_PER_HOLD - 1) // SEATS_PER_HOLD
    assert found["active_left"] == 0, found
    assert found["holds_expired"] == holds, found
    assert found["transactions_expired"] == expected_tx, found
    assert found["audit_rows"] == holds + expected_tx, found
    return found


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                            "loadavg_1m": round(os.getloadavg()[0], 2)}
    with contextlib.suppress(OSError, StopIteration):
        info["cpu_model"] = next(
            line.split(":", 1)[1].strip() for line in
            Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    return info


def main() -> None:
    args = parse_args()
    if args.holds < args.tenants or args.tenants < 1:
        raise SystemExit("--holds must be at least --tenants, and --tenants at least 1.")
    setup_django(args.database)
    from django.db import connection

    from reservations.tasks import cleanup_expired_reservations

    schemas = ensure_tenants(args.tenants)
    per_tenant = args.holds // args.tenants
    started = time.perf_counter()
    for schema in schemas:
        fill(schema, per_tenant)
    fill_seconds = time.perf_counter() - started
    print(f"{per_tenant * len(schemas):,} expired holds in {len(schemas)} tenants "
          f"(filled in {fill_seconds:.1f} s); running the cleanup task", flush=True)

    connection.set_schema_to_public()
    started = time.perf_counter()
    results = cleanup_expired_reservations(batch_size=args.batch_size)
    seconds = time.perf_counter() - started
    errors = {s: r for s, r in results.items() if "error" in r}
    if errors:
        raise SystemExit(f"cleanup failed: {errors}")
    checks = {schema: check(schema, per_tenant) for schema in schemas}

    connection.set_schema_to_public()
    started = time.perf_counter()
    second = cleanup_expired_reservations(batch_size=args.batch_size)
    second_seconds = time.perf_counter() - started
    assert all(r["holds_expired"] == 0 for s, r in second.items() if s in schemas), second

    total = sum(checks[s]["holds_expired"] for s in schemas)
    result = {
        "benchmark": "cleanup_expired_reservations",
        "holds": total,
        "transactions": sum(checks[s]["transactions_expired"] for s in schemas),
        "tenants": len(schemas),
        "batch_size": args.batch_size,
        "seconds": round(seconds, 2),
        "holds_per_second": round(total / seconds),
        "second_run_seconds": round(second_seconds, 3),
        "fill_seconds": round(fill_seconds, 1),
        "machine": machine(),
        "taken_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(f"cleanup task: {total:,} holds and {result['transactions']:,} transactions "
          f"expired in {seconds:.2f} s ({result['holds_per_second']:,} holds/s); "
          f"second run (nothing to do): {second_seconds * 1000:.0f} ms")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
        print(f"written to {args.json}")


if __name__ == "__main__":
    main()
