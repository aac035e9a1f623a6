"""Fault drills under load, against a PostgreSQL cluster and a Redis server of their own
(started here on other ports, never the shared ones), with gunicorn in front.

    python -m benchmarks.faults --json benchmarks/results/faults.json
    python -m benchmarks.faults --drill postgres --duration 20 --restart-at 5 --down 3

Drills (each while cashiers hold, check out and release on one event):
  postgres  PostgreSQL is killed (`pg_ctl stop -m immediate`, a crash) and started again.
            Requests while it is down must answer 503 JSON (`database_unavailable`), never
            a 500 or an HTML page; service must come back by itself; afterwards no seat is
            oversold, no sale is half-written, and every hold and checkout the clients
            were told succeeded (201/200) is in the database.
  redis     Redis (the cache) is stopped for good. Holds, releases and checkouts must go
            on with no 5xx and stay correct; /healthz must answer 503 naming redis.
Exit status 0 only when every check passed."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import (
    REPO_DIR,
    RESULTS_DIR,
    checkout_body,
    load_manifest,
    pick_seats,
    write_json,
)

PY = sys.executable  # the project's venv, whichever POS_VENV_DIR made it
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def _pg_bin() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    raise SystemExit("PostgreSQL server binaries not found (scripts/bootstrap.sh installs them)")


class OwnPostgres:
    """A throw-away PostgreSQL cluster on its own port, owned by `postgres` when root."""

    def __init__(self, port: int, password: str) -> None:
        self.port, self.password, self.bin = port, password, _pg_bin()
        base = Path("/var/tmp") if os.geteuid() == 0 else REPO_DIR / ".var"
        self.dir = base / f"pos-bench-faults-pg-{port}"
        self.data = self.dir / "data"

    def _as_owner(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *cmd], check=check, capture_output=True, text=True)

    def init(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        pwfile = self.dir / ".pwfile"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        self.dir.chmod(0o700)
        self._as_owner(str(self.bin / "initdb"), "-D", str(self.data), "-U", "pos",
                       f"--pwfile={pwfile}", "--auth-local=trust", "--auth-host=scram-sha-256",
                       "-E", "UTF8", "--locale=C.UTF-8")
        pwfile.unlink()

    def start(self) -> None:
        self._as_owner(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                       str(self.dir / "postgres.log"), "-w", "-t", "60", "start", "-o",
                       f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} "
                       "-c max_connections=100 -c shared_buffers=128MB")

    def crash(self) -> None:
        """Stop without a clean shutdown: like a killed server, recovery replays the WAL."""
        self._as_owner(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                       "-w", "stop", check=False)

    def stop(self) -> None:
        self._as_owner(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                       "stop", check=False)

    def create_database(self, name: str) -> None:
        env = {**os.environ, "PGPASSWORD": self.password}
        psql = [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "pos",
                "-d", "postgres", "-tAq"]
        exists = subprocess.run([*psql, "-c", f"SELECT 1 FROM pg_database WHERE datname='{name}'"],
                                env=env, capture_output=True, text=True, check=True).stdout
        if exists.strip() != "1":
            subprocess.run([*psql, "-c", f'CREATE DATABASE "{name}"'], env=env, check=True)


class OwnRedis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix=f"pos-bench-redis-{port}-"))
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(50):
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        raise SystemExit(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


class Server:
    """gunicorn on its own port, against the drill's PostgreSQL and Redis."""

    def __init__(self, port: int, workers: int, env: dict[str, str], log: Path) -> None:
        self.port, self.workers, self.env, self.log = port, workers, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [GUNICORN, "-c", "python:pos.gunicorn_config", "pos.wsgi:application",
             "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--timeout", "30"],
            cwd=REPO_DIR, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer on port {self.port} (see {self.log})")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=REPO_DIR, env=env, check=True,
                   stdout=subprocess.DEVNULL)


async def _load(server: str, manifest: dict[str, Any], cashiers: int, duration: float,
                fault, fault_at: float, after: float) -> dict[str, Any]:
    """Cashiers looping hold → checkout or release; every answer is recorded with its time
    relative to the start. `fault` (blocking) runs in a thread at `fault_at` seconds; the
    load goes on for `duration` seconds and at least `after` seconds past the fault's end,
    so recovery is always observed."""
    events: list[tuple[float, str, int, str]] = []  # (t, endpoint, status, json code)
    acknowledged: dict[str, list[int]] = {"holds": [], "checkouts": []}
    transport: Counter = Counter()
    t0 = time.monotonic()
    seats = manifest["seat_ids"]
    fault_end: list[float] = []

    def running() -> bool:
        elapsed = time.monotonic() - t0
        return elapsed < duration or not fault_end or elapsed < fault_end[0] + after

    async def call(client, name, method, url, token, body=None):
        try:
            r = await client.request(method, url, json=body,
                                     headers={"Authorization": f"Token {token}"})
        except httpx.HTTPError as exc:
            transport[f"{name}:{exc.__class__.__name__}"] += 1
            await asyncio.sleep(0.05)
            return None
        try:
            code = r.json().get("code", "") if r.status_code >= 400 else ""
        except ValueError:
            code = "<not json>"
        events.append((time.monotonic() - t0, name, r.status_code, code))
        if r.status_code >= 500:
            await asyncio.sleep(0.05)  # as a terminal would, instead of spinning
        return r

    async def cashier(client, token: str, rng: random.Random) -> None:
        while running():
            picked = pick_seats(rng, seats)
            r = await call(client, "hold", "POST", "/api/holds/", token,
                           {"event": manifest["event"], "seat_ids": picked})
            if r is None or r.status_code != 201:
                continue
            hold_id = r.json()["id"]
            acknowledged["holds"].append(hold_id)
            if rng.random() < 0.3:
                r = await call(client, "checkout", "POST", f"/api/holds/{hold_id}/checkout/",
                               token, checkout_body(manifest, len(picked)))
                if r is not None and r.status_code == 200:
                    acknowledged["checkouts"].append(hold_id)
            else:
                await call(client, "release", "DELETE", f"/api/holds/{hold_id}/", token)

    async def health_probe(client) -> None:
        while running():
            try:
                r = await client.get("/healthz")
                body = r.json()
                # With the database down the tenant lookup fails before the health view
                # runs: the answer is then the generic 503 `database_unavailable`.
                failing = ",".join(k for k, v in body.get("checks", {}).items() if v != "ok")
                events.append((time.monotonic() - t0, "healthz", r.status_code,
                               failing or body.get("code", "")))
            except (httpx.HTTPError, ValueError) as exc:
                transport[f"healthz:{exc.__class__.__name__}"] += 1
            await asyncio.sleep(0.25)

    async def inject() -> dict[str, float]:
        await asyncio.sleep(fault_at)
        started = time.monotonic() - t0
        await asyncio.to_thread(fault)
        fault_end.append(time.monotonic() - t0)
        return {"fault_started_s": round(started, 2),
                "fault_ended_s": round(time.monotonic() - t0, 2)}

    limits = httpx.Limits(max_connections=cashiers + 1)
    async with httpx.AsyncClient(base_url=server, headers={"Host": manifest["host"]},
                                 timeout=35, limits=limits) as client:
        tasks = [cashier(client, tok, random.Random(i))
                 for i, tok in enumerate(manifest["tokens"][:cashiers])]
        results = await asyncio.gather(inject(), health_probe(client), *tasks)
    return {"events": events, "acknowledged": acknowledged, "transport": transport,
            **results[0]}


def _summarise(run: dict[str, Any]) -> dict[str, Any]:
    events = run["events"]
    statuses: dict[str, Counter] = {}
    for _, name, status, code in events:
        key = f"{status} {code}".strip() if status >= 400 else str(status)
        statuses.setdefault(name, Counter())[key] += 1
    api = [e for e in events if e[1] != "healthz"]
    after = run["fault_ended_s"]
    first_ok_after = next((t for t, name, st, _ in api if t >= after and name == "hold"
                           and st == 201), None)
    return {
        "statuses": {k: dict(v) for k, v in statuses.items()},
        "http_500": sum(1 for e in api if e[2] == 500),
        "http_5xx_not_503_json": sum(1 for e in api if e[2] >= 500 and
                                     (e[2] != 503 or e[3] in {"", "<not json>"})),
        "not_json_errors": sum(1 for e in api if e[3] == "<not json>"),
        "fault_started_s": run["fault_started_s"],
        "fault_ended_s": after,
        "first_successful_hold_after_fault_s": (round(first_ok_after - after, 2)
                                                if first_ok_after is not None else None),
        "last_503_s": max((t for t, _, st, _ in api if st == 503), default=None),
        "transport_errors": dict(run["transport"]),
        "acknowledged_holds": len(run["acknowledged"]["holds"]),
        "acknowledged_checkouts": len(run["acknowledged"]["checkouts"]),
    }


def _db_checks(env: dict[str, str], manifest: dict[str, Any],
               acknowledged: dict[str, list[int]]) -> dict[str, Any]:
    """Integrity and durability, checked in a fresh process pointed at the drill's cluster."""
    script = (
        "import json,sys\n"
        "from benchmarks.common import django_setup; django_setup()\n"
        "from django_tenants.utils import schema_context\n"
        "from benchmarks.dbcheck import integrity_report\n"
        "from sales.models import Transaction\n"
        "m, ack = json.loads(sys.argv[1]), json.loads(sys.argv[2])\n"
        "r = integrity_report(m['schema'], m['event'])\n"
        "with schema_context(m['schema']):\n"
        "    r['acknowledged_holds_missing'] = len(set(ack['holds']) - set(\n"
        "        Transaction.objects.filter(id__in=ack['holds']).values_list('id', flat=True)))\n"
        "    r['acknowledged_checkouts_not_completed'] = len(set(ack['checkouts']) - set(\n"
        "        Transaction.objects.filter(id__in=ack['checkouts'], status='completed')\n"
        "        .values_list('id', flat=True)))\n"
        "r['ok'] = r['ok'] and not r['acknowledged_holds_missing'] and not "
        "r['acknowledged_checkouts_not_completed']\n"
        "print(json.dumps(r))\n"
    )
    small = {"schema": manifest["schema"], "event": manifest["event"]}
    out = subprocess.run([PY, "-c", script, json.dumps(small), json.dumps(acknowledged)],
                         cwd=REPO_DIR, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drill", choices=["all", "postgres", "redis"], default="all")
    parser.add_argument("--pg-port", type=int, default=55499)
    parser.add_argument("--redis-port", type=int, default=56499)
    parser.add_argument("--port", type=int, default=8199, help="gunicorn port")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--db-name", default=os.environ.get("POS_DB_NAME", "pos") + "_faults")
    parser.add_argument("--seats", type=int, default=2000)
    parser.add_argument("--cashiers", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--restart-at", type=float, default=5.0)
    parser.add_argument("--down", type=float, default=3.0, help="seconds PostgreSQL stays down")
    parser.add_argument("--after", type=float, default=5.0,
                        help="keep the load on at least this long after the fault ended")
    parser.add_argument("--keep", action="store_true", help="leave the cluster data behind")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)

    password = os.environ.get("POS_DB_PASSWORD", "pos-dev-password")
    pg, redis = OwnPostgres(args.pg_port, password), OwnRedis(args.redis_port)
    env = {**os.environ, "POS_DB_PORT": str(args.pg_port), "POS_DB_NAME": args.db_name,
           "POS_DB_PASSWORD": password, "POS_REDIS_URL": f"redis://127.0.0.1:{args.redis_port}",
           "POS_REDIS_CACHE_DB": "1", "POS_REDIS_BROKER_DB": "0",
           "POS_CACHE_PREFIX": "pos-faults", "POS_DEBUG": "0", "POS_LOG_LEVEL": "WARNING",
           "POS_LOG_FORMAT": "json"}
    server = Server(args.port, args.workers, env, RESULTS_DIR / "faults-server.log")
    manifest_path = RESULTS_DIR / "faults-manifest.json"

    def fresh_manifest() -> dict[str, Any]:
        """A new event (each drill counts only its own sales) and its cashiers."""
        subprocess.run([PY, "-m", "benchmarks.fixtures", "onsale", "--seats", str(args.seats),
                        "--cashiers", str(args.cashiers), "--out", str(manifest_path)],
                       cwd=REPO_DIR, env=env, check=True)
        return load_manifest(str(manifest_path))

    result: dict[str, Any] = {"benchmark": "faults", "config": vars(args), "drills": {}}
    ok = True
    try:
        pg.init()
        pg.start()
        redis.start()
        pg.create_database(args.db_name)
        _manage(env, "migrate_schemas", "--noinput", "-v", "0")
        manifest = fresh_manifest()
        server.start()
        url = f"http://127.0.0.1:{args.port}"

        if args.drill in {"all", "postgres"}:
            def restart() -> None:
                pg.crash()
                time.sleep(args.down)
                pg.start()

            run = asyncio.run(_load(url, manifest, args.cashiers, args.duration, restart,
                                    args.restart_at, args.after))
            summary = _summarise(run)
            summary["database"] = _db_checks(env, manifest, run["acknowledged"])
            summary["passed"] = (summary["http_5xx_not_503_json"] == 0
                                 and summary["first_successful_hold_after_fault_s"] is not None
                                 and summary["database"]["ok"])
            result["drills"]["postgres"] = summary
            ok &= summary["passed"]

        if args.drill in {"all", "redis"}:
            manifest = fresh_manifest()  # the PostgreSQL drill's sales must not count here
            run = asyncio.run(_load(url, manifest, args.cashiers, args.duration, redis.stop,
                                    args.restart_at, args.after))
            summary = _summarise(run)
            health = httpx.get(f"{url}/healthz", headers={"Host": manifest["host"]}).json()
            summary["healthz_after"] = health
            summary["database"] = _db_checks(env, manifest, run["acknowledged"])
            api_5xx = sum(n for name, st in summary["statuses"].items() if name != "healthz"
                          for key, n in st.items() if key.startswith("5"))
            summary["api_5xx"] = api_5xx
            summary["passed"] = (api_5xx == 0 and "redis" in health.get("detail", "")
                                 and summary["database"]["ok"]
                                 and summary["statuses"].get("hold", {}).get("201", 0) > 0)
            result["drills"]["redis"] = summary
            ok &= summary["passed"]
    finally:
        server.stop()
        redis.stop()
        pg.stop()
        if not args.keep:
            shutil.rmtree(pg.dir, ignore_errors=True)
        shutil.rmtree(redis.dir, ignore_errors=True)

    for name, drill in result["drills"].items():
        print(f"\nfault drill: {name} — {'PASSED' if drill['passed'] else 'FAILED'}")
        for key in ("statuses", "http_5xx_not_503_json", "first_successful_hold_after_fault_s",
                    "fault_started_s", "fault_ended_s", "transport_errors",
                    "acknowledged_holds", "acknowledged_checkouts"):
            print(f"  {key}: {drill.get(key)}")
        print(f"  database: {drill['database']}")
        if "healthz_after" in drill:
            print(f"  healthz after: {drill['healthz_after']}")
    result["passed"] = ok
    write_json(args.json, result)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
