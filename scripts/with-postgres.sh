#!/usr/bin/env bash
# Runs a command beside a throw-away PostgreSQL server on a free loopback port, started as the
# postgres user (initdb and pg_ctl refuse root), and stops it afterwards:
#   scripts/with-postgres.sh swift test --filter StoreContract
# The command finds the server in COFFER_TEST_POSTGRES_URL (a superuser's URL).
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DIR=$(mktemp -d /tmp/coffer-pg.XXXXXX)
AS=()
if [ "$(id -u)" = 0 ]; then AS=(runuser -u postgres --); chown postgres:postgres "$DIR"; fi
stop() { "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap stop EXIT
"${AS[@]}" "$PGBIN/initdb" -D "$DIR/data" -U coffer --auth=trust -E UTF8 -N >/dev/null
# Speed over durability for unit tests; COFFER_PG_DURABLE=1 keeps PostgreSQL's defaults (benchmarks).
SPEED="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "${COFFER_PG_DURABLE:-}" = 1 ] && SPEED=""
"${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 30 start \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR $SPEED -c max_connections=400" >/dev/null
export COFFER_TEST_POSTGRES_URL="postgres://coffer@127.0.0.1:$PORT/postgres?sslmode=disable"
"$@"
