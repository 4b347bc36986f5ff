# Shared shell functions of the scripts that install and run a real server
# for the tests (tests/registry/apicurio.sh, tests/connect/connect.sh,
# tests/postgres/postgres.sh), in the manner of tests/kafka/broker.sh:
# a cache under $LR_CACHE_DIR, one server per state directory, a free
# loopback port, readiness polled against a deadline, and every failure
# reported with its reason and the tail of the server's log.
#
# Source it after setting:
#   PART        the script's name for messages (e.g. apicurio.sh)
#   STATE_DIR   the server's state directory
#   SERVER_LOG  the server's log file (its tail is shown on failure)
# Functions prefixed part_; nothing here starts anything by itself.

CACHE_ROOT=${LR_CACHE_DIR:-${HOME:-/root}/.cache/lead-router}
STATE_FILE=$STATE_DIR/state

say() { echo "$PART: $*" >&2; }

die() {
    echo "$PART: error: $*" >&2
    exit 1
}

# The comment block at the top of the calling script, as its help.
part_usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}

part_log_tail() {
    if [[ -s $SERVER_LOG ]]; then
        echo "---- last 60 lines of $SERVER_LOG ----" >&2
        tail -n 60 "$SERVER_LOG" >&2
        echo "---- end of log ----" >&2
    fi
}

# Installs missing Debian packages when we are root, otherwise says exactly
# what to run: CI machines are fresh Debian boxes where we are root.
part_apt_install() {
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing $* with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2 || die "apt-get update failed"
        apt-get install -y -qq --no-install-recommends "$@" >&2 || die "apt-get install $* failed"
    else
        die "missing $*; install with: sudo apt-get install -y $*"
    fi
}

# Java 17 or newer (Quarkus 2.16 and Kafka Connect 3.9 run on 11, but the
# tests' JVMs are all the same Debian 12 JRE), Maven when installing.
part_need_java() {
    local need_mvn=$1 missing=() v
    command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
    if [[ $need_mvn == yes ]] && ! command -v mvn >/dev/null 2>&1; then
        missing+=(maven)
    fi
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    if ((${#missing[@]})); then
        part_apt_install "${missing[@]}"
    fi
    v=$(java -version 2>&1 | sed -n '1s/.*version "\([^"]*\)".*/\1/p')
    v=${v#1.}
    v=${v%%[.+-]*}
    [[ $v =~ ^[0-9]+$ ]] || die "cannot tell the Java version from 'java -version'"
    ((v >= 17)) || die "Java 17 or newer is needed, found Java $v" \
        "(on Debian: apt-get install -y openjdk-17-jre-headless)"
}

# Runs Maven quietly into LOG; on failure shows its tail and dies with WHAT.
# MAVEN_OPTS (e.g. -Dmaven.repo.local=...) applies as usual.
part_mvn() {
    local log=$1 what=$2
    shift 2
    if ! mvn -B -q "$@" >>"$log" 2>&1; then
        tail -n 40 "$log" >&2
        die "$what (full Maven log: $log)"
    fi
}

# Serialises installs into one cache directory: a second test process
# waits for the first. Holds file descriptor 9 until the script exits.
part_install_lock() {
    mkdir -p "$1"
    exec 9>"$1/.lock"
    if command -v flock >/dev/null 2>&1; then
        flock -w 1800 9 || die "timed out waiting for another install into $1"
    fi
}

# The sha256 of the files given (a cache stamp: a changed pom rebuilds).
part_digest() {
    cat "$@" | sha256sum | cut -d' ' -f1
}

part_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

part_load_state() {
    PID="" PORT=""
    if [[ -f $STATE_FILE ]]; then
        # shellcheck disable=SC1090
        . "$STATE_FILE"
    fi
}

# Writes the named variables to the state file.
part_save_state() {
    local name
    mkdir -p "$STATE_DIR"
    for name in "$@"; do
        printf '%s=%q\n' "$name" "${!name}"
    done >"$STATE_FILE.tmp"
    mv "$STATE_FILE.tmp" "$STATE_FILE"
}

# True when PID is alive and its command line holds MARK (not a recycled pid).
part_running() {
    local mark=$1
    [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$PID/cmdline" 2>/dev/null | grep -qF -- "$mark"
}

part_rss_kb() {
    awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo "?"
}

# True when URL answers 2xx within 2 s.
part_http_ok() {
    python3 - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if 200 <= r.status < 300 else 1)
PY
}

# Polls PROBE (a command) until it succeeds; fails when PID exits or after
# TIMEOUT seconds, killing PID then, with the log's tail.
part_wait_ready() {
    local pid=$1 timeout=$2 what=$3 t0=$SECONDS
    shift 3
    while ((SECONDS - t0 < timeout)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            part_log_tail
            die "$what exited during startup (log: $SERVER_LOG)"
        fi
        if "$@"; then
            say "$what ready after $((SECONDS - t0)) s"
            return 0
        fi
        sleep 0.25
    done
    part_log_tail
    kill -KILL "$pid" 2>/dev/null || true
    die "$what was not ready within $timeout s (log: $SERVER_LOG)"
}

# SIGTERM, then SIGKILL after TIMEOUT seconds; returns once PID is gone.
part_kill() {
    local pid=$1 timeout=$2 t0=$SECONDS
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS - t0 >= timeout)); then
            say "pid $pid ignored SIGTERM for $timeout s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        sleep 0.1
    done
}

# The commands every script shares. The script defines:
#   WHAT          the server's name for messages (e.g. "Apicurio Registry 2.4.2.Final")
#   running       true when the state's PID is our live server
#   stop_server   stops it; returns once it is gone
#   describe      one line of facts about the running server (for status)
#   print_env     the KEY=value lines
#   forget        (optional) deletes what a stopped server leaves behind

# For `start`: true (after printing the env) when the server already runs.
part_already_running() {
    part_load_state
    running || return 1
    say "already running (pid $PID)"
    print_env
}

part_cmd_stop() {
    part_load_state
    if [[ -z $PID ]]; then
        say "not running (no state in $STATE_DIR)"
        return 0
    fi
    if running; then
        stop_server
        say "stopped $WHAT (pid $PID)"
    else
        say "was not running (stale pid $PID)"
    fi
    if declare -F forget >/dev/null; then
        forget
    fi
    rm -f "$STATE_FILE"
}

part_cmd_status() {
    part_load_state
    if running; then
        echo "running: $WHAT pid=$PID $(describe) log=$SERVER_LOG"
        return 0
    fi
    echo "not running (${PID:+stale pid $PID in }$STATE_DIR)"
    return 3
}

part_cmd_env() {
    part_load_state
    running || die "no $WHAT running from $STATE_DIR"
    print_env
}
