"""What every benchmark shares: Django set-up for the fixture and database checks,
latency statistics, an HTTP client aimed at a tenant's host, JSON output."""

from __future__ import annotations

import json
import logging
import os
import platform
import random
import socket
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_DIR / "benchmarks" / "results"
DEFAULT_SERVER = "http://127.0.0.1:8100"
ROW = 500  # seats per row in the fixtures' events: a hold never spans two rows


def free_port() -> int:
    """A TCP port nothing listens on now (for a server a benchmark or a test starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def django_setup() -> None:
    """Make Django usable in this process (same settings and environment as the server)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos.settings")
    import django

    django.setup()
    # The project's logging config would print every request of the load client.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) by the nearest-rank method; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, Any]:
    """Count and p50/p95/p99/max of a list of latencies, in milliseconds."""
    ms = [s * 1000 for s in seconds]

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return {
        "count": len(ms),
        "p50_ms": rounded(percentile(ms, 50)),
        "p95_ms": rounded(percentile(ms, 95)),
        "p99_ms": rounded(percentile(ms, 99)),
        "max_ms": rounded(max(ms) if ms else None),
        "mean_ms": rounded(statistics.fmean(ms) if ms else None),
    }


def machine() -> dict[str, Any]:
    """Enough about the machine to tell two result files apart."""
    info: dict[str, Any] = {
        "hostname": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }
    try:
        model = [line.split(":", 1)[1].strip() for line in
                 Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
        info["cpu_model"] = model[0] if model else None
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gb"] = round(int(mem) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        info["git_commit"] = subprocess.run(
            ["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=5,
        ).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        info["git_commit"] = None
    return info


def write_json(path: str | None, result: dict[str, Any]) -> None:
    result.setdefault("machine", machine())
    result.setdefault("taken_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    text = json.dumps(result, indent=2, sort_keys=False, default=str)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text + "\n")


def load_manifest(path: str) -> dict[str, Any]:
    """The fixture manifest written by `benchmarks.fixtures` (hosts, ids, tokens)."""
    return json.loads(Path(path).read_text())


@dataclass(frozen=True)
class Answer:
    """An HTTP answer, read whole."""

    status_code: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class AsyncHTTP:
    """The load clients' HTTP: aiohttp behind a small interface (`request`, `get`).

    aiohttp rather than httpx because the client shares the 2 cores with the server:
    httpx spent about 2.6 ms of client CPU per request (0.51 of a core at 194 GET/s),
    aiohttp a fraction of that, and what the client does not burn the server gets."""

    def __init__(self, server: str, host: str, token: str | None, connections: int,
                 timeout: float) -> None:
        self.headers = {"Host": host, "Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Token {token}"
        self.server, self.connections, self.timeout = server, connections, timeout
        self._session: Any = None

    async def __aenter__(self) -> AsyncHTTP:
        import aiohttp

        self._session = aiohttp.ClientSession(
            base_url=self.server, headers=self.headers,
            connector=aiohttp.TCPConnector(limit=self.connections),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._session.close()

    async def request(self, method: str, url: str, *, json: Any = None,
                      headers: Mapping[str, str] | None = None) -> Answer:
        async with self._session.request(method, url, json=json, headers=headers) as response:
            return Answer(response.status, response.headers, await response.read())

    async def get(self, url: str, *, headers: Mapping[str, str] | None = None) -> Answer:
        return await self.request("GET", url, headers=headers)


def http_client(server: str, host: str, token: str | None = None, *, connections: int = 64,
                timeout: float = 30.0) -> AsyncHTTP:
    """An async client on `server` that presents itself as the tenant's `host`."""
    return AsyncHTTP(server, host, token, connections, timeout)


def print_table(title: str, rows: dict[str, dict[str, Any]]) -> None:
    """Latency summaries as a small aligned table on stdout."""
    print(f"\n{title}")
    print(f"  {'endpoint':<24}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for name, s in rows.items():
        def cell(key: str, s: dict[str, Any] = s) -> str:
            return "-" if s.get(key) is None else f"{s[key]:.1f}"
        print(f"  {name:<24}{s['count']:>8}{cell('p50_ms'):>10}{cell('p95_ms'):>10}"
              f"{cell('p99_ms'):>10}{cell('max_ms'):>10}")


def pick_seats(rng: random.Random, seat_ids: list[int], hot: int | None = None) -> list[int]:
    """1–4 neighbouring seats of one row; with `hot`, half of the picks fall among the
    first `hot` seats (so cashiers collide)."""
    k = rng.randint(1, 4)
    n = len(seat_ids)
    if hot is not None and rng.random() < 0.5:
        start = rng.randrange(min(hot, n))
    else:
        start = rng.randrange(n)
    row_end = min((start // ROW + 1) * ROW, n)
    start = max(0, min(start, row_end - k))
    return seat_ids[start:start + k]


def checkout_body(priced: Mapping[str, Any], seats: int) -> dict[str, Any]:
    """Payment in full, in Bs by pago móvil, for `seats` seats of the fixture's price and
    rate (`priced` is a manifest: seat_price in USD, rate in Bs per USD; IVA 16 %)."""
    per_seat = Decimal(priced["seat_price"]) * Decimal("1.16") * Decimal(priced["rate"])
    amount = (per_seat * seats).quantize(Decimal("0.01"))
    return {"payments": [{"method": "pago_movil", "currency": "VES", "amount": str(amount),
                          "reference": "0102-555123"}]}
