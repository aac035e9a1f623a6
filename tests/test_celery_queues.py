"""Two Celery queues (pos/settings.py CELERY_TASK_ROUTES, docs/operations.md "Queues"):
what the hold/checkout path waits on never queues behind reports, e-mail or webhooks, and
every way of running the project starts a worker for each queue. tests/test_nodes.py sends
through both with real processes."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import yaml
from django.conf import settings

from pos.celery import app

REPO = Path(__file__).resolve().parent.parent

CHECKOUT_CRITICAL = {"reservations.dispatch_cleanup", "reservations.cleanup_expired_reservations",
                     "reservations.extend_reservations", "tenants.heartbeat"}


def _queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def _project_tasks() -> set[str]:
    app.loader.import_default_modules()
    return {name for name in app.tasks if not name.startswith("celery.")}


def test_every_task_of_the_project_is_named_in_the_routes():
    """A new task must be placed on purpose: falling back to the default (checkout) queue
    unnoticed is how a slow job would end up delaying expiry."""
    routes = settings.CELERY_TASK_ROUTES
    unrouted = {name for name in _project_tasks()
                if name not in routes and f"{name.split('.')[0]}.*" not in routes}
    assert not unrouted


def test_checkout_work_is_apart_from_reports_mail_and_webhooks():
    checkout, background = settings.CELERY_CHECKOUT_QUEUE, settings.CELERY_BACKGROUND_QUEUE
    assert checkout != background
    placed = {name: _queue_of(name) for name in _project_tasks()}
    assert {name for name, queue in placed.items() if queue == checkout} == CHECKOUT_CRITICAL
    assert {name for name, queue in placed.items() if queue == background} >= {
        "reservations.snapshot_stats", "reservations.refresh_alerts", "mail.send_customer_mail",
        "mail.deliver", "mail.dispatch", "webhooks.fan_out_event", "webhooks.send_delivery"}
    assert set(placed.values()) == {checkout, background}
    assert _queue_of("exports.any_future_export") == background


def test_make_run_and_compose_start_a_worker_for_each_queue():
    procfile = (REPO / "Procfile").read_text()
    workers = [line for line in procfile.splitlines() if " worker " in line]
    queues = {re.search(r"--queues (\S+)", line).group(1) for line in workers}
    assert queues == {"${POS_CELERY_QUEUE:-pos}",
                      "${POS_CELERY_BACKGROUND_QUEUE:-${POS_CELERY_QUEUE:-pos}-background}"}
    compose_binary = shutil.which("docker-compose")
    assert compose_binary, "docker-compose is installed by scripts/bootstrap.sh for make test"
    config = yaml.safe_load(subprocess.run(
        [compose_binary, "-f", "docker/compose.yml", "--env-file", "docker/.env.example",
         "config"], cwd=REPO, capture_output=True, text=True, timeout=60, check=True).stdout)
    services = config["services"]
    consumed = set()
    for service in services.values():
        command = service.get("command") or []
        if isinstance(command, str):
            command = shlex.split(command)
        if command[:4] == ["celery", "-A", "pos", "worker"]:
            consumed.add(command[command.index("--queues") + 1])
    environment = services["worker"]["environment"]
    assert consumed == {environment["POS_CELERY_QUEUE"],
                        environment["POS_CELERY_BACKGROUND_QUEUE"]}
