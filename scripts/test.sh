#!/usr/bin/env bash
# `make test`: the same set-up as `make run` (own database and Redis databases, fsync off),
# then the whole pytest suite. Non-zero on any failure and when no test ran.
source "$(dirname "$0")/lib.sh"
export POS_PG_FSYNC="${POS_PG_FSYNC:-off}"
export POS_PG_SYNC_COMMIT="${POS_PG_SYNC_COMMIT:-off}"
export POS_DB_NAME="${POS_DB_NAME:-pos_test}"
export POS_TEST_DB_NAME="${POS_TEST_DB_NAME:-test_pos}"
export POS_REDIS_CACHE_DB="${POS_REDIS_CACHE_DB:-3}"
export POS_REDIS_BROKER_DB="${POS_REDIS_BROKER_DB:-2}"
export POS_CACHE_PREFIX="${POS_CACHE_PREFIX:-pos-test}"
export POS_CELERY_QUEUE="${POS_CELERY_QUEUE:-pos-test}"
export POS_WITH_DEPLOY_CHECK=1
export POS_WEBHOOKS_ALLOW_PRIVATE="${POS_WEBHOOKS_ALLOW_PRIVATE:-1}"  # receivers on 127.0.0.1
export POS_TEST_ARTIFACTS="${POS_TEST_ARTIFACTS:-$REPO_DIR/test-artifacts}"

prepare_services

cd "$REPO_DIR"
mkdir -p "$POS_TEST_ARTIFACTS"
# WhiteNoise serves from STATIC_ROOT, as in `make run`.
"$VENV_DIR/bin/python" manage.py collectstatic --noinput -v 0
"$VENV_DIR/bin/ruff" check .
"$VENV_DIR/bin/lint-imports"  # the apps' layers (.importlinter)
status=0
"$VENV_DIR/bin/python" -m pytest "$@" || status=$?
if [ "$status" = 5 ]; then log "no tests ran"; fi
exit "$status"
