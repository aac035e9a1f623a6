"""A PgBouncer (Debian's package) in transaction-pooling mode in front of the local
PostgreSQL, started and stopped by a test or by `make bench` (POS_BENCH_PGBOUNCER=1).
Its configuration and log go to a directory of its own (docs/pgbouncer.md explains each
setting).

    python -m benchmarks.pgbouncer start --port 56495 --dir .var/pgbouncer-56495
    python -m benchmarks.pgbouncer stop --dir .var/pgbouncer-56495
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.common import free_port

CONFIG = """\
[databases]
; every database name, on the one PostgreSQL behind
* = host={db_host} port={db_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {dir}/userlist.txt
pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_db_connections = {pool_size}
max_client_conn = {max_clients}
; the backend sets lock_timeout per transaction (pos/db_backend), not at start-up
ignore_startup_parameters = options,extra_float_digits
; transaction mode: nothing of a session is handed over, so nothing to reset
server_reset_query =
logfile = {dir}/pgbouncer.log
pidfile = {dir}/pgbouncer.pid
log_connections = 0
log_disconnections = 0
"""


class PgBouncer:
    """One PgBouncer process; `start()` returns once it accepts connections."""

    def __init__(self, *, port: int | None = None, pool_size: int = 2,
                 directory: str | Path | None = None, max_clients: int = 500) -> None:
        self.port = port or free_port()
        self.pool_size = pool_size
        self.max_clients = max_clients
        self.directory = Path(directory or tempfile.mkdtemp(prefix="pos-pgbouncer-"))
        self.process: subprocess.Popen[bytes] | None = None

    def _command(self) -> list[str]:
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        command = [binary, str(self.directory / "pgbouncer.ini")]
        # PgBouncer refuses to run as root: as the PostgreSQL cluster's owner then.
        return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else command

    def write_config(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "pgbouncer.ini").write_text(CONFIG.format(
            db_host=os.environ.get("POS_DB_HOST", "127.0.0.1"),
            db_port=os.environ.get("POS_DB_PORT", "55432"),
            port=self.port, dir=self.directory, pool_size=self.pool_size,
            max_clients=self.max_clients))
        user = os.environ.get("POS_DB_USER", "pos")
        password = os.environ.get("POS_DB_PASSWORD", "pos-dev-password")
        # A plain password: PgBouncer checks the client with it and logs in with it.
        userlist = self.directory / "userlist.txt"
        userlist.write_text(f'"{user}" "{password}"\n')
        userlist.chmod(0o600)
        if os.getuid() == 0:
            shutil.chown(self.directory, "postgres")
            for path in self.directory.iterdir():
                shutil.chown(path, "postgres")

    def start(self, timeout: float = 10.0) -> PgBouncer:
        self.write_config()
        log = open(self.directory / "stderr.log", "ab")  # noqa: SIM115 (the process's)
        self.process = subprocess.Popen(self._command(), stdout=log, stderr=log,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"pgbouncer did not listen on {self.port}: {self.log_tail()}")

    def log_tail(self) -> str:
        texts = [(self.directory / name).read_text(errors="replace")[-2000:]
                 for name in ("stderr.log", "pgbouncer.log")
                 if (self.directory / name).exists()]
        return "\n".join(texts)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # its own session: runuser too
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int)
    parser.add_argument("--pool-size", type=int, default=20)
    args = parser.parse_args()
    directory = Path(args.dir).resolve()
    pid_file = directory / "pgbouncer.pid"
    if args.action == "start":
        bouncer = PgBouncer(port=args.port, pool_size=args.pool_size, directory=directory)
        bouncer.write_config()
        # Daemonised (-d), so that the shell that started it can stop it by its pid file.
        command = [*bouncer._command()[:-1], "-d", str(directory / "pgbouncer.ini")]
        subprocess.run(command, check=True)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", bouncer.port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"pgbouncer did not listen on {bouncer.port}: {bouncer.log_tail()}")
        print(bouncer.port)
    else:
        if pid_file.exists():
            pid = int(pid_file.read_text().strip())
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.1)


if __name__ == "__main__":
    main()
