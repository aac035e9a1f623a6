#!/usr/bin/env bash
# Validates the compose file without a Docker engine: `docker-compose config` resolves
# every variable, anchor and dependency and fails on an error or a missing secret.
set -euo pipefail
cd "$(dirname "$0")"
docker-compose -f compose.yml --env-file .env.example config --quiet
echo "docker/compose.yml is valid"
# Without the secrets it must refuse, naming the variable.
empty_env="$(mktemp)"; errors="$(mktemp)"
trap 'rm -f "$empty_env" "$errors"' EXIT
if env -i PATH="$PATH" docker-compose -f compose.yml --env-file "$empty_env" config --quiet \
    2>"$errors"; then
  echo "compose accepted a configuration without secrets" >&2; exit 1
fi
grep -q "set POS_" "$errors" || { cat "$errors" >&2; exit 1; }
echo "missing secrets are refused"
