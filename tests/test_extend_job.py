"""POST /api/reservations/extend/ starts a background job (Celery task
reservations.extend_reservations in the tenant's schema); GET .../extend/{job}/ reads its
outcome. The task runs eagerly here (in this process, on the same database); the real
worker is exercised by tests/test_celery_worker.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tenants.utils import schema_context

from reservations import tasks
from reservations.models import ExtensionJob, StatusChange
from sales.models import Transaction
from tests.builders import make_event, set_rate
from tests.conftest import api_client
from tests.ops_builders import reserve

START = timezone.now().replace(microsecond=0) + timedelta(days=1)
EXTEND = "/api/reservations/extend/"


@pytest.fixture
def setup(in_alpha):
    set_rate()
    return make_event(rows="AB", seats_per_row=5)


@pytest.fixture
def sent(monkeypatch) -> list[dict]:
    """Records what would be sent to the broker instead of sending it."""
    calls: list[dict] = []
    monkeypatch.setattr(tasks.extend_reservations, "apply_async",
                        lambda *args, **kwargs: calls.append(kwargs))
    return calls


def test_extension_is_a_job_that_extends_and_reads_done_with_counts(
        setup, alpha, eager, django_capture_on_commit_callbacks):
    operator = api_client(alpha, "operator")
    with time_machine.travel(START, tick=False):
        tx = reserve(setup, "A1", "A2")
        other = reserve(setup, "B1")
        with django_capture_on_commit_callbacks(execute=True):
            started = operator.post(EXTEND, {"hours": 24, "event": setup.event.pk},
                                    format="json")
        assert started.status_code == 202, started.content
        job = started.json()["job"]
        assert started["Location"] == f"{EXTEND}{job}/"
        assert started.json()["status"] == "queued"  # as answered, before the task ran
        answer = operator.get(f"{EXTEND}{job}/")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["status"], body["reservations"], body["tickets"]) == ("done", 2, 3)
    assert body["requested_by"] == "operator" and body["finished_at"]
    with schema_context(alpha.schema):
        for reservation in (tx, other):
            reservation.refresh_from_db()
            assert reservation.payment_deadline == START + timedelta(hours=72 + 24)
        audit = StatusChange.objects.get(transaction=tx, reason="bulk_extension")
    assert audit.actor.username == "operator" and audit.created_at == START
    assert audit.note.startswith(f"job {job}:") and "by api (operator)" in audit.note
    # A venue admin reads it too.
    assert api_client(alpha, "admin").get(f"{EXTEND}{job}/").json()["status"] == "done"


def test_a_redelivered_job_is_reported_not_applied_twice(setup, alpha, eager, sent):
    with time_machine.travel(START, tick=False):
        tx = reserve(setup, "A1")
        with schema_context(alpha.schema):
            from reservations.jobs import start_extension_job
            from tests.builders import user

            job = start_extension_job(hours=5, event_id=None, expiring_within=None,
                                      actor=user("admin"))
        kwargs = {"hours": 5, "event_id": None, "expiring_within": None,
                  "actor_id": job.requested_by_id, "actor_label": "api (admin)",
                  "job_id": job.job_id}
        with schema_context(alpha.schema):
            tasks.extend_reservations(**kwargs)
            again = tasks.extend_reservations(**kwargs)
            tx.refresh_from_db()
            job.refresh_from_db()
    assert again["replayed"] is True
    assert tx.payment_deadline == START + timedelta(hours=72 + 5)
    assert (job.status, job.reservations, job.tickets, job.replayed) == ("done", 1, 1, True)


def test_dry_run_answers_the_preview_at_once_and_changes_nothing(setup, alpha, sent):
    with time_machine.travel(START, tick=False):
        tx = reserve(setup, "A1")
        preview = api_client(alpha, "operator").post(EXTEND, {"hours": 24, "dry_run": True},
                                                     format="json")
    assert preview.status_code == 200
    assert (preview.json()["reservations"], preview.json()["dry_run"]) == (1, True)
    # A preview is not a job: no job id a client would then poll into a 404.
    assert preview.json()["job"] is None
    assert sent == []
    with schema_context(alpha.schema):
        assert Transaction.objects.get(pk=tx.pk).payment_deadline == START + timedelta(hours=72)
        assert not ExtensionJob.objects.exists()


@pytest.mark.parametrize("body, message", [
    ({"hours": 0}, "hours"),
    ({"hours": 721}, "hours"),
    ({"hours": 2, "expiring_within": 0}, "expiring_within"),
    ({"hours": 2, "event": 999999}, "does not exist"),
    ({}, "hours"),
])
def test_bad_input_is_a_400_and_nothing_is_queued(setup, alpha, sent,
                                                  django_capture_on_commit_callbacks, body,
                                                  message):
    operator = api_client(alpha, "operator")
    with django_capture_on_commit_callbacks(execute=True) as queued:
        answer = operator.post(EXTEND, body, format="json")
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert queued == [] and sent == []
    with schema_context(alpha.schema):
        assert not ExtensionJob.objects.exists()


def test_a_job_whose_event_vanished_reads_failed(setup, alpha, eager, sent):
    with schema_context(alpha.schema):
        from reservations.jobs import run_extension_job

        ExtensionJob.objects.create(job_id="gone1", hours=2, event_id=999999)
        result = run_extension_job(hours=2, event_id=999999, expiring_within=None,
                                   dry_run=False, actor_id=None, actor_label="api",
                                   job_id="gone1")
    assert "does not exist" in result["error"]
    answer = api_client(alpha, "operator").get(f"{EXTEND}gone1/").json()
    assert answer["status"] == "failed" and "does not exist" in answer["error"]


def test_cashiers_may_neither_start_nor_read_a_job_and_unknown_jobs_are_404(
        setup, alpha, sent):
    cashier = api_client(alpha, "cashier")
    assert cashier.post(EXTEND, {"hours": 1}, format="json").status_code == 403
    assert sent == []
    assert cashier.get(f"{EXTEND}abc123/").status_code == 403
    missing = api_client(alpha, "operator").get(f"{EXTEND}abc123/")
    assert missing.status_code == 404 and missing.json()["code"] == "job_not_found"
    assert api_client(alpha).get(f"{EXTEND}abc123/").status_code == 401


def test_a_broker_that_is_down_leaves_a_failed_job_not_a_500(
        setup, alpha, monkeypatch, django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to localhost:56379. Connection refused.")

    monkeypatch.setattr(tasks.extend_reservations, "apply_async", unreachable)
    operator = api_client(alpha, "operator")
    with django_capture_on_commit_callbacks(execute=True):
        started = operator.post(EXTEND, {"hours": 3}, format="json")
    assert started.status_code == 202
    answer = operator.get(f"{EXTEND}{started.json()['job']}/").json()
    assert answer["status"] == "failed" and "could not be queued" in answer["error"]
