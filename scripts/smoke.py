"""Walks the main flows through a running service (`make run`) and prints each answer:
hold, conflict, checkout in full, partial payment then paid off, release, and (with
--expiry) a 1-minute hold that is free again after a minute, worker or not.

    .venv/bin/python scripts/smoke.py [--base http://127.0.0.1:8000] [--host demo.localhost]
        [--password demo-pass] [--expiry]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests


class Client:
    def __init__(self, base: str, host: str, username: str, password: str) -> None:
        self.base, self.http = base, requests.Session()
        self.http.headers["Host"] = host
        answer = self.http.post(f"{base}/api/auth/token/",
                                json={"username": username, "password": password})
        answer.raise_for_status()
        self.http.headers["Authorization"] = f"Token {answer.json()['token']}"

    def call(self, method: str, path: str, expect: int, **kwargs) -> dict:
        answer = self.http.request(method, f"{self.base}{path}", **kwargs)
        body = answer.json() if answer.content else {}
        print(f"{method:6} {path:40} -> {answer.status_code} {str(body)[:160]}")
        if answer.status_code != expect:
            sys.exit(f"expected {expect}, got {answer.status_code}")
        return body


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


def seat_state(client: Client, event: int, seat: int) -> str:
    seats = client.call("GET", f"/api/events/{event}/availability/", 200)["seats"]
    return next(s["state"] for s in seats if s["id"] == seat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--host", default="demo.localhost")
    parser.add_argument("--password", default="demo-pass")
    parser.add_argument("--expiry", action="store_true", help="also wait out a 1-minute hold")
    args = parser.parse_args()
    cashier = Client(args.base, args.host, "cashier", args.password)
    admin = Client(args.base, args.host, "admin", args.password)

    event = on_sale_event(lambda path: cashier.http.get(f"{args.base}{path}").json())["id"]
    print(f"event {event} (on sale)")
    free = [s["id"] for s in cashier.call("GET", f"/api/events/{event}/availability/", 200)
            ["seats"] if s["state"] == "available"]
    first, second, third, fourth = free[:4]

    hold = cashier.call("POST", "/api/holds/", 201, json={"event": event,
                                                          "seat_ids": [first, second]})
    assert {"id", "transaction", "expires_at", "server_time", "items", "total",
            "currency"} <= set(hold)
    admin.call("POST", "/api/holds/", 409, json={"event": event, "seat_ids": [second]})
    cashier.call("POST", f"/api/holds/{hold['id']}/checkout/", 200, json={"payments": [
        {"method": "cash", "currency": "USD", "amount": "60.00"}]})
    assert seat_state(cashier, event, first) == "sold"

    hold = cashier.call("POST", "/api/holds/", 201, json={"event": event, "seat_ids": [third]})
    sale = cashier.call("POST", f"/api/holds/{hold['id']}/checkout/", 200, json={
        "reserve": True, "payments": [{"method": "pago_movil", "currency": "VES",
                                       "amount": "1000.00", "reference": "0102-555123"}]})
    assert sale["transaction"]["status"] == "reserved"
    balance = sale["transaction"]["amounts_due"]["VES"]  # what settles it, in Bs
    paid = cashier.call("POST", f"/api/transactions/{hold['transaction']}/payments/", 200,
                        json={"payments": [{"method": "pago_movil", "currency": "VES",
                                            "amount": balance, "reference": "0102-555124"}]})
    assert paid["transaction"]["status"] == "completed"

    hold = cashier.call("POST", "/api/holds/", 201, json={"event": event, "seat_ids": [fourth]})
    cashier.call("DELETE", f"/api/holds/{hold['id']}/", 200)
    assert seat_state(cashier, event, fourth) == "available"

    if args.expiry:
        before = admin.call("GET", "/api/settings/", 200)["reservation_hold_minutes"]
        admin.call("PATCH", "/api/settings/", 200, json={"reservation_hold_minutes": 1})
        try:
            cashier.call("POST", "/api/holds/", 201, json={"event": event, "seat_ids": [fourth]})
            assert seat_state(admin, event, fourth) == "reserved"
            print("waiting 61 s for the hold to expire ...")
            time.sleep(61)
            assert seat_state(admin, event, fourth) == "available"
        finally:
            admin.call("PATCH", "/api/settings/", 200,
                       json={"reservation_hold_minutes": before})
    print("smoke: all flows behaved as expected")


if __name__ == "__main__":
    main()
