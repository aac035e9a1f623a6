#!/usr/bin/env bash
# Installs what is missing: PostgreSQL, Redis, PgBouncer and haproxy from apt, the virtualenv and the project.
# Idempotent: a second run only checks.
source "$(dirname "$0")/lib.sh"

apt_packages=()
pg_bin_dir >/dev/null || apt_packages+=(postgresql)
command -v redis-server >/dev/null || apt_packages+=(redis-server)
# tests/test_pgbouncer.py and POS_BENCH_PGBOUNCER=1 start their own (docs/pgbouncer.md).
[ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null || apt_packages+=(pgbouncer)
# WeasyPrint (fiscal PDFs) renders with Pango; DejaVu gives it a font with Bs. and ñ.
for pkg in libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; do
  dpkg -s "$pkg" >/dev/null 2>&1 || apt_packages+=("$pkg")
done
# haproxy: the load balancer in front of two gunicorn nodes (tests/test_nodes.py,
# POS_BENCH_NODES=2 make bench, docker/haproxy.cfg).
dpkg -s haproxy >/dev/null 2>&1 || apt_packages+=(haproxy)
# `make test` checks docker/compose.yml with docker-compose (no Docker engine needed).
if [ "${POS_WITH_DEPLOY_CHECK:-0}" = 1 ]; then
  command -v docker-compose >/dev/null || apt_packages+=(docker-compose)
fi
if [ "${POS_WITH_BROWSER:-1}" = 1 ]; then
  command -v chromium >/dev/null || apt_packages+=(chromium)
fi
if [ ${#apt_packages[@]} -gt 0 ]; then
  log "installing from apt: ${apt_packages[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # policy-rc.d keeps Debian from starting the system-wide services we do not use.
  as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 \
    apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

stamp="$VENV_DIR/.installed"
want="$(cat "$REPO_DIR/pyproject.toml" "$REPO_DIR/requirements/constraints.txt" | md5sum | cut -d' ' -f1)"
if [ ! -x "$VENV_DIR/bin/python" ]; then
  log "creating virtualenv at $VENV_DIR"
  "$PYTHON_BIN" -m venv "$VENV_DIR"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing the project into $VENV_DIR"
  pip_log="$VAR_DIR/pip-install.log"
  { "$VENV_DIR/bin/pip" install --upgrade pip \
    && "$VENV_DIR/bin/pip" install -c "$REPO_DIR/requirements/constraints.txt" -e "$REPO_DIR[dev]"
  } >"$pip_log" 2>&1 || { tail -30 "$pip_log" >&2; die "pip install failed (log: $pip_log)"; }
  echo "$want" > "$stamp"
fi
