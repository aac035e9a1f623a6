"""Availability reads of a big, busy seat map.

    python -m benchmarks.availability --manifest M.json --server http://127.0.0.1:8100 \
        --requests 200 --json benchmarks/results/availability.json

The event comes from `benchmarks.fixtures availability` (20,000 seats, 30 % held, 30 %
sold by default). Three paths, each timed over `--requests` sequential requests:
  full_cold  – the cache version is replaced before every request (as after a hold), so
               the seat map is computed from PostgreSQL and the body built;
  full       – a 200 with the whole seat map served from the Redis snapshot;
  not_modified – `If-None-Match` with the last ETag: the 304 a polling terminal gets.
`--concurrency` runs that many clients at once (default 1: latency, not throughput)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from benchmarks.common import (
    DEFAULT_SERVER,
    django_setup,
    http_client,
    latency_summary,
    load_manifest,
    print_table,
    write_json,
)


def _invalidator(schema: str, event_id: int):
    """Replaces the event's cache version, as a committed hold would."""
    django_setup()
    from django_tenants.utils import schema_context

    from reservations import cache as availability_cache

    def invalidate() -> None:
        with schema_context(schema):
            availability_cache.invalidate_events({event_id})

    return invalidate


async def _measure(client, url: str, n: int, concurrency: int, *, etag_mode: bool = False,
                   before=None) -> tuple[list[float], dict[int, int], int]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    size = 0
    etag: str | None = None
    if etag_mode:
        etag = (await client.get(url)).headers.get("etag")

    async def one() -> None:
        nonlocal size
        if before:
            before()
        headers = {"If-None-Match": etag} if etag else {}
        started = time.perf_counter()
        response = await client.get(url, headers=headers)  # read whole
        latencies.append(time.perf_counter() - started)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        size = max(size, len(response.body))

    for _ in range(0, n, concurrency):
        await asyncio.gather(*(one() for _ in range(concurrency)))
    return latencies, statuses, size


async def run(args: argparse.Namespace, manifest: dict[str, Any]) -> dict[str, Any]:
    url = f"/api/events/{manifest['event']}/availability/"
    invalidate = _invalidator(manifest["schema"], manifest["event"])
    out: dict[str, Any] = {"latency": {}, "statuses": {}, "body_bytes": {}}
    async with http_client(args.server, manifest["host"], manifest["token"],
                           connections=args.concurrency) as client:
        for _ in range(3):  # warm the workers and the snapshot
            await client.get(url)
        cases = {
            "full_cold": {"before": invalidate},
            "full": {},
            "not_modified": {"etag_mode": True},
        }
        for name, kwargs in cases.items():
            latencies, statuses, size = await _measure(client, url, args.requests,
                                                       args.concurrency, **kwargs)
            out["latency"][name] = latency_summary(latencies)
            out["statuses"][name] = statuses
            out["body_bytes"][name] = size
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", required=True,
                        help="from `benchmarks.fixtures availability`")
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)
    manifest = load_manifest(args.manifest)
    measured = asyncio.run(run(args, manifest))
    result = {
        "benchmark": "availability",
        "config": {"seats": manifest["seats"], "held": manifest["held"],
                   "sold": manifest["sold"], "requests": args.requests,
                   "concurrency": args.concurrency, "server": args.server},
        **measured,
    }
    print_table(f"availability, {manifest['seats']} seats ({manifest['held']} held, "
                f"{manifest['sold']} sold)", result["latency"])
    print(f"  statuses {result['statuses']}   body bytes {result['body_bytes']}")
    write_json(args.json, result)
    bad = any(code >= 500 for st in result["statuses"].values() for code in st)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
