#!/usr/bin/env bash
# start | stop | status of the private PostgreSQL cluster and Redis server.
# Prints nothing alarming when already in the wanted state (idempotent).
source "$(dirname "$0")/lib.sh"

pg_running() { [ -f "$PG_DATA/postmaster.pid" ] && as_pg_owner "$(pg_bin_dir)/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }
redis_running() { [ -f "$REDIS_DIR/redis.pid" ] && kill -0 "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null; }

start_postgres() {
  local bin; bin="$(pg_bin_dir)" || die "PostgreSQL is not installed (run scripts/bootstrap.sh)"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "creating PostgreSQL cluster in $PG_DATA"
    mkdir -p "$PG_DIR"
    local pwfile="$PG_DIR/.pwfile"
    printf '%s\n' "$POS_DB_PASSWORD" > "$pwfile"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$PG_DIR"
    chmod 700 "$PG_DIR"
    as_pg_owner "$bin/initdb" -D "$PG_DATA" -U "$POS_DB_USER" --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
  fi
  if pg_running; then return 0; fi
  log "starting PostgreSQL on 127.0.0.1:$POS_DB_PORT"
  # fsync off: a development and test cluster; production runs docker/compose.yml.
  as_pg_owner "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/postgres.log" -w -t 60 start -o \
    "-p $POS_DB_PORT -c listen_addresses=127.0.0.1 -k $PG_DIR -c fsync=${POS_PG_FSYNC:-on} \
     -c synchronous_commit=${POS_PG_SYNC_COMMIT:-on} -c full_page_writes=${POS_PG_FSYNC:-on} \
     -c max_connections=${POS_PG_MAX_CONNECTIONS:-300} -c shared_buffers=256MB" >/dev/null \
    || { tail -20 "$PG_DIR/postgres.log" >&2; die "PostgreSQL did not start"; }
}

stop_postgres() {
  if pg_running; then
    log "stopping PostgreSQL"
    as_pg_owner "$(pg_bin_dir)/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
  fi
}

start_redis() {
  command -v redis-server >/dev/null || die "Redis is not installed (run scripts/bootstrap.sh)"
  if redis_running; then return 0; fi
  mkdir -p "$REDIS_DIR"
  log "starting Redis on 127.0.0.1:$POS_REDIS_PORT"
  redis-server --port "$POS_REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
    --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" --dir "$REDIS_DIR" \
    --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do
    redis-cli -p "$POS_REDIS_PORT" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "Redis did not start (see $REDIS_DIR/redis.log)"
}

stop_redis() {
  if redis_running; then
    log "stopping Redis"
    kill "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do redis_running || break; sleep 0.1; done
  fi
  rm -f "$REDIS_DIR/redis.pid"
}

case "${1:-}" in
  start) start_postgres; start_redis ;;
  stop) stop_redis; stop_postgres ;;
  start-redis) start_redis ;;
  stop-redis) stop_redis ;;
  status)
    pg_running && echo "postgres: running ($PG_DATA)" || echo "postgres: stopped"
    redis_running && echo "redis: running (port $POS_REDIS_PORT)" || echo "redis: stopped" ;;
  *) die "usage: $0 start|stop|status" ;;
esac
