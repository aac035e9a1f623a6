"""Does a hold get slower as events and tenants grow? Hold latency in four cases:

  seats_small   an event of 1,000 seats        seats_large   an event of 100,000 seats
  tenants_one   one tenant's 1,000-seat event  tenants_many  holds spread over 100 tenants

    python -m benchmarks.scale --manifest M.json --server http://127.0.0.1:8100 \
        --requests 300 --concurrency 4 --json benchmarks/results/scale.json

Each iteration holds 1–4 random neighbouring seats and releases them again (so the event
stays as it was); only the hold is the figure. The cases take turns (`--rounds`) on the same
server, each turn after a short warm-up, so a drift in the machine's load hits all alike.
Target: p50 within ±20 % between the two sizes and between one and many tenants."""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter
from typing import Any

import httpx

from benchmarks.common import (
    DEFAULT_SERVER,
    latency_summary,
    load_manifest,
    pick_seats,
    print_table,
    write_json,
)


async def _one_case(server: str, case: dict[str, Any], requests: int, concurrency: int,
                    seed: int, tally: dict[str, Any]) -> None:
    """Adds `requests` measured holds of one case to `tally` (lists and a Counter)."""
    targets = case["targets"]
    holds: list[float] = tally["holds"]
    releases: list[float] = tally["releases"]
    statuses: Counter = tally["statuses"]
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(index: int, count: int, measure: bool) -> None:
        async with httpx.AsyncClient(base_url=server, timeout=30, limits=limits) as client:
            for i in range(count):
                target = targets[rng.randrange(len(targets))]
                token = target["tokens"][(index + i) % len(target["tokens"])]
                headers = {"Host": target["host"], "Authorization": f"Token {token}"}
                seats = pick_seats(rng, target["seat_ids"])
                started = time.perf_counter()
                response = await client.post("/api/holds/", headers=headers, json={
                    "event": target["event"], "seat_ids": seats})
                elapsed = time.perf_counter() - started
                if not measure:
                    if response.status_code == 201:
                        await client.delete(f"/api/holds/{response.json()['id']}/",
                                            headers=headers)
                    continue
                statuses[response.status_code] += 1
                if response.status_code == 201:
                    holds.append(elapsed)
                    started = time.perf_counter()
                    released = await client.delete(f"/api/holds/{response.json()['id']}/",
                                                   headers=headers)
                    releases.append(time.perf_counter() - started)
                    statuses[f"release {released.status_code}"] += 1

    warm = max(2, min(len(targets), 100) // concurrency + 1)
    await asyncio.gather(*(worker(i, warm, False) for i in range(concurrency)))
    per_worker = max(1, requests // concurrency)
    await asyncio.gather(*(worker(i, per_worker, True) for i in range(concurrency)))


def _ratio(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    x, y = a["hold"]["p50_ms"], b["hold"]["p50_ms"]
    return round(x / y, 3) if x and y else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", required=True, help="from `benchmarks.fixtures scale`")
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--requests", type=int, default=300, help="measured holds per case")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3,
                        help="the cases take turns this many times (drift hits all alike)")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)
    manifest = load_manifest(args.manifest)
    tallies = {name: {"holds": [], "releases": [], "statuses": Counter()}
               for name in manifest["cases"]}
    per_round = max(args.concurrency, args.requests // args.rounds)
    for r in range(args.rounds):
        for i, (name, case) in enumerate(manifest["cases"].items()):
            asyncio.run(_one_case(args.server, case, per_round, args.concurrency,
                                  seed=r * 100 + i, tally=tallies[name]))
    cases = {
        name: {"hold": latency_summary(t["holds"]), "release": latency_summary(t["releases"]),
               "statuses": {str(k): v for k, v in t["statuses"].items()},
               "seats": manifest["cases"][name].get("seats"),
               "tenants": len(manifest["cases"][name]["targets"])}
        for name, t in tallies.items()
    }
    seat_ratio = _ratio(cases["seats_large"], cases["seats_small"])
    tenant_ratio = _ratio(cases["tenants_many"], cases["tenants_one"])
    result = {
        "benchmark": "scale",
        "config": {"requests": args.requests, "concurrency": args.concurrency,
                   "rounds": args.rounds, "server": args.server},
        "cases": cases,
        "p50_ratio_large_to_small_event": seat_ratio,
        "p50_ratio_many_to_one_tenant": tenant_ratio,
        "flat_within_20pct": bool(seat_ratio and tenant_ratio
                                  and 0.8 <= seat_ratio <= 1.2 and 0.8 <= tenant_ratio <= 1.2),
    }
    print_table("scale: hold latency (201 only)", {
        f"{name} ({c['seats']} seats, {c['tenants']} tenants)": c["hold"]
        for name, c in cases.items()})
    print(f"  p50 ratio 100k/1k seats {seat_ratio}   many/one tenant {tenant_ratio}   "
          f"statuses { {n: c['statuses'] for n, c in cases.items()} }")
    write_json(args.json, result)
    bad = any(str(k).startswith("5") or " 5" in str(k)
              for c in cases.values() for k in c["statuses"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
