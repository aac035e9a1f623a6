#!/usr/bin/env bash
# Everything `make run` needs before it starts the processes: installs, services,
# database, migrations of every schema, the demo tenant, static files. Idempotent.
source "$(dirname "$0")/lib.sh"
export POS_DB_NAME="${POS_DB_NAME:-pos}"

prepare_services

cd "$REPO_DIR"
manage() { "$VENV_DIR/bin/python" manage.py "$@"; }
log "migrating the public schema and every tenant schema"
manage migrate_schemas --noinput -v 0
log "setting up the demo tenant"
manage setup_demo
log "making sure the platform admin (public schema) exists"
manage ensure_platform_admin --url "http://localhost:${POS_WEB_PORT:-8000}/admin/"
manage collectstatic --noinput -v 0
