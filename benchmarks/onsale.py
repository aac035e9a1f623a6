"""On-sale load: many cashiers hammer one event with holds, releases and checkouts.

    python -m benchmarks.onsale --manifest M.json --server http://127.0.0.1:8100 \
        --cashiers 64 --duration 30 --json benchmarks/results/onsale.json

Phases, all at the same concurrency on the same server: a warm-up (not counted), a
trivial authenticated GET (`/api/settings/`) to measure what the server does with no
business logic, then the on-sale mix. Each virtual cashier loops without think time:
hold 1–4 neighbouring seats (half of the picks in the first `--hot-seats` seats, so
cashiers collide), then check the hold out (paid in full) or release it. Afterwards the
database is checked: oversold seats and half-written sales must be 0.

The client runs in `--processes` processes (asyncio + aiohttp in each) so that on a small
machine the client is not what limits the figure."""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

from benchmarks.common import (
    DEFAULT_SERVER,
    checkout_body,
    django_setup,
    http_client,
    latency_summary,
    load_manifest,
    pick_seats,
    print_table,
    write_json,
)


@dataclass
class Tally:
    """What one process saw: latencies per endpoint, statuses per endpoint."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    transport_errors: Counter = field(default_factory=Counter)
    first: float = 0.0
    last: float = 0.0
    cpu_s: float = 0.0  # CPU the client itself used: on a small machine it is not free

    def merge(self, other: Tally) -> None:
        for k, v in other.latencies.items():
            self.latencies[k].extend(v)
        for k, v in other.statuses.items():
            self.statuses[k].update(v)
        self.transport_errors.update(other.transport_errors)
        self.first = min(self.first or other.first, other.first)
        self.last = max(self.last, other.last)
        self.cpu_s += other.cpu_s


async def _call(client, tally: Tally, name: str, method: str, url: str, token: str,
                json: Any = None):
    started = time.perf_counter()
    try:
        response = await client.request(method, url, json=json,
                                        headers={"Authorization": f"Token {token}"})
    except Exception as exc:  # a refused or dropped connection is a result, not a crash
        tally.transport_errors[f"{name}:{exc.__class__.__name__}"] += 1
        return None
    tally.latencies[name].append(time.perf_counter() - started)
    tally.statuses[name][response.status_code] += 1
    if response.status_code == 201 and name == "hold":
        tally.latencies["hold_201"].append(time.perf_counter() - started)
    elif response.status_code == 409 and name == "hold":
        tally.latencies["hold_409"].append(time.perf_counter() - started)
    return response


async def _cashier(client, tally: Tally, token: str, cfg: dict[str, Any], deadline: float,
                   rng: random.Random) -> None:
    while time.monotonic() < deadline:
        if cfg["mode"] == "get":
            await _call(client, tally, "trivial_get", "GET", "/api/settings/", token)
            continue
        seats = pick_seats(rng, cfg["seat_ids"], cfg["hot_seats"])
        response = await _call(client, tally, "hold", "POST", "/api/holds/", token,
                               {"event": cfg["event"], "seat_ids": seats})
        if response is None or response.status_code != 201:
            continue
        hold_id = response.json()["id"]
        if rng.random() < cfg["checkout_ratio"]:
            await _call(client, tally, "checkout", "POST", f"/api/holds/{hold_id}/checkout/",
                        token, checkout_body(cfg, len(seats)))
        else:
            await _call(client, tally, "release", "DELETE", f"/api/holds/{hold_id}/", token)


async def _run_process(cfg: dict[str, Any], tokens: list[str], start_at: float,
                       duration: float, seed: int) -> Tally:
    tally = Tally()
    async with http_client(cfg["server"], cfg["host"], connections=len(tokens)) as client:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        tally.first = time.time()
        cpu = time.process_time()
        deadline = time.monotonic() + duration
        await asyncio.gather(*(
            _cashier(client, tally, token, cfg, deadline, random.Random(seed * 1000 + i))
            for i, token in enumerate(tokens)))
        tally.last = time.time()
        tally.cpu_s = time.process_time() - cpu
    return tally


def _process_entry(cfg: dict[str, Any], tokens: list[str], start_at: float, duration: float,
                   seed: int) -> Tally:
    return asyncio.run(_run_process(cfg, tokens, start_at, duration, seed))


def run_phase(cfg: dict[str, Any], tokens: list[str], duration: float, processes: int,
              seed: int) -> tuple[Tally, float]:
    """Run the cashiers split over `processes` processes; returns the merged tally and
    the wall time of the phase (first start to last finish)."""
    shares = [tokens[i::processes] for i in range(processes)]
    shares = [s for s in shares if s]
    start_at = time.time() + 1.5  # every process starts together
    with ProcessPoolExecutor(len(shares), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_process_entry, cfg, share, start_at, duration, seed + i)
                   for i, share in enumerate(shares)]
        tallies = [f.result() for f in futures]
    total = Tally()
    for t in tallies:
        total.merge(t)
    return total, max(total.last - total.first, 1e-9)


def count(tally: Tally, endpoint: str, *codes: int) -> int:
    return sum(n for code, n in tally.statuses[endpoint].items() if code in codes)


def five_xx(tally: Tally) -> int:
    return sum(n for st in tally.statuses.values() for code, n in st.items() if code >= 500)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", required=True, help="from `benchmarks.fixtures onsale`")
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--cashiers", type=int, default=64)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--checkout-ratio", type=float, default=0.2,
                        help="share of successful holds that are checked out (else released)")
    parser.add_argument("--hot-seats", type=int, default=2000,
                        help="half of the picks fall in the first N seats")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-db-check", action="store_true",
                        help="skip the oversell check (when the database is not reachable)")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)

    manifest = load_manifest(args.manifest)
    tokens = manifest["tokens"][: args.cashiers]
    if len(tokens) < args.cashiers:
        parser.error(f"the manifest has only {len(tokens)} cashiers")
    cfg = {"server": args.server, "host": manifest["host"], "event": manifest["event"],
           "seat_ids": manifest["seat_ids"], "hot_seats": args.hot_seats,
           "checkout_ratio": args.checkout_ratio, "seat_price": manifest["seat_price"],
           "rate": manifest["rate"]}

    if args.warmup:
        run_phase({**cfg, "mode": "get"}, tokens, args.warmup, args.processes, args.seed)
    get_tally, get_wall = run_phase({**cfg, "mode": "get"}, tokens, args.duration,
                                    args.processes, args.seed)
    sale, sale_wall = run_phase({**cfg, "mode": "sale"}, tokens, args.duration,
                                args.processes, args.seed + 100)

    get_rate = count(get_tally, "trivial_get", 200) / get_wall
    holds = count(sale, "hold", 201)
    holds_per_s = holds / sale_wall
    result: dict[str, Any] = {
        "benchmark": "onsale",
        "config": {"cashiers": args.cashiers, "duration_s": args.duration,
                   "processes": args.processes, "checkout_ratio": args.checkout_ratio,
                   "hot_seats": args.hot_seats, "seats": len(cfg["seat_ids"]),
                   "event": cfg["event"], "server": args.server},
        "holds_per_s": round(holds_per_s, 1),
        "conflicts_per_s": round(count(sale, "hold", 409) / sale_wall, 1),
        "busy_per_s": round(count(sale, "hold", 503) / sale_wall, 2),
        "checkouts_per_s": round(count(sale, "checkout", 200) / sale_wall, 1),
        "releases_per_s": round(count(sale, "release", 200) / sale_wall, 1),
        "requests_per_s": round(sum(sum(c.values()) for c in sale.statuses.values())
                                / sale_wall, 1),
        "trivial_get_per_s": round(get_rate, 1),
        "ratio_holds_to_trivial_get": round(holds_per_s / get_rate, 3) if get_rate else None,
        "http_5xx": five_xx(sale) + five_xx(get_tally),
        "transport_errors": dict(sale.transport_errors + get_tally.transport_errors),
        "statuses": {name: dict(c) for name, c in {**get_tally.statuses,
                                                   **sale.statuses}.items()},
        "latency": {name: latency_summary(v) for name, v in
                    {**get_tally.latencies, **sale.latencies}.items()},
        "wall_s": {"trivial_get": round(get_wall, 2), "onsale": round(sale_wall, 2)},
        "client_cpu_share": {  # of one core, over the phase: near 1 × processes = client-bound
            "trivial_get": round(get_tally.cpu_s / get_wall, 2),
            "onsale": round(sale.cpu_s / sale_wall, 2)},
    }
    if not args.no_db_check:
        django_setup()
        from benchmarks.dbcheck import integrity_report

        result["database"] = integrity_report(manifest["schema"], manifest["event"])
        result["oversold_seats"] = result["database"]["oversold_seats"]

    print_table(f"on-sale, {args.cashiers} cashiers, {len(cfg['seat_ids'])} seats, "
                f"{args.duration:.0f} s per phase", result["latency"])
    print(f"\n  successful holds/s  {result['holds_per_s']:>8}   conflicts/s "
          f"{result['conflicts_per_s']}   busy/s {result['busy_per_s']}")
    print(f"  checkouts/s         {result['checkouts_per_s']:>8}   releases/s "
          f"{result['releases_per_s']}")
    print(f"  trivial GET/s       {result['trivial_get_per_s']:>8}   ratio holds/GET "
          f"{result['ratio_holds_to_trivial_get']}")
    print(f"  5xx {result['http_5xx']}   transport errors {result['transport_errors']}   "
          f"client CPU (cores) {result['client_cpu_share']}")
    if "database" in result:
        print(f"  oversold seats {result['oversold_seats']}   database consistent: "
              f"{result['database']['ok']}   {result['database']['totals']}")
    write_json(args.json, result)
    ok = result["http_5xx"] == 0 and result.get("oversold_seats", 0) == 0 and (
        result.get("database", {}).get("ok", True))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
