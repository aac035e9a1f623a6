"""Where does a hold spend its time? Runs holds (and their releases) in this process
through Django's full request stack (tenant middleware, token auth, DRF, the service),
without HTTP or gunicorn, and prints the queries of one hold and a cProfile summary.

    python -m benchmarks.profile_hold --manifest M.json --holds 300 [--sql] [--top 30]

M.json comes from `benchmarks.fixtures onsale` (use a fresh one: holds are released, but
the event should not be sold out)."""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import time
from collections import Counter

from benchmarks.common import REPO_DIR, django_setup, latency_summary, load_manifest


def _layer(filename: str) -> str:
    if "site-packages/" in filename:
        module = filename.split("site-packages/", 1)[1]
        if module.startswith(("django/db", "psycopg")):
            return "ORM + psycopg (compile, run, build rows; includes waiting on PostgreSQL)"
        if module.startswith("rest_framework"):
            return "DRF (parse, validate, serialize, dispatch)"
        if module.startswith(("redis", "django_redis")):
            return "Redis client"
        if module.startswith(("django", "django_tenants", "whitenoise", "asgiref")):
            return "Django request (middleware, routing, test client)"
        return "other libraries"
    if str(REPO_DIR) in filename and ".venv" not in filename:
        return "project code"
    return "standard library and builtins (called by all of the above)"


def by_layer(profiler: cProfile.Profile) -> dict[str, float]:
    """Own time per layer of the stack, as shares of the whole, largest first."""
    totals: Counter = Counter()
    for (filename, _, _), (_, _, own, _, _) in pstats.Stats(profiler).stats.items():
        totals[_layer(filename)] += own
    whole = sum(totals.values()) or 1.0
    return {layer: t / whole for layer, t in totals.most_common()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--holds", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sql", action="store_true", help="print the SQL of one hold")
    args = parser.parse_args(argv)
    django_setup()
    from django.db import connection, reset_queries
    from django.test import Client

    manifest = load_manifest(args.manifest)
    seats = manifest["seat_ids"]
    client = Client(HTTP_HOST=manifest["host"],
                    HTTP_AUTHORIZATION=f"Token {manifest['tokens'][0]}")
    rng = random.Random(3)

    def one_hold() -> tuple[float, int]:
        start = rng.randrange(0, len(seats) - 4)
        started = time.perf_counter()
        response = client.post("/api/holds/", {"event": manifest["event"],
                                                "seat_ids": seats[start:start + 2]},
                               content_type="application/json")
        elapsed = time.perf_counter() - started
        if response.status_code == 201:
            client.delete(f"/api/holds/{response.json()['id']}/")
        return elapsed, response.status_code

    for _ in range(20):  # warm caches, connections, imports
        one_hold()
    connection.force_debug_cursor = True
    hold_id = None
    for name in ("hold", "release"):
        reset_queries()
        if name == "hold":
            begin = rng.randrange(0, len(seats) - 4)
            response = client.post("/api/holds/", {"event": manifest["event"],
                                                    "seat_ids": seats[begin:begin + 2]},
                                   content_type="application/json")
        else:
            response = client.delete(f"/api/holds/{hold_id}/")
        hold_id = hold_id or response.json().get("id")
        sql = [q["sql"] for q in connection.queries]
        sets = sum(1 for q in sql if q.startswith("SET search_path"))
        print(f"{name}: HTTP {response.status_code}, {len(sql)} statements "
              f"({sets} of them SET search_path)")
        if args.sql:
            for i, q in enumerate(connection.queries, 1):
                print(f"  {i:>2}. {q['time']}s  {q['sql'][:160]}")
    connection.force_debug_cursor = False

    profiler = cProfile.Profile()
    latencies, statuses = [], Counter()
    profiler.enable()
    for _ in range(args.holds):
        elapsed, status = one_hold()
        latencies.append(elapsed)
        statuses[status] += 1
    profiler.disable()
    print(f"in-process hold (no HTTP): {latency_summary(latencies)} statuses {dict(statuses)}")
    print("\nshare of the profiled time (holds and releases) by layer:")
    for layer, share in by_layer(profiler).items():
        print(f"  {share:5.1%}  {layer}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
