#!/usr/bin/env bash
# Creates the database named $1 in the private cluster if it does not exist.
source "$(dirname "$0")/lib.sh"
name="$1"
psql=("$(pg_bin_dir)/psql" -h "$POS_DB_HOST" -p "$POS_DB_PORT" -U "$POS_DB_USER" -d postgres -tAq)
export PGPASSWORD="$POS_DB_PASSWORD"
if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" != 1 ]; then
  log "creating database $name"
  "${psql[@]}" -c "CREATE DATABASE \"$name\""
fi
