"""The deployment files stay valid: docker-compose resolves docker/compose.yml (there is
no Docker engine here to run it) and refuses to start without the secrets."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose_binary() -> str:
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose is installed by scripts/bootstrap.sh for make test"
    return binary


def test_compose_file_is_valid_and_requires_secrets(compose_binary):
    result = subprocess.run(["bash", str(REPO / "docker" / "check.sh")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "missing secrets are refused" in result.stdout


def test_compose_runs_every_process_of_make_run(compose_binary):
    result = subprocess.run(
        [compose_binary, "-f", "docker/compose.yml", "--env-file", "docker/.env.example",
         "config", "--services"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    )
    assert set(result.stdout.split()) == {"postgres", "redis", "migrate", "web", "web2",
                                         "balancer", "ws", "worker", "worker-background",
                                         "beat", "pgbouncer"}


def test_every_way_of_running_gunicorn_uses_the_projects_configuration():
    """pos/gunicorn_config.py drops the Server banner and answers malformed requests in
    JSON (tests/test_headers.py): the Procfile, the image and the compose file load it."""
    for path in ("Procfile", "docker/Dockerfile", "docker/compose.yml", "scripts/bench.sh",
                 "benchmarks/faults.py"):
        text = (REPO / path).read_text()
        assert "python:pos.gunicorn_config" in text, path
