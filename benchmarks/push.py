"""Pushed seat maps: N open WebSocket maps (200 by default) of one event on the ASGI server
(uvicorn), then changes made over HTTP on gunicorn (a hold of one seat, its release, in
turn), one at a time. For every change and every socket: the time from the change's
HTTP answer (and from its request) to the socket's receipt of the new map; the ASGI
server's CPU seconds per change (utime + stime of its process, /proc).

    python -m benchmarks.push --manifest results/manifest-push.json \\
        --server http://127.0.0.1:8100 --ws ws://127.0.0.1:8101 --server-pid PID

The load client shares the machine's cores with the servers: its own reading of 200
maps per change is part of the latency measured (an upper bound)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    DEFAULT_SERVER,
    http_client,
    latency_summary,
    load_manifest,
    print_table,
    write_json,
)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Map:
    """One open map: the time of each message it received."""

    def __init__(self) -> None:
        self.received: list[float] = []
        self.arrived = asyncio.Event()
        self.sizes: list[int] = []


async def open_map(session: Any, url: str, host: str, token: str, seat_map: Map) -> Any:
    socket = await session.ws_connect(url, headers={"Host": host,
                                                    "Authorization": f"Token {token}"},
                                      compress=0, max_msg_size=64 * 1024 * 1024)
    first = await socket.receive(timeout=30)
    assert first.type.name == "BINARY", first

    async def listen() -> None:
        async for message in socket:
            if message.type.name != "BINARY":
                break
            seat_map.received.append(time.monotonic())
            seat_map.sizes.append(len(message.data))
            seat_map.arrived.set()
    return socket, asyncio.ensure_future(listen())


async def run(args: argparse.Namespace, manifest: dict[str, Any]) -> dict[str, Any]:
    import aiohttp

    host, event = manifest["host"], manifest["event"]
    tokens = manifest["tokens"]
    url = f"{args.ws}/ws/events/{event}/seats/"
    maps = [Map() for _ in range(args.maps)]
    # No connection limit: each open map holds one (aiohttp allows 100 by default).
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        sockets = []
        for start in range(0, args.maps, 50):  # 50 at a time: no connect storm
            sockets += await asyncio.gather(*(
                open_map(session, url, host, tokens[i % len(tokens)], maps[i])
                for i in range(start, min(start + 50, args.maps))))
        await asyncio.sleep(0.5)
        from_answer: list[float] = []
        from_request: list[float] = []
        missed = 0
        cpu_before = cpu_seconds(args.server_pid) if args.server_pid else None
        async with http_client(args.server, host, tokens[-1]) as http:
            hold_id = None
            seat = manifest["seat_ids"][0]
            for change in range(args.changes):
                for seat_map in maps:
                    seat_map.arrived.clear()
                counts = [len(m.received) for m in maps]
                requested = time.monotonic()
                if hold_id is None:
                    answer = await http.request("POST", "/api/holds/",
                                                json={"event": event, "seat_ids": [seat]})
                    assert answer.status_code == 201, answer.body[:300]
                    hold_id = answer.json()["id"]
                else:
                    answer = await http.request("DELETE", f"/api/holds/{hold_id}/")
                    assert answer.status_code in (200, 204), answer.body[:300]
                    hold_id = None
                answered = time.monotonic()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        asyncio.gather(*(m.arrived.wait() for m in maps)), args.timeout)
                for seat_map, before in zip(maps, counts, strict=True):
                    if len(seat_map.received) > before:
                        got = seat_map.received[before]
                        from_answer.append(max(got - answered, 0.0))
                        from_request.append(got - requested)
                    else:
                        missed += 1
                await asyncio.sleep(args.pause)
                print(f"change {change + 1}/{args.changes}", file=sys.stderr, end="\r")
        cpu_after = cpu_seconds(args.server_pid) if args.server_pid else None
        for socket, listener in sockets:
            listener.cancel()
            await socket.close()
    sizes = [size for m in maps for size in m.sizes]
    cpu = None if cpu_before is None else round((cpu_after - cpu_before) / args.changes, 4)
    return {
        "fanout_from_answer": latency_summary(from_answer),
        "fanout_from_request": latency_summary(from_request),
        "deliveries": len(from_answer), "missed": missed,
        "asgi_cpu_seconds_per_change": cpu,
        "message_bytes": max(sizes) if sizes else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", required=True, help="from `benchmarks.fixtures onsale`")
    parser.add_argument("--server", default=DEFAULT_SERVER, help="gunicorn (the changes)")
    parser.add_argument("--ws", default="ws://127.0.0.1:8101", help="the ASGI server")
    parser.add_argument("--server-pid", type=int, help="the ASGI server's pid (its CPU)")
    parser.add_argument("--maps", type=int, default=200)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between changes")
    parser.add_argument("--timeout", type=float, default=5.0, help="a socket missed it after")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)
    manifest = load_manifest(args.manifest)
    measured = asyncio.run(run(args, manifest))
    result = {"benchmark": "push",
              "config": {"maps": args.maps, "changes": args.changes,
                         "seats": len(manifest["seat_ids"])},
              **measured}
    print_table(f"push: {args.maps} open maps of one {len(manifest['seat_ids'])}-seat event, "
                f"{args.changes} changes", {"from HTTP answer": measured["fanout_from_answer"],
                                            "from request": measured["fanout_from_request"]})
    print(f"  deliveries {measured['deliveries']}, missed {measured['missed']}, "
          f"ASGI CPU per change {measured['asgi_cpu_seconds_per_change']} s, "
          f"message {measured['message_bytes']} bytes")
    write_json(args.json, result)
    # A hard check like the others': every open map must hear every change.
    return 1 if measured["missed"] else 0


if __name__ == "__main__":
    sys.exit(main())
