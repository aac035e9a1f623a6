# Shared by every script: defaults (all overridable by environment) and helpers.
# Sourced, not run.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export POS_DB_PORT="${POS_DB_PORT:-55432}"
export POS_DB_HOST="${POS_DB_HOST:-127.0.0.1}"
export POS_DB_USER="${POS_DB_USER:-pos}"
export POS_DB_PASSWORD="${POS_DB_PASSWORD:-pos-dev-password}"
export POS_REDIS_PORT="${POS_REDIS_PORT:-56379}"
export POS_REDIS_URL="${POS_REDIS_URL:-redis://127.0.0.1:${POS_REDIS_PORT}}"
VENV_DIR="${POS_VENV_DIR:-$REPO_DIR/.venv}"
PYTHON_BIN="${POS_PYTHON:-python3}"
VAR_DIR="${POS_VAR_DIR:-$REPO_DIR/.var}"
# The PostgreSQL cluster is owned by `postgres` when we run as root; it lives where that
# user can reach it whatever the permissions of the checkout's parents.
if [ "$(id -u)" = 0 ]; then
  PG_DIR="${POS_PG_DIR:-/var/tmp/pos-pg-$(printf '%s' "$REPO_DIR" | md5sum | cut -c1-10)-${POS_DB_PORT}}"
else
  PG_DIR="${POS_PG_DIR:-$VAR_DIR/pg-${POS_DB_PORT}}"
fi
PG_DATA="$PG_DIR/data"
REDIS_DIR="$VAR_DIR/redis-${POS_REDIS_PORT}"
mkdir -p "$VAR_DIR"

log() { printf '\033[1m[pos]\033[0m %s\n' "$*" >&2; }
die() { printf '[pos] error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $* (install it, or run as root)"; fi
}

# Run a PostgreSQL server binary as the cluster owner.
as_pg_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin_dir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  return 1
}

# Installs (when missing), the PostgreSQL and Redis services, and the database
# $POS_DB_NAME: what make run, make test and make bench all need first.
prepare_services() {
  bash "$REPO_DIR/scripts/bootstrap.sh"
  bash "$REPO_DIR/scripts/services.sh" start
  bash "$REPO_DIR/scripts/ensure_database.sh" "$POS_DB_NAME"
}
