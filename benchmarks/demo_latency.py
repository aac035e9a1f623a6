"""Latency of single requests against a running service (`make run`), one client:
a hold of one seat through HTTP (median of N, each hold deleted again) and a full
availability read of the demo event (cold: right after a change; warm: cached; 304).

    .venv/bin/python benchmarks/demo_latency.py [--base http://127.0.0.1:8000]
        [--host demo.localhost]
        [--user cashier --password demo-pass] [--count 100] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests


def timed(call) -> tuple[float, requests.Response]:
    start = time.perf_counter()
    response = call()
    return (time.perf_counter() - start) * 1000, response


def on_sale_event(get_page: Callable[[str], dict], path: str = "/api/events/") -> dict:
    """The first event listed as on sale (drafts and closed events refuse holds), following
    the list's pages (`next`). `get_page` takes a path and query: the links the API gives
    name the Host header's host, not the address the script talks to."""
    next_path: str | None = path
    while next_path:
        page = get_page(next_path)
        for event in page["results"]:
            if event["status"] == "on_sale":
                return event
        link = urlsplit(page.get("next") or "")
        next_path = (link.path + (f"?{link.query}" if link.query else "")) or None
    sys.exit(f"no event on sale at {path}: put one on sale (PATCH its status to on_sale)")


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "count": len(ordered),
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max_ms": round(ordered[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    # The tenant is chosen by host name; Python's resolver may not know *.localhost.
    parser.add_argument("--host", default="demo.localhost")
    parser.add_argument("--user", default="cashier")
    parser.add_argument("--password", default="demo-pass")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    http = requests.Session()
    http.headers["Host"] = args.host
    token = http.post(f"{args.base}/api/auth/token/",
                      json={"username": args.user, "password": args.password}).json()["token"]
    http.headers["Authorization"] = f"Token {token}"
    # Each script runs on its own (`python benchmarks/...`): the picker is smoke.py's twin.
    event = on_sale_event(lambda path: http.get(f"{args.base}{path}").json())
    availability_url = f"{args.base}/api/events/{event['id']}/availability/"
    availability = http.get(availability_url).json()
    seat_ids = [seat["id"] for seat in availability["seats"] if seat["state"] == "available"]

    holds, cold_reads, warm_reads, not_modified = [], [], [], []
    for i in range(args.count):
        seat = seat_ids[i % len(seat_ids)]
        elapsed, response = timed(lambda s=seat: http.post(
            f"{args.base}/api/holds/", json={"event": event["id"], "seat_ids": [s]}))
        assert response.status_code == 201, response.text
        holds.append(elapsed)
        hold_id = response.json()["id"]
        elapsed, response = timed(lambda: http.get(availability_url))
        cold_reads.append(elapsed)
        etag = response.headers["ETag"]
        elapsed, response = timed(lambda: http.get(availability_url))
        warm_reads.append(elapsed)
        elapsed, response = timed(lambda e=etag: http.get(
            availability_url, headers={"If-None-Match": e}))
        assert response.status_code == 304, response.status_code
        not_modified.append(elapsed)
        http.delete(f"{args.base}/api/holds/{hold_id}/")

    seats = len(availability["seats"])
    result = {
        "event": event["name"], "seats": seats,
        "hold_one_seat": summary(holds),
        "availability_after_change": summary(cold_reads),
        "availability_cached": summary(warm_reads),
        "availability_304": summary(not_modified),
    }
    for name, figures in result.items():
        print(f"{name:28} {figures}")
    if args.json_path:
        with open(args.json_path, "w") as out:
            json.dump(result, out, indent=2)


if __name__ == "__main__":
    main()
