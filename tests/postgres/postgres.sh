#!/usr/bin/env bash
# A real PostgreSQL server for lead-router's tests (the CRM's database that a
# Kafka Connect JDBC sink writes into): Debian's `postgresql` package, installed
# when missing (as root), run by initdb + pg_ctl in a state directory of its own
# on a free loopback port. Never the system service. fsync is off: test data
# need not survive a power cut.
#
#   tests/postgres/postgres.sh install        install Debian's package if missing
#   tests/postgres/postgres.sh start          make a cluster, start it, make the sink's
#                                             database and user, print env
#   tests/postgres/postgres.sh stop           stop it and delete its data
#   tests/postgres/postgres.sh status         report pid, port, memory; exit 3 when not running
#   tests/postgres/postgres.sh env            print the POSTGRES_* lines of a running server
#   tests/postgres/postgres.sh psql ARGS...   psql as the sink's user on its database
#                                             (e.g. psql -Atc 'select count(*) from t')
#
# `start` and `env` print shell assignments on stdout:
#   POSTGRES_PORT=<port>
#   POSTGRES_URL=jdbc:postgresql://127.0.0.1:<port>/crm
#   POSTGRES_DB=crm  POSTGRES_USER=crm  POSTGRES_PASSWORD=<random>
#   POSTGRES_PID, POSTGRES_LOG, POSTGRES_STATE_DIR
# so `eval "$(tests/postgres/postgres.sh start)"` works; progress goes to
# stderr. Every failure exits non-zero with the reason (and the log's tail).
# As root the server runs as the `postgres` user (initdb refuses root), so the
# state directory must be reachable by that user: the default one is.
#
# Environment (all optional):
#   LR_POSTGRES_STATE_DIR      data, socket, log (default
#                              ${TMPDIR:-/tmp}/lead-router-postgres-<uid>); one server per dir
#   LR_POSTGRES_START_TIMEOUT  seconds to wait for readiness (default 60)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PART=postgres.sh
STATE_DIR=${LR_POSTGRES_STATE_DIR:-${TMPDIR:-/tmp}/lead-router-postgres-$(id -u)}
SERVER_LOG=$STATE_DIR/postgres.log
# shellcheck source=../lib/part.sh
. "$HERE/../lib/part.sh"

START_TIMEOUT=${LR_POSTGRES_START_TIMEOUT:-60}
DATA=$STATE_DIR/data
SOCKETS=$STATE_DIR/run
DB=crm
DB_USER=crm
WHAT=PostgreSQL
PID="" PORT="" PASSWORD="" BIN=""

# The newest installed server's bin directory, or nothing.
find_bin() {
    local d
    d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1)
    [[ -n $d && -x $d/initdb && -x $d/pg_ctl ]] && echo "$d"
}

install_postgres() {
    BIN=$(find_bin || true)
    if [[ -z $BIN ]]; then
        part_apt_install postgresql
        BIN=$(find_bin || true)
        [[ -n $BIN ]] || die "the postgresql package installed no initdb under /usr/lib/postgresql"
    fi
    command -v psql >/dev/null 2>&1 || die "psql is missing (Debian: postgresql-client)"
}

# Runs a command as the server's owner: postgres when we are root, else us.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

running() {
    [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$PID/cmdline" 2>/dev/null | grep -qF -- "$DATA"
}

print_env() {
    echo "POSTGRES_PORT=$PORT"
    echo "POSTGRES_URL=jdbc:postgresql://127.0.0.1:$PORT/$DB"
    echo "POSTGRES_DB=$DB"
    echo "POSTGRES_USER=$DB_USER"
    echo "POSTGRES_PASSWORD=$PASSWORD"
    echo "POSTGRES_PID=$PID"
    echo "POSTGRES_LOG=$SERVER_LOG"
    echo "POSTGRES_STATE_DIR=$STATE_DIR"
}

# psql as the superuser over the state dir's socket.
super_psql() {
    as_owner psql -X -q -v ON_ERROR_STOP=1 -h "$SOCKETS" -p "$PORT" -U postgres -d postgres "$@"
}

make_cluster() {
    rm -rf "$DATA" "$SOCKETS"
    mkdir -p "$DATA" "$SOCKETS"
    if [[ $(id -u) -eq 0 ]]; then
        chmod 755 "$STATE_DIR"
        chown postgres: "$DATA" "$SOCKETS" "$SERVER_LOG"
        runuser -u postgres -- test -w "$DATA" \
            || die "the postgres user cannot reach $DATA; use an LR_POSTGRES_STATE_DIR it can reach"
    fi
    chmod 700 "$DATA"
    if ! as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust \
        --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >>"$SERVER_LOG" 2>&1; then
        part_log_tail
        die "initdb failed in $DATA"
    fi
}

cmd_start() {
    part_already_running && return 0
    install_postgres
    mkdir -p "$STATE_DIR"
    echo "===== $PART: PostgreSQL ($BIN) at $(date -u +%FT%TZ) =====" >"$SERVER_LOG"
    local t0=$SECONDS
    make_cluster
    PORT=$(part_free_port) || die "could not find a free loopback port"
    PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
    # pg_ctl -w polls the server itself, up to -t seconds.
    if ! as_owner "$BIN/pg_ctl" -D "$DATA" -l "$SERVER_LOG" -w -t "$START_TIMEOUT" start -o \
        "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$SOCKETS \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
         -c shared_buffers=32MB -c max_connections=50" >/dev/null 2>&1; then
        part_log_tail
        as_owner "$BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
        die "PostgreSQL did not start on 127.0.0.1:$PORT within $START_TIMEOUT s (log: $SERVER_LOG)"
    fi
    PID=$(head -n 1 "$DATA/postmaster.pid")
    part_save_state PID PORT PASSWORD BIN
    super_psql -c "CREATE ROLE $DB_USER LOGIN PASSWORD '$PASSWORD'" \
        -c "CREATE DATABASE $DB OWNER $DB_USER" >>"$SERVER_LOG" 2>&1 \
        || { part_log_tail; die "could not create the $DB database and user"; }
    say "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') ready on 127.0.0.1:$PORT" \
        "after $((SECONDS - t0)) s"
    print_env
}

stop_server() {
    as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null 2>&1 || part_kill "$PID" 10
}

forget() { rm -rf "$DATA" "$SOCKETS"; }

# Resident memory of the postmaster and its backends together.
describe() {
    echo "port=$PORT rss_kb=$(ps -o rss= -p "$PID" --ppid "$PID" | awk '{s += $1} END {print s}')"
}

cmd_psql() {
    part_load_state
    running || die "no $WHAT running from $STATE_DIR"
    PGPASSWORD=$PASSWORD exec psql -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" \
        -U "$DB_USER" -d "$DB" "$@"
}

case ${1:-} in
install) install_postgres && say "PostgreSQL is in $BIN" ;;
start) cmd_start ;;
stop) part_cmd_stop ;;
status) part_cmd_status ;;
env) part_cmd_env ;;
psql) shift; cmd_psql "$@" ;;
*) part_usage ;;
esac
