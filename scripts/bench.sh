#!/usr/bin/env bash
# `make bench`: the benchmarks of docs/performance.md against a production-like server
# (gunicorn, several workers, DEBUG off, real PostgreSQL and Redis) on a database of its
# own. Results: benchmarks/results/*.json. Stops what it started. Never part of `make test`.
#
# Knobs (environment): POS_BENCH_ONLY="onsale availability scale push cleanup faults",
# POS_BENCH_PORT (8100), POS_BENCH_WORKERS (cores + 2), POS_BENCH_DURATION (30 s per
# phase), POS_BENCH_CASHIERS (64), POS_BENCH_SEATS (20000), POS_BENCH_TENANTS (100),
# POS_BENCH_LARGE_SEATS (100000), POS_BENCH_CLIENT_PROCESSES (2), POS_BENCH_READS (200
# availability reads per path), POS_BENCH_SCALE_HOLDS (300 per case), POS_BENCH_CLEANUP_HOLDS
# (100000), POS_BENCH_FAULTS_DURATION (20 s), POS_BENCH_WS_PORT (8101: uvicorn, the pushed
# seat maps), POS_BENCH_PUSH_MAPS (200 open maps), POS_BENCH_PUSH_SEATS (1000: the event
# they show), POS_BENCH_PUSH_CHANGES (50).
# POS_BENCH_NODES=2: two gunicorn nodes (each with half of POS_BENCH_WORKERS) on
# POS_BENCH_PORT+1 and +2 behind haproxy (docker/haproxy.cfg) on POS_BENCH_PORT, so every
# benchmark that talks HTTP goes through the balancer; 1 (the default): one node.
# POS_BENCH_REPLICA=1 (or "replica" in POS_BENCH_ONLY): availability misses and stats read
# on the primary and on a hot standby (scripts/replica.sh, docs/replica.md);
# POS_BENCH_REPLICA_DURATION (10 s per case).
# POS_BENCH_BASELINE=<commit>: first the on-sale benchmark and request costs of that
# commit (a temporary worktree with its own virtualenv, database and cache prefix), then
# this checkout's, back to back on the same services; `benchmarks.compare` prints both.
# POS_BENCH_PGBOUNCER=1: the server (and request_costs) reach PostgreSQL through a
# PgBouncer in transaction mode that this script starts and stops (POS_DB_POOLING=
# transaction, docs/pgbouncer.md), on POS_BENCH_PGBOUNCER_PORT (POS_BENCH_PORT + 3) with
# POS_BENCH_PGBOUNCER_POOL server connections (the workers); fixtures, drills go direct.
source "$(dirname "$0")/lib.sh"
export POS_DB_NAME="${POS_DB_NAME:-pos_bench}"
export POS_REDIS_CACHE_DB="${POS_REDIS_CACHE_DB:-5}"
export POS_REDIS_BROKER_DB="${POS_REDIS_BROKER_DB:-4}"
export POS_CACHE_PREFIX="${POS_CACHE_PREFIX:-pos-bench}"
export POS_CELERY_QUEUE="${POS_CELERY_QUEUE:-pos-bench}"
export POS_DEBUG=0
export POS_LOG_FORMAT="${POS_LOG_FORMAT:-json}"
export POS_LOG_LEVEL="${POS_LOG_LEVEL:-INFO}"

PORT="${POS_BENCH_PORT:-8100}"
# cores + 2 sync workers: the requests are CPU-bound here (server, PostgreSQL and the load
# client share the cores); 2 × cores + 1 measured 10–25 % fewer holds/s from contention.
WORKERS="${POS_BENCH_WORKERS:-$(( $(nproc) + 2 ))}"
NODES="${POS_BENCH_NODES:-1}"
[ "$NODES" = 1 ] || [ "$NODES" = 2 ] || die "POS_BENCH_NODES is 1 or 2"
DURATION="${POS_BENCH_DURATION:-30}"
CASHIERS="${POS_BENCH_CASHIERS:-64}"
SEATS="${POS_BENCH_SEATS:-20000}"
TENANTS="${POS_BENCH_TENANTS:-100}"
LARGE="${POS_BENCH_LARGE_SEATS:-100000}"
PROCS="${POS_BENCH_CLIENT_PROCESSES:-2}"
READS="${POS_BENCH_READS:-200}"
SCALE_HOLDS="${POS_BENCH_SCALE_HOLDS:-300}"
CLEANUP_HOLDS="${POS_BENCH_CLEANUP_HOLDS:-100000}"
FAULTS_DURATION="${POS_BENCH_FAULTS_DURATION:-20}"
WS_PORT="${POS_BENCH_WS_PORT:-8101}"
PUSH_MAPS="${POS_BENCH_PUSH_MAPS:-200}"
PUSH_SEATS="${POS_BENCH_PUSH_SEATS:-1000}"
PUSH_CHANGES="${POS_BENCH_PUSH_CHANGES:-50}"
ONLY="${POS_BENCH_ONLY:-onsale availability scale push cleanup faults}"
if [ "${POS_BENCH_REPLICA:-0}" = 1 ]; then ONLY="$ONLY replica"; fi
RESULTS="$REPO_DIR/benchmarks/results"
PY="$VENV_DIR/bin/python"
SERVER="http://127.0.0.1:$PORT"
mkdir -p "$RESULTS"

prepare_services
cd "$REPO_DIR"

if [ -n "${POS_BENCH_BASELINE:-}" ]; then
  base_dir="$VAR_DIR/bench-baseline"
  git -C "$REPO_DIR" worktree remove --force "$base_dir" >/dev/null 2>&1 || rm -rf "$base_dir"
  git -C "$REPO_DIR" worktree prune
  git -C "$REPO_DIR" worktree add --detach "$base_dir" "$POS_BENCH_BASELINE" >/dev/null
  log "baseline: the on-sale benchmark of $POS_BENCH_BASELINE first"
  rm -f "$RESULTS"/baseline-*.json
  POS_VENV_DIR="$VAR_DIR/bench-baseline-venv" POS_VAR_DIR="$VAR_DIR" POS_PG_DIR="$PG_DIR" \
    POS_DB_NAME="${POS_DB_NAME}_baseline" POS_CACHE_PREFIX="${POS_CACHE_PREFIX}-baseline" \
    POS_BENCH_ONLY=onsale bash "$base_dir/scripts/bench.sh" || log "the baseline run failed"
  for name in onsale request_costs; do
    [ -f "$base_dir/benchmarks/results/$name.json" ] \
      && cp "$base_dir/benchmarks/results/$name.json" "$RESULTS/baseline-$name.json"
  done
  git -C "$REPO_DIR" worktree remove --force "$base_dir"
fi

log "migrating $POS_DB_NAME"
"$PY" manage.py migrate_schemas --noinput -v 0
# The public tenant answers /healthz on 127.0.0.1, which the start-up check below asks.
"$PY" manage.py shell -c "from tenants.services import ensure_public_tenant; ensure_public_tenant()"

PGBOUNCER_DIR=""
if [ "${POS_BENCH_PGBOUNCER:-0}" = 1 ]; then
  pgb_port="${POS_BENCH_PGBOUNCER_PORT:-$((PORT + 3))}"
  PGBOUNCER_DIR="$VAR_DIR/pgbouncer-$pgb_port"
  log "starting PgBouncer (transaction mode) on 127.0.0.1:$pgb_port"
  "$PY" -m benchmarks.pgbouncer start --dir "$PGBOUNCER_DIR" --port "$pgb_port" \
    --pool-size "${POS_BENCH_PGBOUNCER_POOL:-$WORKERS}" >/dev/null
  # What the server and request_costs see; fixtures and drills keep the direct port.
  server_env=(env POS_DB_PORT="$pgb_port" POS_DB_POOLING=transaction)
else
  server_env=(env)
fi
stop_pgbouncer() {
  if [ -n "$PGBOUNCER_DIR" ]; then
    log "stopping PgBouncer"
    "$PY" -m benchmarks.pgbouncer stop --dir "$PGBOUNCER_DIR"
    PGBOUNCER_DIR=""
  fi
}

GUNICORN_PID="$VAR_DIR/bench-gunicorn-$PORT.pid"
UVICORN_PID="$VAR_DIR/bench-uvicorn-$WS_PORT.pid"
# With POS_BENCH_NODES=2: the nodes' gunicorns and haproxy (stopped with the server).
NODE_PIDS=("$VAR_DIR/bench-gunicorn-$((PORT + 1)).pid" "$VAR_DIR/bench-gunicorn-$((PORT + 2)).pid"
           "$VAR_DIR/bench-haproxy-$PORT.pid")
stop_server() {
  local ws_pid
  ws_pid="$(cat "$UVICORN_PID" 2>/dev/null || true)"
  if [ -n "$ws_pid" ] && kill -0 "$ws_pid" 2>/dev/null; then
    log "stopping uvicorn ($ws_pid)"
    kill "$ws_pid"
    for _ in $(seq 1 100); do kill -0 "$ws_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$UVICORN_PID"
  local pid
  pid="$(cat "$GUNICORN_PID" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    log "stopping gunicorn ($pid)"
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$GUNICORN_PID"
  local pidfile
  for pidfile in "${NODE_PIDS[@]}"; do
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      log "stopping $(basename "$pidfile" .pid) ($pid)"
      kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
  done
}
trap 'stop_server; stop_pgbouncer' EXIT

wants() { case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
server_needed=false
for name in onsale availability scale push; do wants "$name" && server_needed=true; done
if $server_needed && [ "$NODES" = 2 ]; then
  # Two nodes as the Procfile runs one, half the workers each, behind the balancer.
  node_ports=($((PORT + 1)) $((PORT + 2)))
  node_workers=$(( WORKERS / 2 > 1 ? WORKERS / 2 : 1 ))
  for i in 0 1; do
    log "starting gunicorn node $((i + 1)) on 127.0.0.1:${node_ports[$i]} ($node_workers workers)"
    "$VENV_DIR/bin/gunicorn" -c python:pos.gunicorn_config pos.wsgi:application \
      --bind "127.0.0.1:${node_ports[$i]}" \
      --workers "$node_workers" --timeout 30 --pid "${NODE_PIDS[$i]}" \
      >"$RESULTS/server-node$((i + 1)).log" 2>&1 &
  done
  log "starting haproxy on $SERVER (round-robin over both nodes)"
  POS_BALANCER_BIND="127.0.0.1:$PORT" POS_NODE_A="127.0.0.1:${node_ports[0]}" \
    POS_NODE_B="127.0.0.1:${node_ports[1]}" POS_HEALTHCHECK_HOST=localhost \
    "$(command -v haproxy || echo /usr/sbin/haproxy)" -W -db -f "$REPO_DIR/docker/haproxy.cfg" >"$RESULTS/haproxy.log" 2>&1 &
  echo $! > "${NODE_PIDS[2]}"
  for port in "${node_ports[@]}"; do
    for _ in $(seq 1 100); do
      curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
      sleep 0.2
    done
  done
  sleep 3  # haproxy puts a node in rotation after two good health checks a second apart
elif $server_needed; then
  log "starting gunicorn on $SERVER ($WORKERS workers, DEBUG off)"
  "${server_env[@]}" "$VENV_DIR/bin/gunicorn" -c python:pos.gunicorn_config pos.wsgi:application \
    --bind "127.0.0.1:$PORT" \
    --workers "$WORKERS" --timeout 30 --pid "$GUNICORN_PID" \
    >"$RESULTS/server.log" 2>&1 &
fi
if $server_needed; then
  for _ in $(seq 1 100); do
    curl -fsS "$SERVER/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fsS "$SERVER/healthz" >/dev/null || die "gunicorn did not come up (see $RESULTS/server.log)"
fi

failed=()
run() {  # run NAME COMMAND...: a failing benchmark is reported, the others still run
  local name="$1"; shift
  log "benchmark: $name"
  "$@" || failed+=("$name")
}

if wants onsale; then
  "$PY" -m benchmarks.fixtures onsale --seats "$SEATS" --cashiers "$CASHIERS" \
    --out "$RESULTS/manifest-onsale.json"
  run onsale "$PY" -m benchmarks.onsale --manifest "$RESULTS/manifest-onsale.json" \
    --server "$SERVER" --cashiers "$CASHIERS" --duration "$DURATION" --processes "$PROCS" \
    --json "$RESULTS/onsale$([ "$NODES" = 2 ] && echo -2nodes).json"
  # What each request of that mix costs, one at a time, in process (the profile of
  # docs/performance.md): on a fresh event, after the load is over.
  "$PY" -m benchmarks.fixtures onsale --seats "$SEATS" --cashiers "$CASHIERS" \
    --out "$RESULTS/manifest-costs.json"
  run request_costs "${server_env[@]}" "$PY" -m benchmarks.request_costs \
    --manifest "$RESULTS/manifest-costs.json" --json "$RESULTS/request_costs.json"
fi
if wants availability; then
  "$PY" -m benchmarks.fixtures availability --seats "$SEATS" --held 0.3 --sold 0.3 \
    --out "$RESULTS/manifest-availability.json"
  run availability "$PY" -m benchmarks.availability \
    --manifest "$RESULTS/manifest-availability.json" --server "$SERVER" --requests "$READS" \
    --json "$RESULTS/availability.json"
fi
if wants scale; then
  "$PY" -m benchmarks.fixtures scale --small 1000 --large "$LARGE" --tenants "$TENANTS" \
    --out "$RESULTS/manifest-scale.json"
  run scale "$PY" -m benchmarks.scale --manifest "$RESULTS/manifest-scale.json" \
    --server "$SERVER" --requests "$SCALE_HOLDS" --concurrency 4 --json "$RESULTS/scale.json"
fi
if wants push; then
  # The ASGI server of the pushed seat maps, as the Procfile runs it (one process).
  log "starting uvicorn on ws://127.0.0.1:$WS_PORT"
  "${server_env[@]}" "$VENV_DIR/bin/uvicorn" pos.asgi:application --host 127.0.0.1 --port "$WS_PORT" \
    --lifespan off --ws-per-message-deflate false --timeout-graceful-shutdown 5 \
    >"$RESULTS/uvicorn.log" 2>&1 &
  echo $! > "$UVICORN_PID"
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$WS_PORT") 2>/dev/null && break
    sleep 0.2
  done
  "$PY" -m benchmarks.fixtures onsale --seats "$PUSH_SEATS" --cashiers 8 \
    --out "$RESULTS/manifest-push.json"
  run push "$PY" -m benchmarks.push --manifest "$RESULTS/manifest-push.json" \
    --server "$SERVER" --ws "ws://127.0.0.1:$WS_PORT" --server-pid "$(cat "$UVICORN_PID")" \
    --maps "$PUSH_MAPS" --changes "$PUSH_CHANGES" --json "$RESULTS/push.json"
fi
stop_server
if wants cleanup; then
  run cleanup "$PY" benchmarks/cleanup.py --database "${POS_DB_NAME}_cleanup" \
    --holds "$CLEANUP_HOLDS" --json "$RESULTS/cleanup.json"
fi
if wants replica; then
  replica_port="${POS_DB_REPLICA_PORT:-$((POS_DB_PORT + 10))}"
  # A fresh standby: one left stopped may need WAL the primary has recycled (no slot).
  POS_DB_REPLICA_PORT="$replica_port" bash scripts/replica.sh remove
  POS_DB_REPLICA_PORT="$replica_port" bash scripts/replica.sh start
  "$PY" -m benchmarks.fixtures availability --seats "$SEATS" --held 0.3 --sold 0.3 \
    --out "$RESULTS/manifest-replica.json"
  run replica env POS_DB_REPLICA_HOST=127.0.0.1 POS_DB_REPLICA_PORT="$replica_port" \
    "$PY" -m benchmarks.replica --manifest "$RESULTS/manifest-replica.json" \
    --processes "$PROCS" --duration "${POS_BENCH_REPLICA_DURATION:-10}" \
    --json "$RESULTS/replica.json"
  POS_DB_REPLICA_PORT="$replica_port" bash scripts/replica.sh stop
fi
if wants faults; then
  run faults "$PY" -m benchmarks.faults --duration "$FAULTS_DURATION" \
    --db-name "${POS_DB_NAME}_faults" --json "$RESULTS/faults.json"
fi

if [ -f "$RESULTS/baseline-onsale.json" ] && [ -n "${POS_BENCH_BASELINE:-}" ]; then
  "$PY" -m benchmarks.compare --results "$RESULTS" --json "$RESULTS/compare.json"
fi
log "results in $RESULTS"
if [ "${#failed[@]}" -gt 0 ]; then
  die "benchmarks that missed a hard check (5xx, oversell, failed drill): ${failed[*]}"
fi
