#!/usr/bin/env bash
# `make stop`: stops whatever a run of this checkout left behind: web, worker, beat,
# PostgreSQL and Redis.
source "$(dirname "$0")/lib.sh"
if [ -f "$VAR_DIR/run.pid" ]; then
  kill "$(cat "$VAR_DIR/run.pid")" 2>/dev/null || true
  rm -f "$VAR_DIR/run.pid"
fi
# Every project process runs from this checkout's virtualenv.
if pgrep -f "$VENV_DIR/bin/" >/dev/null; then
  log "stopping web, worker and beat"
  pkill -TERM -f "$VENV_DIR/bin/" || true
  for _ in $(seq 1 50); do pgrep -f "$VENV_DIR/bin/" >/dev/null || break; sleep 0.2; done
  pkill -KILL -f "$VENV_DIR/bin/" 2>/dev/null || true
fi
bash "$REPO_DIR/scripts/replica.sh" stop
bash "$REPO_DIR/scripts/services.sh" stop
