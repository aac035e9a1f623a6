"""Faults a venue will meet on a busy day, through the API: the cache (Redis) goes away,
no Celery worker runs, the database connection is lost. The PostgreSQL restart under load
is a drill in benchmarks/faults.py (it needs a cluster of its own).

The Redis tests start a redis-server of their own on a free port and stop that one; the
shared Redis is never touched."""

from __future__ import annotations

import copy
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
import time_machine
from django.db import OperationalError
from django.utils import timezone
from django_tenants.utils import tenant_context

from reservations import services
from reservations.models import ReservedTicket
from tests.builders import api_hold as hold
from tests.builders import make_event, set_rate
from tests.conftest import api_client
from tests.processes import free_port


@pytest.fixture
def setup(alpha):
    with tenant_context(alpha.tenant):
        set_rate()
        return make_event(rows="ABC", seats_per_row=10, ga_capacity=10)


class OwnRedis:
    """A redis-server of the test's own: started here, stopped here."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="pos-test-redis-")
        self.url = f"redis://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(250):  # waiting for a process to listen, not for time to pass
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def keys(self) -> int:
        return redis.Redis(port=self.port).dbsize()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def own_redis(settings) -> Iterator[OwnRedis]:
    """The cache (and the health check) pointed at a Redis this test may stop."""
    server = OwnRedis()
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = f"{server.url}/0"
    settings.CACHES = caches
    yield server
    server.close()


def availability(client, setup) -> dict:
    response = client.get(f"/api/events/{setup.event.pk}/availability/")
    assert response.status_code == 200
    return response.json()


def states(client, setup) -> dict[str, str]:
    return {seat["label"]: seat["state"] for seat in availability(client, setup)["seats"]}


def pay_in_full(client, hold_id: int, seats: int):
    return client.post(f"/api/holds/{hold_id}/checkout/", {"payments": [
        {"method": "pago_movil", "currency": "VES", "amount": f"{1160 * seats}.00",
                                                                 "reference": "0102-555123"}]},
        format="json")


# --- Redis stopped -----------------------------------------------------------------------


def test_redis_stopped_during_holds_keeps_every_answer_right(cashier, cashier2, setup,
                                                             own_redis, alpha):
    first = hold(cashier, setup, "A1", "A2")
    assert first.status_code == 201
    assert states(cashier2, setup)["A1"] == "reserved"
    assert own_redis.keys() > 0, "the seat map was cached in the test's Redis"

    own_redis.stop()

    # Holds are decided in PostgreSQL: a taken seat is still refused, all or nothing.
    clash = hold(cashier2, setup, "A2", "A3")
    assert clash.status_code == 409
    assert clash.json()["detail"] == "The following seats are not available: A2 (reserved)."
    second = hold(cashier2, setup, "A3")
    assert second.status_code == 201
    # The seat map is read from PostgreSQL, never from a snapshot that missed a change.
    assert cashier.delete(f"/api/holds/{first.json()['id']}/").status_code == 200
    seen = states(cashier2, setup)
    assert (seen["A1"], seen["A2"], seen["A3"]) == ("available", "available", "reserved_by_me")
    assert pay_in_full(cashier2, second.json()["id"], 1).status_code == 200
    assert states(cashier, setup)["A3"] == "sold"

    health = api_client(alpha).get("/healthz")
    assert health.status_code == 503
    assert health.json()["checks"] == {"database": "ok", "redis": "error: ConnectionError"}
    assert health.json()["detail"] == "Unreachable: redis"


def test_a_304_is_never_given_for_a_stale_map_after_redis_comes_back(cashier, cashier2,
                                                                      setup, own_redis):
    response = cashier.get(f"/api/events/{setup.event.pk}/availability/")
    etag = response["ETag"]
    own_redis.stop()
    assert hold(cashier2, setup, "B1").status_code == 201
    own_redis.start()  # empty again, as a Redis without persistence comes back
    again = cashier.get(f"/api/events/{setup.event.pk}/availability/",
                        HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200
    assert {s["label"]: s["state"] for s in again.json()["seats"]}["B1"] == "reserved"


# --- No Celery worker --------------------------------------------------------------------


def test_expiry_is_exact_while_no_worker_records_it(cashier, cashier2, setup):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = hold(cashier, setup, "A1", "A2", zones=[{"zone": setup.ga_zone.pk,
                                                        "quantity": 3}])
        assert first.status_code == 201
    with time_machine.travel(start + timedelta(minutes=9, seconds=59), tick=False):
        assert hold(cashier2, setup, "A1").status_code == 409
        ga = {z["id"]: z["available"] for z in availability(cashier2, setup)["zones"]}
        assert ga[setup.ga_zone.pk] == 7
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        # Nothing has recorded the expiry (no worker, no cleanup run)...
        assert set(ReservedTicket.objects.filter(transaction_id=first.json()["id"])
                   .values_list("status", flat=True)) == {"active"}
        # ...yet every read and write treats the hold as gone at this very instant.
        body = availability(cashier2, setup)
        seats = {s["label"]: s["state"] for s in body["seats"]}
        assert (seats["A1"], seats["A2"]) == ("available", "available")
        assert {z["id"]: z["available"] for z in body["zones"]}[setup.ga_zone.pk] == 10
        # The expired items no longer count against the cashier's limit of 10.
        again = hold(cashier, setup, *[f"B{n}" for n in range(1, 9)],
                     zones=[{"zone": setup.ga_zone.pk, "quantity": 2}])
        assert again.status_code == 201, again.json()
        late = pay_in_full(cashier, first.json()["id"], 2)
        assert late.status_code == 410
        assert hold(cashier2, setup, "A1", "A2").status_code == 201


# --- Database connection lost ------------------------------------------------------------


def test_a_lost_database_connection_is_a_503_json_not_a_500(cashier, setup, monkeypatch):
    def lost(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "hold_seats", lost)
    cashier.raise_request_exception = False
    response = hold(cashier, setup, "A1")
    assert response.status_code == 503
    assert response.json() == {
        "detail": "The database is unavailable at the moment; try again shortly.",
        "code": "database_unavailable"}
    assert response["Retry-After"] == "2"
