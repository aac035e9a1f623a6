#!/usr/bin/env bash
# `make run`: set up, then web + worker + beat in the foreground. Ctrl-C stops all of it,
# PostgreSQL and Redis included when this run started them.
source "$(dirname "$0")/lib.sh"

services_were_running=0
# Read the status into a variable first: `status | grep -q` trips pipefail (SIGPIPE).
status="$(bash "$REPO_DIR/scripts/services.sh" status)"
if [[ "$status" == *"postgres: running"* && "$status" == *"redis: running"* ]]; then
  services_were_running=1
fi
bash "$REPO_DIR/scripts/setup.sh"

cleanup() {
  trap - EXIT INT TERM
  if [ "$services_were_running" = 0 ]; then bash "$REPO_DIR/scripts/services.sh" stop; fi
}
trap cleanup EXIT
# Ctrl-C is how a foreground run ends: stop what we started and exit cleanly.
trap 'cleanup; exit 0' INT TERM

# POS_DB_REPLICA=1: a hot standby for the stale reads (docs/replica.md), stopped with the run.
if [ "${POS_DB_REPLICA:-0}" = 1 ]; then
  bash "$REPO_DIR/scripts/replica.sh" start
  export POS_DB_REPLICA_PORT="$(bash "$REPO_DIR/scripts/replica.sh" port)"
  export POS_DB_REPLICA_HOST="${POS_DB_REPLICA_HOST:-127.0.0.1}"
  trap 'bash "$REPO_DIR/scripts/replica.sh" stop; cleanup' EXIT
  trap 'bash "$REPO_DIR/scripts/replica.sh" stop; cleanup; exit 0' INT TERM
fi
cd "$REPO_DIR"
export PATH="$VENV_DIR/bin:$PATH"
export POS_DB_NAME="${POS_DB_NAME:-pos}"
# The demo's webhook receivers run on this machine (docs/webhooks.md); off in production.
export POS_WEBHOOKS_ALLOW_PRIVATE="${POS_WEBHOOKS_ALLOW_PRIVATE:-1}"
port="${POS_WEB_PORT:-8000}"
log "web on http://demo.localhost:$port/ (API docs: /api/docs/), worker and beat; Ctrl-C stops"
log "live seat maps: WebSockets on ws://demo.localhost:${POS_WS_PORT:-8001}/ws/events/<id>/seats/"
log "venue admin: http://demo.localhost:$port/admin/ (admin / ${POS_DEMO_PASSWORD:-demo-pass});" \
    "platform admin (tenants, beat schedule): http://localhost:$port/admin/ (login above)"
echo $$ > "$VAR_DIR/run.pid"
honcho start -f Procfile || { status=$?; [ "$status" = 130 ] && exit 0; exit "$status"; }
