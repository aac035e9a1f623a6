"""Real processes the integration tests start and stop: a free port for them, a Celery
worker on a queue of its own pointed at the pytest database, and stopping one cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from benchmarks.common import free_port

__all__ = ["CELERY_WORKER", "celery_worker", "free_port", "start_process", "stop_process",
           "worker_env"]

REPO = Path(__file__).resolve().parent.parent


def start_process(command: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen:
    """`command` in the repository, its output (both streams) into `log`."""
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=REPO, env=dict(env), stdout=out,
                                stderr=subprocess.STDOUT)


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not ended within 20 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def worker_env(queue: str, **extra: str) -> dict[str, str]:
    """The environment of a process that must use the pytest database and `queue`."""
    return {**os.environ,
            "POS_DB_NAME": settings.DATABASES["default"]["NAME"],  # the test database
            "POS_CELERY_QUEUE": queue, **extra}


CELERY_WORKER = [sys.executable, "-m", "celery", "-A", "pos", "worker", "--pool", "solo",
                 "--without-heartbeat", "--without-gossip", "--without-mingle",
                 "--loglevel", "INFO"]


@contextmanager
def celery_worker(queue: str, log: Path, **extra_env: str) -> Iterator[subprocess.Popen]:
    """`celery -A pos worker` consuming `queue` only, on the pytest database; stopped on
    exit, its log's end printed when it did not end as asked."""
    process = start_process([*CELERY_WORKER, "--queues", queue],
                            worker_env(queue, **extra_env), log)
    try:
        yield process
    finally:
        stop_process(process)
        if process.returncode not in (0, -15, None):
            print(log.read_text()[-5000:])
