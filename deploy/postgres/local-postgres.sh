#!/usr/bin/env bash
# A private PostgreSQL cluster for newswire's tests and local runs.
#
#   deploy/postgres/local-postgres.sh start    install (apt-get) if missing, initdb once, start,
#                                              wait until it answers, create the database
#   deploy/postgres/local-postgres.sh stop     fast shutdown (no-op when not running)
#   deploy/postgres/local-postgres.sh status   exit 0 when it answers, 3 when not
#
# Every command is idempotent. The cluster lives in .local/postgres (NEWSWIRE_PG_DIR), listens
# on 127.0.0.1:5433 only (NEWSWIRE_PG_PORT) with trust auth for local connections: it is a test
# fixture, never a production database. The store URL for it is
#   postgresql://postgres@127.0.0.1:5433/newswire
# initdb refuses to run as root, so as root the server runs as the `postgres` OS user that
# Debian's package creates.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PG_DIR=${NEWSWIRE_PG_DIR:-$ROOT/.local/postgres}
# As root the server runs as the `postgres` user, which may not be allowed to enter the
# checkout (a CI clone under a private temporary directory): then the cluster lives in a
# directory of its own under /var/tmp, keyed by the checkout's path.
if [[ -z ${NEWSWIRE_PG_DIR:-} && $(id -u) -eq 0 ]] && id postgres >/dev/null 2>&1 \
    && ! runuser -u postgres -- test -x "$ROOT" 2>/dev/null; then
    PG_DIR=/var/tmp/newswire-postgres/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)
fi
PG_PORT=${NEWSWIRE_PG_PORT:-5433}
PG_HOST=127.0.0.1
PG_DB=newswire
DATA=$PG_DIR/data
LOG=$PG_DIR/postgres.log

say() { echo "local-postgres: $*" >&2; }

pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [[ -n $dir && -x $dir/initdb ]] && echo "$dir"
}

install_postgres() {
    say "PostgreSQL is not installed; installing Debian's postgresql package"
    local try
    for try in 1 2 3 4 5 6 7 8 9 10; do
        # Another apt-get may hold the dpkg lock: wait for it and retry.
        if DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null 2>&1; then
            return 0
        fi
        if (( try == 1 )); then apt-get update -q >/dev/null 2>&1 || true; fi
        sleep 6
    done
    say "apt-get install postgresql failed"; exit 1
}

BIN=$(pg_bin || true)

as_owner() {
    # Run a server binary as the cluster owner: postgres when we are root.
    # (from /: the postgres user may not be allowed into the current directory)
    if [[ $(id -u) -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

answers() { "$BIN/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres; }

start() {
    if [[ -z $BIN ]]; then install_postgres; BIN=$(pg_bin); fi
    mkdir -p "$PG_DIR"
    if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$PG_DIR"; fi
    if [[ ! -f $DATA/PG_VERSION ]]; then
        say "initdb $DATA"
        as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
        cat >>"$DATA/postgresql.conf" <<CONF
# newswire local cluster (deploy/postgres/local-postgres.sh)
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
max_connections = 200
CONF
    fi
    if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
        say "starting on $PG_HOST:$PG_PORT"
        as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null
    fi
    local i
    for i in $(seq 1 120); do
        answers && break
        sleep 0.5
    done
    answers || { say "PostgreSQL does not answer; see $LOG"; exit 1; }
    if [[ $("$BIN/psql" -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -tAc \
            "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'") != 1 ]]; then
        "$BIN/createdb" -h "$PG_HOST" -p "$PG_PORT" -U postgres "$PG_DB"
    fi
    say "ready: postgresql://postgres@$PG_HOST:$PG_PORT/$PG_DB"
}

stop() {
    [[ -n $BIN && -f $DATA/PG_VERSION ]] || return 0
    if as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
        say "stopped"
    fi
}

status() {
    if [[ -n $BIN ]] && answers; then
        echo "running: postgresql://postgres@$PG_HOST:$PG_PORT/$PG_DB"
    else
        echo "not running"; exit 3
    fi
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
