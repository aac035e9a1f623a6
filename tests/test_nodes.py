"""Stateless web nodes: two gunicorn nodes (as the Procfile runs them) behind haproxy
(docker/haproxy.cfg, Debian's haproxy 2.6) and a real Celery worker on the checkout queue,
on the test PostgreSQL and Redis.

Whatever one node does, the other sees: holds, sessions, the log-in throttle, the caches
(seat maps, remembered tokens) and idempotency keys all live in PostgreSQL or Redis, never
in a process. The tests that must know which node answered call each node's own port; the
balancer's own tests go through haproxy. The last drill kills one node with SIGKILL in the
middle of a load through the balancer: every request that got a 2xx answer is in the
database, no seat is sold twice, and the other node goes on serving.

Everything is started once for the module and stopped at its end. The nodes commit, so
the data lives in the `race` tenant (the tenant of tests that commit) on an event of its
own; the log-in throttle's rows made here are deleted at the end."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.db import connection
from django_tenants.utils import schema_context

from reservations.models import ExtensionJob, ReservedTicket
from sales.models import Transaction
from tenants.roles import Role
from tenants.services import create_staff_user
from tests.builders import EventSetup, make_event
from tests.conftest import PASSWORD, token_for
from tests.processes import CELERY_WORKER, free_port, start_process, stop_process

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent
HOST = "race.localhost"  # the committing tenant's host name: tenants are routed by it
START_TIMEOUT = 60  # seconds: a bound on the processes' start-up, never a sleep
FAILURE_LIMIT = 3  # the nodes' log-in throttle (POS_LOGIN_FAILURE_LIMIT)
PAID_IN_FULL = [{"method": "cash", "currency": "USD", "amount": "11.95"}]  # 10 + IVA + IGTF
SESSION_USER, LOCKED_USER, PROBE_USER = "nodes-session", "nodes-locked", "nodes-xff-probe"


def _wait_until(check: Callable[[], bool], what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)  # waiting for another process, not for time to pass
    raise AssertionError(f"timed out waiting for {what}")


def _answers(url: str, host: str = "localhost") -> bool:
    try:
        return requests.get(f"{url}/healthz", headers={"Host": host}, timeout=2).ok
    except requests.RequestException:
        return False


@dataclass
class Node:
    """One gunicorn node, started as the Procfile starts it, in a process group of its own
    so that SIGKILL takes the master and its workers at once (a machine that dies)."""

    name: str
    port: int
    env: dict[str, str]
    logs: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.logs / f"{self.name}-access.log"

    def start(self) -> None:
        with (self.logs / f"{self.name}.log").open("a") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:pos.gunicorn_config",
                 "pos.wsgi:application", "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
                 "--timeout", "30", "--access-logfile", str(self.access_log)],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def served(self, marker: str) -> int:
        """Requests whose path carries `marker` that this node answered."""
        if not self.access_log.exists():
            return 0
        return self.access_log.read_text().count(marker)


@dataclass
class Cluster:
    a: Node
    b: Node
    balancer: str
    background_queue: str
    setup: EventSetup
    tokens: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def seat(self, label: str) -> int:
        return self.setup.seats[label].pk


def _committed_data() -> tuple[EventSetup, dict[str, str]]:
    """In the race tenant: an event of 80 seats, tokens, and two users whose passwords are
    hashed as production hashes them (the nodes do not use the tests' fast hasher)."""
    with schema_context("race"):
        setup = make_event(rows="ABCDEFGH", seats_per_row=10, price="10.00")
        real_hash = make_password(PASSWORD, hasher=PBKDF2PasswordHasher())
        for username in (SESSION_USER, LOCKED_USER):
            create_staff_user(username=username, password=PASSWORD, role=Role.CASHIER)
            # update(): a password change through save() would revoke tokens (signals).
            get_user_model().objects.filter(username=username).update(password=real_hash)
    tokens = {name: token_for("race", name) for name in
              ["admin", "c30", "c31", *(f"c{i}" for i in range(40, 46))]}
    connection.set_schema_to_public()
    return setup, tokens


@pytest.fixture(scope="module")
def cluster(race, django_db_blocker, tmp_path_factory) -> Iterator[Cluster]:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    assert Path(haproxy).exists(), "haproxy is installed by scripts/bootstrap.sh"
    logs = tmp_path_factory.mktemp("nodes")
    queue = f"{settings.CELERY_CHECKOUT_QUEUE}-nodes-{uuid.uuid4().hex[:8]}"
    env = {**os.environ,
           "POS_DB_NAME": settings.DATABASES["default"]["NAME"],  # the test database
           "POS_CELERY_QUEUE": queue, "POS_CELERY_BACKGROUND_QUEUE": f"{queue}-background",
           "POS_NUM_PROXIES": "1", "POS_LOGIN_FAILURE_LIMIT": str(FAILURE_LIMIT),
           "POS_LOG_LEVEL": "WARNING"}
    with django_db_blocker.unblock():
        setup, tokens = _committed_data()
    a = Node("node-a", free_port(), env, logs)
    b = Node("node-b", free_port(), env, logs)
    balancer_port = free_port()
    made = Cluster(a=a, b=b, balancer=f"http://127.0.0.1:{balancer_port}",
                   background_queue=f"{queue}-background", setup=setup, tokens=tokens)
    try:
        a.start()
        b.start()
        made.processes.append(start_process(
            [*CELERY_WORKER, "--queues", queue], env, logs / "worker.log"))
        made.processes.append(start_process(
            [haproxy, "-W", "-db", "-f", str(REPO / "docker" / "haproxy.cfg")],
            {**os.environ, "POS_BALANCER_BIND": f"127.0.0.1:{balancer_port}",
             "POS_NODE_A": f"127.0.0.1:{a.port}", "POS_NODE_B": f"127.0.0.1:{b.port}",
             "POS_HEALTHCHECK_HOST": "localhost"}, logs / "haproxy.log"))
        _wait_until(lambda: _answers(a.url) and _answers(b.url), "both nodes")
        _wait_until(lambda: _in_rotation(made, a) and _in_rotation(made, b),
                    "the balancer to send to both nodes")
        yield made
    finally:
        for process in made.processes:
            stop_process(process)
        a.stop()
        b.stop()
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(made.background_queue)
        with django_db_blocker.unblock(), schema_context("race"):
            from axes.models import AccessAttempt

            AccessAttempt.objects.filter(
                username__in=[SESSION_USER, LOCKED_USER, PROBE_USER]).delete()
        connection.set_schema_to_public()
        for log in sorted(logs.glob("*.log")):
            if "access" not in log.name and "Traceback" in log.read_text():
                print(f"--- {log.name}\n{log.read_text()[-3000:]}")


def _in_rotation(cluster: Cluster, node: Node) -> bool:
    """True once the balancer sends requests to `node` (after a start or a restart haproxy
    waits for two good health checks)."""
    marker = f"rotation-{uuid.uuid4().hex[:8]}"
    for _ in range(4):
        try:
            requests.get(f"{cluster.balancer}/healthz?probe={marker}",
                         headers={"Host": "localhost"}, timeout=5)
        except requests.RequestException:
            return False
    return node.served(marker) > 0


def call(base: str, method: str, path: str, *, token: str | None = None, json: Any = None,
         headers: dict[str, str] | None = None, host: str = HOST,
         session: requests.Session | None = None, **kwargs: Any) -> requests.Response:
    sent = {"Host": host, "Accept-Language": "en", **(headers or {})}
    if token:
        sent["Authorization"] = f"Token {token}"
    return (session or requests).request(method, base + path, json=json, headers=sent,
                                         timeout=30, allow_redirects=False, **kwargs)


def seat_states(base: str, cluster: Cluster, token: str) -> dict[str, str]:
    answer = call(base, "GET", f"/api/events/{cluster.setup.event.pk}/availability/",
                  token=token)
    assert answer.status_code == 200, answer.text
    return {seat["label"]: seat["state"] for seat in answer.json()["seats"]}


# --- A hold through one node, the rest through the other ---------------------------------


def test_a_hold_made_on_one_node_is_seen_extended_checked_out_and_released_on_the_other(
        cluster, django_db_blocker):
    a, b, cashier, other = cluster.a.url, cluster.b.url, cluster.tokens["c30"], \
        cluster.tokens["c31"]
    # Node B has the seat map in its cache before the hold: the hold on A must reach it.
    before = call(b, "GET", f"/api/events/{cluster.setup.event.pk}/availability/",
                  token=other)
    assert before.status_code == 200

    made = call(a, "POST", "/api/holds/", token=cashier, json={
        "event": cluster.setup.event.pk, "seat_ids": [cluster.seat("A1"), cluster.seat("A2")]})
    assert made.status_code == 201, made.text
    hold = made.json()
    again = call(b, "GET", f"/api/events/{cluster.setup.event.pk}/availability/",
                 token=other, headers={"If-None-Match": before.headers["ETag"]})
    assert again.status_code == 200, "node B must not answer 304 for a map node A changed"
    seen = {seat["label"]: seat["state"] for seat in again.json()["seats"]}
    assert (seen["A1"], seen["A2"]) == ("reserved", "reserved")
    assert seat_states(b, cluster, cashier)["A1"] == "reserved_by_me"
    clash = call(b, "POST", "/api/holds/", token=other, json={
        "event": cluster.setup.event.pk, "seat_ids": [cluster.seat("A2")]})
    assert clash.status_code == 409
    assert clash.json()["detail"] == "The following seats are not available: A2 (reserved)."

    extended = call(b, "POST", f"/api/holds/{hold['id']}/extend/", token=cashier)
    assert extended.status_code == 200, extended.text
    assert extended.json()["expires_at"] > hold["expires_at"]
    sold = call(b, "POST", f"/api/holds/{hold['id']}/checkout/", token=cashier,
                json={"payments": PAID_IN_FULL * 2})
    assert sold.status_code == 200, sold.text
    assert sold.json()["transaction"]["status"] == "completed"

    second = call(a, "POST", "/api/holds/", token=cashier, json={
        "event": cluster.setup.event.pk, "seat_ids": [cluster.seat("A3")]})
    assert second.status_code == 201, second.text
    released = call(b, "DELETE", f"/api/holds/{second.json()['id']}/", token=cashier)
    assert released.status_code == 200, released.text

    states = seat_states(a, cluster, other)
    assert (states["A1"], states["A2"], states["A3"]) == ("sold", "sold", "available")
    with django_db_blocker.unblock(), schema_context("race"):
        assert Transaction.objects.get(pk=hold["id"]).status == "completed"
        assert Transaction.objects.get(pk=second.json()["id"]).status == "cancelled"
    connection.set_schema_to_public()


def test_an_extension_job_asked_on_one_node_runs_on_the_checkout_worker(
        cluster, django_db_blocker):
    """The bulk extension goes to the checkout queue and the real worker runs it; a sale's
    e-mail goes to the background queue, which that worker does not take."""
    a, b, cashier, admin = (cluster.a.url, cluster.b.url, cluster.tokens["c31"],
                            cluster.tokens["admin"])
    held = call(a, "POST", "/api/holds/", token=cashier, json={
        "event": cluster.setup.event.pk, "seat_ids": [cluster.seat("B1")]})
    assert held.status_code == 201, held.text
    reserved = call(b, "POST", f"/api/holds/{held.json()['id']}/checkout/", token=cashier,
                    json={"payments": [{"method": "cash", "currency": "USD", "amount": "5.00"}],
                          "reserve": True})
    assert reserved.status_code == 200, reserved.text
    assert reserved.json()["transaction"]["status"] == "reserved"
    with django_db_blocker.unblock(), schema_context("race"):
        deadline = Transaction.objects.get(pk=held.json()["id"]).payment_deadline
    connection.set_schema_to_public()

    started = call(a, "POST", "/api/reservations/extend/", token=admin,
                   json={"hours": 24, "event": cluster.setup.event.pk})
    assert started.status_code == 202, started.text
    job = started.json()["job"]
    answer: dict = {}

    def done() -> bool:
        nonlocal answer
        answer = call(b, "GET", f"/api/reservations/extend/{job}/", token=admin).json()
        return answer["status"] in ("done", "failed")

    _wait_until(done, "the worker to run the extension job")
    assert (answer["status"], answer["reservations"], answer["tickets"]) == ("done", 1, 1)
    with django_db_blocker.unblock(), schema_context("race"):
        extended = Transaction.objects.get(pk=held.json()["id"]).payment_deadline
        assert (extended - deadline).total_seconds() == 24 * 3600
        ExtensionJob.objects.filter(job_id=job).delete()
    connection.set_schema_to_public()
    # A sale's e-mail to the customer (sales.mail) waits on the background queue: the
    # checkout worker never takes it.
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    waiting = broker.llen(cluster.background_queue)
    sale = call(a, "POST", "/api/holds/", token=cashier, json={
        "event": cluster.setup.event.pk, "seat_ids": [cluster.seat("B2")]})
    paid = call(b, "POST", f"/api/holds/{sale.json()['id']}/checkout/", token=cashier,
                json={"payments": PAID_IN_FULL, "customer": {"email": "ana@example.com"}})
    assert paid.json()["transaction"]["status"] == "completed", paid.text
    assert broker.llen(cluster.background_queue) == waiting + 1


# --- Sessions, the log-in throttle, remembered tokens, idempotency keys ------------------


def _csrf_from(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found, "the log-in form carries a CSRF token"
    return found.group(1)


def test_a_session_made_on_one_node_is_good_on_the_other_and_a_log_out_ends_it_on_both(
        cluster):
    a, b = cluster.a.url, cluster.b.url
    browser = requests.Session()  # one cookie jar, as a browser behind the balancer has
    form = call(a, "GET", "/pos/login/", session=browser)
    assert form.status_code == 200
    logged_in = call(a, "POST", "/pos/login/", session=browser, data={
        "username": SESSION_USER, "password": PASSWORD,
        "csrfmiddlewaretoken": _csrf_from(form.text)})
    assert logged_in.status_code == 302 and logged_in.headers["Location"] == "/pos/"
    assert "sessionid" in browser.cookies

    page = call(b, "GET", "/pos/", session=browser)
    assert page.status_code == 200, "node B knows the session node A made"
    assert call(b, "GET", f"/api/events/{cluster.setup.event.pk}/availability/",
                session=browser).status_code == 200

    out = call(b, "POST", "/pos/logout/", session=browser,
               headers={"X-CSRFToken": browser.cookies["csrftoken"]})
    assert out.status_code == 302
    back = call(a, "GET", "/pos/", session=browser)
    assert back.status_code == 302
    assert back.headers["Location"].startswith("/pos/login/")


def test_failed_log_ins_are_counted_across_nodes(cluster):
    """Two failures on node A and one on node B reach the limit of three: the username is
    locked on both, the right password included. Each request names a client address of
    its own (X-Forwarded-For, as the balancer sends it), so only the username counts."""
    def log_in(node: Node, password: str, address: str) -> requests.Response:
        return call(node.url, "POST", "/api/auth/token/",
                    json={"username": LOCKED_USER, "password": password},
                    headers={"X-Forwarded-For": address})

    first = log_in(cluster.a, "wrong-1", "198.51.100.1")
    assert first.status_code == 400 and first.json()["code"] == "invalid_credentials"
    assert log_in(cluster.a, "wrong-2", "198.51.100.2").status_code == 400
    third = log_in(cluster.b, "wrong-3", "198.51.100.3")
    assert third.status_code == 429, third.text
    assert third.json()["code"] == "throttled"
    right = log_in(cluster.a, PASSWORD, "198.51.100.4")
    assert right.status_code == 429
    assert int(right.headers["Retry-After"]) > 0


def test_a_token_logged_out_on_one_node_is_refused_at_once_by_the_other(cluster):
    token = token_for("race", "c32")
    assert call(cluster.b.url, "GET", "/api/settings/", token=token).status_code == 200
    # Node B now remembers the token (tenants.identity); node A revokes it.
    assert call(cluster.a.url, "DELETE", "/api/auth/token/", token=token).status_code == 204
    refused = call(cluster.b.url, "GET", "/api/settings/", token=token)
    assert refused.status_code == 401


def test_an_idempotency_key_replays_on_the_other_node(cluster, django_db_blocker):
    cashier, key = cluster.tokens["c30"], f"nodes-{uuid.uuid4()}"
    body = {"event": cluster.setup.event.pk, "seat_ids": [cluster.seat("C1")]}
    first = call(cluster.a.url, "POST", "/api/holds/", token=cashier, json=body,
                 headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    replay = call(cluster.b.url, "POST", "/api/holds/", token=cashier, json=body,
                  headers={"Idempotency-Key": key})
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    other_body = call(cluster.b.url, "POST", "/api/holds/", token=cashier,
                      json={**body, "seat_ids": [cluster.seat("C2")]},
                      headers={"Idempotency-Key": key})
    assert other_body.status_code == 409

    # The same new key on both nodes at the same instant: one hold, never two.
    key = f"nodes-{uuid.uuid4()}"
    body = {"event": cluster.setup.event.pk, "seat_ids": [cluster.seat("C3")]}
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(
            lambda node: call(node.url, "POST", "/api/holds/", token=cashier, json=body,
                              headers={"Idempotency-Key": key}), (cluster.a, cluster.b)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses in ([201, 201], [201, 409]), [answer.text for answer in answers]
    assert len({answer.json()["id"] for answer in answers if answer.status_code == 201}) == 1
    with django_db_blocker.unblock(), schema_context("race"):
        claims = ReservedTicket.objects.claiming().filter(seat_id=cluster.seat("C3"))
        assert claims.count() == 1
    connection.set_schema_to_public()


# --- The balancer --------------------------------------------------------------------------


def test_the_balancer_takes_turns_and_passes_the_host_through(cluster):
    marker = f"turns-{uuid.uuid4().hex[:8]}"
    path = f"/api/events/{cluster.setup.event.pk}/availability/?probe={marker}"
    for _ in range(6):
        answer = call(cluster.balancer, "GET", path, token=cluster.tokens["c30"])
        assert answer.status_code == 200
        assert answer.json()["event"] == cluster.setup.event.pk
    assert (cluster.a.served(marker), cluster.b.served(marker)) == (3, 3)
    # The tenant is the Host's: race's token means nothing on alpha's host name.
    elsewhere = call(cluster.balancer, "GET", "/api/settings/", token=cluster.tokens["c30"],
                     host="alpha.localhost")
    assert elsewhere.status_code == 401
    nowhere = call(cluster.balancer, "GET", "/api/settings/", host="nowhere.localhost")
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "unknown_host"


def test_the_balancer_sets_the_forwarded_headers_and_a_client_cannot_forge_them(
        cluster, django_db_blocker):
    # X-Forwarded-Proto is the balancer's: a client's "https" is overwritten (no HSTS over
    # plain HTTP), while a node reached directly would believe it.
    forged = {"X-Forwarded-Proto": "https"}
    through = call(cluster.balancer, "GET", "/healthz", headers=forged)
    assert through.status_code == 200
    assert "Strict-Transport-Security" not in through.headers
    direct = call(cluster.a.url, "GET", "/healthz", headers=forged)
    assert "Strict-Transport-Security" in direct.headers, "why the nodes stay private"
    # X-Forwarded-For: the throttle counts the address the balancer saw, not the forgery.
    failed = call(cluster.balancer, "POST", "/api/auth/token/",
                  json={"username": PROBE_USER, "password": "wrong"},
                  headers={"X-Forwarded-For": "203.0.113.50"})
    assert failed.status_code == 400
    with django_db_blocker.unblock(), schema_context("race"):
        from axes.models import AccessAttempt

        assert list(AccessAttempt.objects.filter(username=PROBE_USER)
                    .values_list("ip_address", flat=True)) == ["127.0.0.1"]
    connection.set_schema_to_public()


# --- One node killed mid-load ----------------------------------------------------------


@dataclass
class Load:
    """What the clients were told: every acknowledged (2xx) hold, sale and release."""

    held: dict[int, int] = field(default_factory=dict)  # transaction -> seat
    sold: set[int] = field(default_factory=set)
    released: set[int] = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)
    failures_after: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _cashier_loop(cluster: Cluster, token: str, seats: list[int], load: Load,
                  stop: threading.Event, killed_at: list[float]) -> None:
    session = requests.Session()
    rng = random.Random(token)
    n = 0
    while not stop.is_set():
        n += 1
        seat = rng.choice(seats)
        try:
            held = call(cluster.balancer, "POST", "/api/holds/", token=token, session=session,
                        json={"event": cluster.setup.event.pk, "seat_ids": [seat]})
        except requests.RequestException as exc:
            _count(load, "hold", exc.__class__.__name__, killed_at)
            continue
        _count(load, "hold", held.status_code, killed_at)
        if held.status_code != 201:
            continue
        hold_id = held.json()["id"]
        with load.lock:
            load.held[hold_id] = seat
        if n % 2:
            kind, method, path, body = ("checkout", "POST", f"/api/holds/{hold_id}/checkout/",
                                        {"payments": PAID_IN_FULL})
        else:
            kind, method, path, body = "release", "DELETE", f"/api/holds/{hold_id}/", None
        try:
            answer = call(cluster.balancer, method, path, token=token, json=body,
                          session=session)
        except requests.RequestException as exc:
            _count(load, kind, exc.__class__.__name__, killed_at)
            continue
        _count(load, kind, answer.status_code, killed_at)
        if answer.status_code == 200:
            with load.lock:
                (load.sold if kind == "checkout" else load.released).add(hold_id)


def _count(load: Load, kind: str, status: int | str, killed_at: list[float]) -> None:
    with load.lock:
        load.statuses[f"{kind} {status}"] += 1
        failed = not isinstance(status, int) or status >= 500
        # Once the balancer has had two seconds to notice (two health checks), nothing
        # may fail any more.
        if failed and killed_at and time.monotonic() > killed_at[0] + 2.5:
            load.failures_after.append(f"{kind} {status}")


def test_killing_a_node_mid_load_loses_nothing_acknowledged(cluster, django_db_blocker):
    seats = [cluster.seat(f"{row}{n}") for row in "EFGH" for n in range(1, 11)]
    load, stop, killed_at = Load(), threading.Event(), []
    cashiers = [cluster.tokens[f"c{i}"] for i in range(40, 46)]
    threads = [threading.Thread(target=_cashier_loop,
                                args=(cluster, token, seats, load, stop, killed_at))
               for token in cashiers]
    served_before = cluster.b.served("/api/holds/")
    try:
        for thread in threads:
            thread.start()
        _wait_until(lambda: len(load.held) >= 10, "the load to get going", timeout=30)
        assert cluster.b.served("/api/holds/") > served_before, "node B took part"
        cluster.b.kill()
        killed_at.append(time.monotonic())
        held_at_kill = len(load.held)
        _wait_until(lambda: len(load.held) >= held_at_kill + 20, "node A to carry the load",
                    timeout=30)
        _wait_until(lambda: time.monotonic() > killed_at[0] + 3.5, "the drill's end")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    print(f"kill drill: {sorted(load.statuses.items())}")
    try:
        in_flight = sum(count for status, count in load.statuses.items()
                        if not status.split()[1].isdigit() or int(status.split()[1]) >= 500)
        # Only requests node B had started when it died may fail (haproxy never resends a
        # started request; a refused connection goes to node A).
        assert in_flight <= len(cashiers), load.statuses
        assert not load.failures_after, (load.failures_after, load.statuses)
        with django_db_blocker.unblock(), schema_context("race"):
            rows = dict(Transaction.objects.filter(pk__in=load.held)
                        .values_list("pk", "status"))
            # Every acknowledged hold is there, on its seat...
            assert set(rows) == set(load.held)
            for tx, seat in load.held.items():
                assert ReservedTicket.objects.filter(transaction_id=tx, seat_id=seat).exists()
            # ...every acknowledged sale is completed, every release cancelled.
            assert {rows[tx] for tx in load.sold} <= {"completed"}
            assert {rows[tx] for tx in load.released} <= {"cancelled"}
            # No seat sold or held twice.
            claims = Counter(ReservedTicket.objects.claiming()
                             .filter(event=cluster.setup.event, seat_id__in=seats)
                             .values_list("seat_id", flat=True))
            assert all(count == 1 for count in claims.values()), claims
            assert len(load.sold) > 0 and len(load.released) > 0
        connection.set_schema_to_public()
        # The balancer goes on serving from node A alone.
        for _ in range(4):
            assert call(cluster.balancer, "GET", "/healthz").status_code == 200
    finally:
        cluster.b.start()  # back for the module's other tests
        _wait_until(lambda: _answers(cluster.b.url), "node B to come back")
        _wait_until(lambda: _in_rotation(cluster, cluster.b), "node B back in rotation")
