"""What each request of the on-sale mix costs the server, one at a time, in this process:
CPU and wall time through Django's whole stack (tenant middleware, token auth, DRF, the
services; no HTTP, no gunicorn) and the SQL statements it sends. Prints a table and the
CPU one hold cycle costs (a hold, then a release or a checkout in the on-sale's 80/20
mix), which bounds the holds/s the cores can give.

    python -m benchmarks.request_costs --manifest M.json --cycles 240 [--json out.json]

M.json comes from `benchmarks.fixtures onsale`. Statements are counted in a separate pass
(counting them costs time), so the times are not inflated by it.

Also what a terminal's log-in (`POST /api/auth/token/`, a knox token for the terminal,
the log-in throttle's checks; the password hash dominates) and log-out (`DELETE`) cost,
and two hard checks (exit 1 when missed): the warm trivial GET runs no SQL statement (the
worker remembers host, token digest and settings, tenants.identity), and a logged-out
token is refused on the very next request."""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import time
from collections import defaultdict
from functools import partial
from typing import Any

from benchmarks.common import checkout_body, django_setup, load_manifest, write_json

KINDS = ("trivial_get", "hold", "release", "checkout", "login", "logout")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--cycles", type=int, default=240)
    parser.add_argument("--checkout-ratio", type=float, default=0.2)
    parser.add_argument("--cashier", type=int, default=0, help="index of the manifest token")
    parser.add_argument("--logins", type=int, default=5,
                        help="log-ins (and log-outs) measured: each hashes a password")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)
    django_setup()
    logging.disable(logging.INFO)  # one log line per hold would bury the table
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    manifest = load_manifest(args.manifest)
    seats = manifest["seat_ids"]
    client = Client(HTTP_HOST=manifest["host"],
                    HTTP_AUTHORIZATION=f"Token {manifest['tokens'][args.cashier]}")

    def hold(seat_ids: list[int]):
        return client.post("/api/holds/", {"event": manifest["event"], "seat_ids": seat_ids},
                           content_type="application/json")

    def checkout(hold_id: int, seats_held: int):
        return client.post(f"/api/holds/{hold_id}/checkout/",
                           checkout_body(manifest, seats_held), content_type="application/json")

    def run(cycles: int, seed: int, record) -> None:
        rng = random.Random(seed)
        for _ in range(cycles):
            record("trivial_get", partial(client.get, "/api/settings/"))
            k = rng.randint(1, 4)
            start = rng.randrange(0, len(seats) - k)
            held = record("hold", partial(hold, seats[start:start + k]))
            if held.status_code != 201:
                continue
            hold_id = held.json()["id"]
            if rng.random() < args.checkout_ratio:
                record("checkout", partial(checkout, hold_id, k))
            else:
                record("release", partial(client.delete, f"/api/holds/{hold_id}/"))

    cpu: dict[str, list[float]] = defaultdict(list)
    wall: dict[str, list[float]] = defaultdict(list)
    statements: dict[str, list[int]] = defaultdict(list)

    def timed(kind: str, call):
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        response = call()
        cpu[kind].append(time.process_time() - started_cpu)
        wall[kind].append(time.perf_counter() - started_wall)
        return response

    def counted(kind: str, call):
        with CaptureQueriesContext(connection) as queries:
            response = call()
        statements[kind].append(len(queries.captured_queries))
        return response

    run(20, 1, lambda kind, call: call())  # warm: imports, connections, caches
    run(args.cycles, 2, timed)
    run(max(10, args.cycles // 10), 3, counted)

    # A terminal logging in and out (fixtures: cashier c000… with the bench password).
    from benchmarks.fixtures import PASSWORD

    anonymous = Client(HTTP_HOST=manifest["host"])
    credentials = {"username": f"c{args.cashier:03d}", "password": PASSWORD,
                   "terminal": "request-costs"}

    def log_in_and_out(record) -> str:
        token = record("login", partial(anonymous.post, "/api/auth/token/", credentials,
                                        content_type="application/json")).json()["token"]
        record("logout", partial(anonymous.delete, "/api/auth/token/",
                                 HTTP_AUTHORIZATION=f"Token {token}"))
        return token

    for _ in range(args.logins):
        log_in_and_out(timed)
    logged_out = log_in_and_out(counted)
    refused = anonymous.get("/api/settings/", HTTP_AUTHORIZATION=f"Token {logged_out}")
    client.get("/api/settings/")  # remembered now (entries are reloaded after 60 s)
    with CaptureQueriesContext(connection) as warm:
        client.get("/api/settings/")

    def mean_ms(values: list[float]) -> float | None:
        return round(sum(values) / len(values) * 1000, 2) if values else None

    costs = {kind: {"count": len(cpu[kind]), "cpu_ms": mean_ms(cpu[kind]),
                    "wall_ms": mean_ms(wall[kind]),
                    "statements": (round(sum(statements[kind]) / len(statements[kind]), 1)
                                   if statements[kind] else None)}
             for kind in KINDS}
    ratio = args.checkout_ratio
    cycle_cpu_ms = (costs["hold"]["cpu_ms"] + (1 - ratio) * costs["release"]["cpu_ms"]
                    + ratio * costs["checkout"]["cpu_ms"])
    cores = os.cpu_count() or 1
    result: dict[str, Any] = {
        "benchmark": "request_costs",
        "config": {"cycles": args.cycles, "checkout_ratio": ratio},
        "costs": costs,
        "hold_cycle_cpu_ms": round(cycle_cpu_ms, 2),
        # If the whole machine did nothing but this process's Python work:
        "holds_per_s_ceiling_python_only": round(cores * 1000 / cycle_cpu_ms, 1),
        "trivial_get_per_s_ceiling_python_only": round(
            cores * 1000 / costs["trivial_get"]["cpu_ms"], 1),
        "checks": {
            "warm_trivial_get_statements": len(warm.captured_queries),
            "logged_out_token_refused_at_once": refused.status_code == 401,
        },
    }
    print(f"\nrequest costs, in process, {args.cycles} cycles "
          f"({ratio:.0%} of holds checked out, the rest released)")
    print(f"  {'request':<14}{'count':>7}{'CPU ms':>9}{'wall ms':>9}{'statements':>12}")
    for kind, c in costs.items():
        print(f"  {kind:<14}{c['count']:>7}{c['cpu_ms'] or 0:>9.2f}{c['wall_ms'] or 0:>9.2f}"
              f"{c['statements'] if c['statements'] is not None else '-':>12}")
    print(f"\n  one hold cycle: {cycle_cpu_ms:.1f} ms of CPU in Python → at most "
          f"{result['holds_per_s_ceiling_python_only']} holds/s on {cores} cores, "
          f"before PostgreSQL, Redis, gunicorn and the load client take theirs")
    checks = result["checks"]
    print(f"  warm trivial GET: {checks['warm_trivial_get_statements']} statement(s); "
          f"a logged-out token on the next request: {refused.status_code}")
    write_json(args.json, result)
    if checks["warm_trivial_get_statements"] or not checks["logged_out_token_refused_at_once"]:
        print("  hard check missed: the warm trivial GET must run no SQL statement and a "
              "logged-out token must be refused at once")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
