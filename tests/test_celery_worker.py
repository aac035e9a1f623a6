"""A real Celery worker (subprocess) on the real Redis broker, working on the pytest
database: the cleanup task expires holds in the tenant schema it was sent from and in no
other, and the beat dispatcher's fan-out reaches every tenant.

The worker reads what this process committed, so the data here is committed (outside
the per-test transaction) and deleted again at the end."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from reservations.models import CleanupRun, HoldAttempt, ReservedTicket
from reservations.tasks import cleanup_expired_reservations, dispatch_cleanup
from sales.models import Event, Transaction, Venue
from tests.builders import make_event
from tests.ops_builders import hold
from tests.processes import celery_worker

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent
WAIT = 90  # seconds: a bound on the worker's start-up plus the task, never a sleep


@pytest.fixture(scope="module")
def worker(tenants, tmp_path_factory) -> Iterator[str]:
    """`celery -A pos worker` on a queue of its own, pointed at the pytest database."""
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-it-{uuid.uuid4().hex[:8]}"
    with celery_worker(queue, tmp_path_factory.mktemp("worker") / "worker.log",
                       POS_LOG_LEVEL="INFO"):
        yield queue


def _committed_holds(schema: str) -> dict[str, int]:
    """An event with a hold that expired five minutes ago and a live one."""
    with schema_context(schema):
        setup = make_event(rows="A", seats_per_row=4)
        stale = hold(setup, "A1", by="cashier2", now=timezone.now() - timedelta(minutes=15))
        live = hold(setup, "A2", by="cashier2")
        return {"event": setup.event.pk, "venue": setup.event.venue_id,
                "stale": stale.pk, "live": live.pk}


def _delete(schema: str, made: dict[str, int]) -> None:
    with schema_context(schema):
        Transaction.objects.filter(event_id=made["event"]).delete()
        HoldAttempt.objects.filter(event_id=made["event"]).delete()
        Event.objects.filter(pk=made["event"]).delete()
        Venue.objects.filter(pk=made["venue"]).delete()
        CleanupRun.objects.all().delete()


@pytest.fixture
def committed(tenants, django_db_blocker) -> Iterator[dict[str, dict[str, int]]]:
    made: dict[str, dict[str, int]] = {}
    with django_db_blocker.unblock():
        try:
            for schema in ("alpha", "beta"):
                with schema_context(schema):
                    CleanupRun.objects.all().delete()
                made[schema] = _committed_holds(schema)
            connection.set_schema_to_public()
            yield made
        finally:
            for schema, rows in made.items():
                _delete(schema, rows)
            connection.set_schema_to_public()


def _state(schema: str, made: dict[str, int]) -> dict[str, tuple[str, str]]:
    with schema_context(schema):
        out = {}
        for name in ("stale", "live"):
            tx = Transaction.objects.get(pk=made[name])
            out[name] = (tx.status, ReservedTicket.objects.get(transaction=tx).status)
        return out


EXPIRED = ("expired", "expired")
UNTOUCHED = {"stale": ("pending", "active"), "live": ("pending", "active")}


def test_worker_expires_holds_in_the_schema_the_task_was_sent_from(worker, committed,
                                                                   django_db_blocker):
    with django_db_blocker.unblock():
        with schema_context("alpha"):
            result = cleanup_expired_reservations.apply_async(queue=worker)
        answer = result.get(timeout=WAIT)
        assert set(answer) == {"alpha"}
        assert answer["alpha"]["holds_expired"] == 1
        assert _state("alpha", committed["alpha"]) == {"stale": EXPIRED,
                                                        "live": ("pending", "active")}
        assert _state("beta", committed["beta"]) == UNTOUCHED

        with schema_context("beta"):
            answer = cleanup_expired_reservations.apply_async(queue=worker).get(timeout=WAIT)
        assert set(answer) == {"beta"}
        assert answer["beta"]["holds_expired"] == 1
        assert _state("beta", committed["beta"]) == {"stale": EXPIRED,
                                                      "live": ("pending", "active")}
        # Run again on the worker: nothing more to do, nothing changes.
        with schema_context("alpha"):
            again = cleanup_expired_reservations.apply_async(queue=worker).get(timeout=WAIT)
        assert again["alpha"]["holds_expired"] == 0
        assert _state("alpha", committed["alpha"])["live"] == ("pending", "active")


def test_beat_dispatcher_on_the_worker_queues_each_tenant_in_its_schema(worker, committed,
                                                                        django_db_blocker):
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        queued = dispatch_cleanup.apply_async(queue=worker).get(timeout=WAIT)
        assert queued["queued"] >= 2 and queued["failed"] == 0
        # The per-tenant tasks went to the worker's default queue (its own): wait for them.
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            done = {}
            for schema in ("alpha", "beta"):
                with schema_context(schema):
                    done[schema] = CleanupRun.objects.filter(trigger="beat", status="done").count()
            if all(done.values()):
                break
            time.sleep(0.2)  # waiting for another process, not for time to pass
        assert done == {"alpha": 1, "beta": 1}
        for schema in ("alpha", "beta"):
            assert _state(schema, committed[schema])["stale"] == EXPIRED


def test_worker_runs_an_extension_job_started_from_the_api(worker, tenants, monkeypatch,
                                                           django_db_blocker):
    """POST /api/reservations/extend/ on alpha's host queues the task; the worker runs it
    in alpha's schema and the job reads done with its counts; beta is untouched."""
    from reservations import tasks
    from reservations.models import ExtensionJob, StatusChange
    from tests.conftest import api_client

    send = tasks.extend_reservations.apply_async
    monkeypatch.setattr(tasks.extend_reservations, "apply_async",
                        lambda *args, **kwargs: send(*args, queue=worker, **kwargs))
    made: dict[str, dict[str, int]] = {}
    with django_db_blocker.unblock():
        try:
            deadlines = {}
            for schema in ("alpha", "beta"):
                made[schema] = _committed_holds(schema)
                with schema_context(schema):  # a partial-payment reservation, without papers
                    deadline = timezone.now().replace(microsecond=0) + timedelta(hours=5)
                    Transaction.objects.filter(pk=made[schema]["live"]).update(
                        status=Transaction.Status.RESERVED, payment_deadline=deadline)
                    ReservedTicket.objects.filter(transaction_id=made[schema]["live"]).update(
                        reserved_until=deadline)
                    deadlines[schema] = deadline
            connection.set_schema_to_public()
            operator = api_client(tenants["alpha"], "operator")
            started = operator.post("/api/reservations/extend/", {"hours": 24},
                                    format="json")
            assert started.status_code == 202, started.content
            job = started.json()["job"]
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:
                answer = operator.get(f"/api/reservations/extend/{job}/").json()
                if answer["status"] in ("done", "failed"):
                    break
                time.sleep(0.2)  # waiting for another process, not for time to pass
            assert (answer["status"], answer["reservations"], answer["tickets"]) == (
                "done", 1, 1), answer
            with schema_context("alpha"):
                tx = Transaction.objects.get(pk=made["alpha"]["live"])
                assert tx.payment_deadline == deadlines["alpha"] + timedelta(hours=24)
                audit = StatusChange.objects.get(transaction=tx, reason="bulk_extension")
                assert audit.actor.username == "operator" and job in audit.note
            with schema_context("beta"):
                untouched = Transaction.objects.get(pk=made["beta"]["live"])
                assert untouched.payment_deadline == deadlines["beta"]
                assert not ExtensionJob.objects.exists()
        finally:
            for schema, rows in made.items():
                _delete(schema, rows)
                with schema_context(schema):
                    ExtensionJob.objects.all().delete()
            connection.set_schema_to_public()
