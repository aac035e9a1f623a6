#!/bin/sh
# Fills in pgbouncer.ini and the user list from the environment, then runs PgBouncer.
set -eu
mkdir -p /tmp/pgbouncer
sed -e "s/@DB_HOST@/${PGBOUNCER_DB_HOST:-postgres}/" \
    -e "s/@DB_PORT@/${PGBOUNCER_DB_PORT:-5432}/" \
    -e "s/@POOL_SIZE@/${PGBOUNCER_POOL_SIZE:-20}/g" \
    -e "s/@MAX_CLIENTS@/${PGBOUNCER_MAX_CLIENTS:-500}/" \
    /etc/pgbouncer/pgbouncer.ini.in > /tmp/pgbouncer/pgbouncer.ini
umask 077
printf '"%s" "%s"\n' "$POS_DB_USER" "$POS_DB_PASSWORD" > /tmp/pgbouncer/userlist.txt
exec pgbouncer /tmp/pgbouncer/pgbouncer.ini
