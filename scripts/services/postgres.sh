#!/usr/bin/env bash
# A private PostgreSQL cluster for Berth's distributed mode and its tests.
#
#   scripts/services/postgres.sh start|stop|status
#
# Uses the Debian `postgresql` package's binaries but never its system cluster: the cluster lives in
# $BERTH_STATE/postgres (data, socket, log), listens only on 127.0.0.1:$BERTH_PG_PORT (default 15432)
# and trusts every local connection, so tests need no password. PostgreSQL refuses to run as root,
# so the cluster belongs to the `postgres` user. Prints the DSN of the `berth` database on start.

BERTH_SERVICE=postgres
# shellcheck source=scripts/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_PORT="${BERTH_PG_PORT:-15432}"
PG_HOME="$BERTH_STATE/postgres"
PG_DATA="$PG_HOME/data"
PG_SOCKETS="$PG_HOME/run"
PG_LOG="$PG_HOME/postgres.log"
PG_USER=postgres
DATABASES=(berth berth_test)

pg_bin() {
    # The newest installed major version, e.g. /usr/lib/postgresql/15/bin.
    local initdb
    initdb=$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
    [[ -x $initdb ]] && dirname "$initdb"
}

as_postgres() { runuser -u "$PG_USER" -- "$@"; }

ensure_installed() {
    if [[ -z $(pg_bin) ]]; then
        need_apt_package postgresql
        # The package creates and starts a system cluster on 5432; Berth does not use it, leave it be.
    fi
    [[ -n $(pg_bin) ]] || die "postgresql is installed but no /usr/lib/postgresql/*/bin/initdb exists"
}

# The postgres user must reach its data dir, which may sit under a private home such as /root
# (mode 700). Grant it search (x) on each blocking ancestor, for that user only, via an ACL entry:
# it can open the known path but cannot list or read anything else in those directories.
grant_traverse() {
    local path=$1 dir="" part
    local -a parts
    IFS=/ read -ra parts <<<"${path#/}"
    # Top down: a directory below a blocking one only looks blocked until its parent is opened.
    for part in "${parts[@]}"; do
        dir="$dir/$part"
        if ! as_postgres test -x "$dir"; then
            command -v setfacl >/dev/null || need_apt_package acl
            log "granting $PG_USER search permission on $dir"
            setfacl -m "u:$PG_USER:x" "$dir"
        fi
    done
}

ensure_cluster() {
    mkdir -p "$PG_HOME"
    chown "$PG_USER:" "$PG_HOME"
    chmod 700 "$PG_HOME"
    grant_traverse "$(dirname "$PG_HOME")"
    as_postgres mkdir -p "$PG_SOCKETS"
    if [[ ! -f $PG_DATA/PG_VERSION ]]; then
        log "creating a cluster in $PG_DATA"
        # A cluster from an interrupted initdb is unusable; start over rather than half-reuse it.
        rm -rf "$PG_DATA"
        as_postgres "$(pg_bin)/initdb" --pgdata="$PG_DATA" --username="$PG_USER" \
            --auth-local=trust --auth-host=trust --encoding=UTF8 --no-locale >"$PG_HOME/initdb.log" 2>&1 \
            || die_with_log "initdb failed" "$PG_HOME/initdb.log"
    fi
}

pg_ready() {
    "$(pg_bin)/pg_isready" --host=127.0.0.1 --port="$PG_PORT" --username="$PG_USER" --quiet
}

psql_berth() {
    "$(pg_bin)/psql" --host=127.0.0.1 --port="$PG_PORT" --username="$PG_USER" --dbname=postgres \
        --no-psqlrc --quiet --tuples-only --no-align -v ON_ERROR_STOP=1 "$@"
}

ensure_databases() {
    local name
    for name in "${DATABASES[@]}"; do
        if [[ -z $(psql_berth -c "SELECT 1 FROM pg_database WHERE datname = '$name'") ]]; then
            log "creating database $name"
            psql_berth -c "CREATE DATABASE \"$name\""
        fi
    done
}

running() {
    as_postgres "$(pg_bin)/pg_ctl" status --pgdata="$PG_DATA" >/dev/null 2>&1
}

start() {
    ensure_installed
    ensure_cluster
    if ! running; then
        log "starting on 127.0.0.1:$PG_PORT (log: $PG_LOG)"
        # Settings go on the command line, not into postgresql.conf, so a changed BERTH_PG_PORT
        # takes effect on the next start of the same cluster.
        as_postgres "$(pg_bin)/pg_ctl" start --pgdata="$PG_DATA" --log="$PG_LOG" --wait --timeout=60 \
            --options="-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PG_SOCKETS" \
            >/dev/null || die_with_log "PostgreSQL did not start" "$PG_LOG"
    fi
    wait_for 60 "PostgreSQL on 127.0.0.1:$PG_PORT" pg_ready || die_with_log "PostgreSQL is not ready" "$PG_LOG"
    ensure_databases
    echo "postgresql://$PG_USER@127.0.0.1:$PG_PORT/berth"
}

stop() {
    if [[ -n $(pg_bin) && -f $PG_DATA/PG_VERSION ]] && running; then
        log "stopping"
        as_postgres "$(pg_bin)/pg_ctl" stop --pgdata="$PG_DATA" --mode=fast --wait >/dev/null
    fi
}

status() {
    if [[ -n $(pg_bin) && -f $PG_DATA/PG_VERSION ]] && running && pg_ready; then
        echo "running: postgresql://$PG_USER@127.0.0.1:$PG_PORT/berth"
    else
        echo "stopped"
        return 3
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) usage ;;
esac
