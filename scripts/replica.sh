#!/usr/bin/env bash
# start | stop | status | remove: a hot standby of the private PostgreSQL cluster
# (scripts/services.sh), for the reads marked stale_reads_ok (docs/replica.md).
#
# start: the first time, a base backup of the running primary (`pg_basebackup -R`, which
# writes primary_conninfo and standby.signal), then the standby on 127.0.0.1:PORT,
# streaming from the primary. Idempotent. Point the app at it with
# POS_DB_REPLICA_PORT=PORT (and POS_DB_REPLICA_HOST). No replication slot: a standby left
# stopped for long may miss WAL the primary recycled; `remove` then `start` makes a new one.
# Knobs: POS_DB_REPLICA_PORT (primary port + 10), POS_REPLICA_DIR.
source "$(dirname "$0")/lib.sh"
REPLICA_PORT="${POS_DB_REPLICA_PORT:-$((POS_DB_PORT + 10))}"
REPLICA_DIR="${POS_REPLICA_DIR:-$PG_DIR-replica-$REPLICA_PORT}"
REPLICA_DATA="$REPLICA_DIR/data"

replica_running() {
  [ -f "$REPLICA_DATA/postmaster.pid" ] \
    && as_pg_owner "$(pg_bin_dir)/pg_ctl" -D "$REPLICA_DATA" status >/dev/null 2>&1
}
primary_running() {
  [ -f "$PG_DATA/postmaster.pid" ] \
    && as_pg_owner "$(pg_bin_dir)/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

# What streaming needs on the primary: wal_level replica and max_wal_senders > 0 are
# PostgreSQL's defaults (checked); a pg_hba entry for replication connections from
# 127.0.0.1 (initdb writes one; added if someone removed it).
prepare_primary() {
  local bin="$1" psql_primary
  psql_primary=(env PGPASSWORD="$POS_DB_PASSWORD" "$bin/psql" -h 127.0.0.1 -p "$POS_DB_PORT"
                -U "$POS_DB_USER" -d postgres -XAtq)
  local level senders
  level="$("${psql_primary[@]}" -c "SHOW wal_level")"
  senders="$("${psql_primary[@]}" -c "SHOW max_wal_senders")"
  [ "$level" != minimal ] || die "the primary runs with wal_level=minimal: no streaming"
  [ "$senders" -gt 0 ] || die "the primary runs with max_wal_senders=0: no streaming"
  local hba="$PG_DATA/pg_hba.conf"
  if ! as_pg_owner grep -Eq '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$hba"; then
    log "allowing replication connections from 127.0.0.1 in $hba"
    printf 'host replication all 127.0.0.1/32 scram-sha-256\n' | as_pg_owner tee -a "$hba" >/dev/null
    "${psql_primary[@]}" -c "SELECT pg_reload_conf()" >/dev/null
  fi
}

start_replica() {
  local bin; bin="$(pg_bin_dir)" || die "PostgreSQL is not installed (run scripts/bootstrap.sh)"
  if replica_running; then return 0; fi
  primary_running || die "the primary is not running (scripts/services.sh start)"
  if [ ! -f "$REPLICA_DATA/PG_VERSION" ]; then
    prepare_primary "$bin"
    log "base backup of 127.0.0.1:$POS_DB_PORT into $REPLICA_DATA"
    rm -rf "$REPLICA_DIR"
    mkdir -p "$REPLICA_DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$REPLICA_DIR"
    chmod 700 "$REPLICA_DIR"
    # -R: standby.signal + primary_conninfo (with the password: the walreceiver needs it);
    # fast checkpoint, no fsync of the copy (a development standby, remade at will).
    as_pg_owner env PGPASSWORD="$POS_DB_PASSWORD" "$bin/pg_basebackup" -h 127.0.0.1 \
      -p "$POS_DB_PORT" -U "$POS_DB_USER" -D "$REPLICA_DATA" -R -X stream -c fast -N \
      || die "pg_basebackup failed"
  fi
  log "starting the hot standby on 127.0.0.1:$REPLICA_PORT"
  # max_connections must be at least the primary's for a hot standby to start;
  # hot_standby_feedback keeps VACUUM on the primary from cancelling a long export here.
  as_pg_owner "$bin/pg_ctl" -D "$REPLICA_DATA" -l "$REPLICA_DIR/postgres.log" -w -t 120 start -o \
    "-p $REPLICA_PORT -c listen_addresses=127.0.0.1 -k $REPLICA_DIR -c hot_standby=on \
     -c hot_standby_feedback=on -c fsync=${POS_PG_FSYNC:-on} \
     -c full_page_writes=${POS_PG_FSYNC:-on} \
     -c max_connections=${POS_PG_MAX_CONNECTIONS:-300} -c shared_buffers=128MB" >/dev/null \
    || { tail -20 "$REPLICA_DIR/postgres.log" >&2; die "the standby did not start"; }
}

stop_replica() {
  if replica_running; then
    log "stopping the hot standby"
    as_pg_owner "$(pg_bin_dir)/pg_ctl" -D "$REPLICA_DATA" -m fast -w stop >/dev/null
  fi
}

status_replica() {
  if ! replica_running; then echo "replica: stopped ($REPLICA_DATA)"; return 0; fi
  local bin; bin="$(pg_bin_dir)"
  echo "replica: running on 127.0.0.1:$REPLICA_PORT ($REPLICA_DATA)"
  env PGPASSWORD="$POS_DB_PASSWORD" "$bin/psql" -h 127.0.0.1 -p "$REPLICA_PORT" \
    -U "$POS_DB_USER" -d postgres -X -c "SELECT pg_is_in_recovery() AS standby,
      pg_last_wal_replay_lsn() AS replayed, pg_is_wal_replay_paused() AS paused,
      now() - pg_last_xact_replay_timestamp() AS since_last_replayed_commit"
}

case "${1:-}" in
  start) start_replica ;;
  stop) stop_replica ;;
  status) status_replica ;;
  remove) stop_replica; rm -rf "$REPLICA_DIR" ;;
  port) echo "$REPLICA_PORT" ;;
  *) die "usage: $0 start|stop|status|remove|port" ;;
esac
