"""Reads a hot standby takes off the primary: availability cache misses and reservation stats,
with and without the replica (docs/replica.md).

    POS_DB_REPLICA_PORT=55442 python -m benchmarks.replica --manifest M.json \
        --processes 2 --duration 10 --json benchmarks/results/replica.json

The event comes from `benchmarks.fixtures availability` (20,000 seats, 30 % held, 30 % sold).
In process, no HTTP: each case runs `--processes` forked readers for `--duration` seconds.
  availability_miss: the seat-map snapshot computed from the database, as a cache miss does
                     (on the replica: only once it has replayed the primary's last write);
  stats:             reservation_stats() of the tenant (every event, 24 h window).
Each on the primary (the function unmarked) and on the replica (marked stale_reads_ok, as the
code calls it). Also the primary's busy backends seen while the replica case runs: the load
taken off it."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from typing import Any

from benchmarks.common import (
    django_setup,
    latency_summary,
    load_manifest,
    machine,
    write_json,
)


def _reader(case: str, where: str, schema: str, event_id: int, duration: float,
            out: Any) -> None:
    django_setup()
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from pos.replica import forget_health
    from reservations import selectors, stats
    from sales.models import Event

    forget_health()
    with schema_context(schema):
        event = Event.objects.get(pk=event_id)
        if case == "availability_miss":
            marked, plain = selectors._snapshot_for_cache, selectors._compute_snapshot

            def call(fn):
                return fn(event, timezone.now())
        else:
            marked, plain = stats.reservation_stats, stats.reservation_stats.__wrapped__

            def call(fn):
                return fn(now=timezone.now(), window_hours=24)
        fn = marked if where == "replica" else plain
        call(fn)  # warm: connections, health check
        latencies: list[float] = []
        deadline = time.perf_counter() + duration
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            call(fn)
            latencies.append(time.perf_counter() - started)
    out.put(latencies)


def _primary_busy(out: Any, stop: Any, database: str) -> None:
    """Active backends of the primary's database, sampled every 50 ms (not counting this)."""
    django_setup()
    from django.db import connection

    samples: list[int] = []
    while not stop.is_set():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
                           " AND state = 'active' AND pid <> pg_backend_pid()", [database])
            samples.append(cursor.fetchone()[0])
        time.sleep(0.05)
    out.put(samples)


def run_case(case: str, where: str, manifest: dict[str, Any], args: argparse.Namespace
             ) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    out, busy_out = context.Queue(), context.Queue()
    stop = context.Event()
    from django.conf import settings

    database = settings.DATABASES["default"]["NAME"]
    sampler = context.Process(target=_primary_busy, args=(busy_out, stop, database))
    sampler.start()
    readers = [context.Process(target=_reader, args=(case, where, manifest["schema"],
                                                     manifest["event"], args.duration, out))
               for _ in range(args.processes)]
    started = time.perf_counter()
    for reader in readers:
        reader.start()
    latencies: list[float] = []
    for _ in readers:
        latencies += out.get(timeout=args.duration + 300)
    elapsed = time.perf_counter() - started
    for reader in readers:
        reader.join()
    stop.set()
    busy = busy_out.get(timeout=60)
    sampler.join()
    return {"case": case, "where": where, "reads": len(latencies),
            "reads_per_second": round(len(latencies) / args.duration, 2),
            "wall_seconds": round(elapsed, 1), "latency": latency_summary(latencies),
            "primary_active_backends_mean": round(sum(busy) / len(busy), 2) if busy else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if not os.environ.get("POS_DB_REPLICA_PORT"):
        parser.error("POS_DB_REPLICA_PORT is not set: start one with scripts/replica.sh")
    manifest = load_manifest(args.manifest)
    django_setup()
    from pos.replica import replica_health

    # A standby started again after a while first replays what it missed.
    deadline = time.monotonic() + 300
    health = replica_health(refresh=True)
    while health is not None and not health.usable and time.monotonic() < deadline:
        time.sleep(1)
        health = replica_health(refresh=True)
    if health is None or not health.usable:
        print(f"the replica is not usable: {health}", file=sys.stderr)
        return 1
    results = [run_case(case, where, manifest, args)
               for case in ("availability_miss", "stats") for where in ("primary", "replica")]
    print(f"{'case':<20}{'served by':<11}{'reads':>7}{'reads/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'primary busy':>14}")
    for r in results:
        print(f"{r['case']:<20}{r['where']:<11}{r['reads']:>7}{r['reads_per_second']:>9}"
              f"{r['latency']['p50_ms']!s:>9}{r['latency']['p99_ms']!s:>9}"
              f"{r['primary_active_backends_mean']!s:>14}")
    write_json(args.json, {"benchmark": "replica", "machine": machine(),
                           "processes": args.processes, "duration_seconds": args.duration,
                           "seats": manifest.get("seats"), "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
