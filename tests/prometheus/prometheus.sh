#!/usr/bin/env bash
# A real Prometheus server for lead-router's tests: Debian's `prometheus`
# package (installed when missing, as root), run as a plain process on a free
# loopback port with its own data directory. Never the system service.
#
#   tests/prometheus/prometheus.sh install              install if needed; print PROMTOOL=
#   tests/prometheus/prometheus.sh start TARGET...      scrape TARGET (host:port) every 1 s;
#                                                       wait until ready, print env
#   tests/prometheus/prometheus.sh stop                 stop it and delete its data
#   tests/prometheus/prometheus.sh check-rules FILE...  promtool check rules
#   tests/prometheus/prometheus.sh check-metrics        promtool check metrics (stdin)
#
# `start` prints shell assignments on stdout:
#   PROMETHEUS_URL=http://127.0.0.1:<port>
#   PROMETHEUS_STATE_DIR=<dir>
# Progress and failures go to stderr; every failure exits non-zero.
#
# Environment:
#   LR_PROMETHEUS_STATE_DIR   pid, config, data and log (default
#                             ${TMPDIR:-/tmp}/lead-router-prometheus-<uid>); one server per dir
#   LR_PROMETHEUS_START_TIMEOUT  seconds to wait for readiness (default 60)
set -euo pipefail

STATE_DIR=${LR_PROMETHEUS_STATE_DIR:-${TMPDIR:-/tmp}/lead-router-prometheus-$(id -u)}
START_TIMEOUT=${LR_PROMETHEUS_START_TIMEOUT:-60}
PROMETHEUS=/usr/bin/prometheus
PROMTOOL=/usr/bin/promtool

say() { echo "prometheus.sh: $*" >&2; }
die() { say "$*"; exit 1; }

install() {
    [[ -x $PROMETHEUS && -x $PROMTOOL ]] && return 0
    if [[ $(id -u) != 0 ]]; then
        die "Prometheus is missing. Run: sudo apt-get update && sudo apt-get install -y prometheus"
    fi
    say "installing Debian's prometheus package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends prometheus >/dev/null
    [[ -x $PROMETHEUS && -x $PROMTOOL ]] || die "the prometheus package has no $PROMETHEUS"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

running() { [[ -f $STATE_DIR/pid ]] && kill -0 "$(cat "$STATE_DIR/pid")" 2>/dev/null; }

start() {
    (($# > 0)) || die "start needs at least one TARGET (host:port)"
    install
    running && die "a Prometheus already runs for $STATE_DIR (pid $(cat "$STATE_DIR/pid"))"
    rm -rf "$STATE_DIR/data"
    mkdir -p "$STATE_DIR/data"
    local port targets="" t
    port=$(free_port) || die "could not find a free loopback port"
    for t in "$@"; do targets+="${targets:+, }'$t'"; done
    cat >"$STATE_DIR/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: lead-router
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: [$targets]
YAML
    "$PROMETHEUS" --config.file="$STATE_DIR/prometheus.yml" \
        --storage.tsdb.path="$STATE_DIR/data" \
        --web.listen-address="127.0.0.1:$port" \
        --web.console.templates=/dev/null --web.console.libraries=/dev/null \
        >"$STATE_DIR/prometheus.log" 2>&1 &
    echo $! >"$STATE_DIR/pid"
    echo "$port" >"$STATE_DIR/port"
    local deadline=$((SECONDS + START_TIMEOUT))
    until python3 - "$port" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/-/ready", timeout=2).read()
PY
    do
        if ! running; then
            tail -n 30 "$STATE_DIR/prometheus.log" >&2 || true
            die "Prometheus exited during start"
        fi
        ((SECONDS < deadline)) || { stop_server; die "Prometheus not ready in ${START_TIMEOUT} s"; }
        sleep 0.2
    done
    say "Prometheus $("$PROMETHEUS" --version 2>&1 | head -n1 | awk '{print $3}') ready on port $port"
    echo "PROMETHEUS_URL=http://127.0.0.1:$port"
    echo "PROMETHEUS_STATE_DIR=$STATE_DIR"
}

stop_server() {
    if running; then
        local pid i
        pid=$(cat "$STATE_DIR/pid")
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$STATE_DIR"
}

case ${1:-} in
    install) install; echo "PROMTOOL=$PROMTOOL" ;;
    start) shift; start "$@" ;;
    stop) stop_server ;;
    check-rules) shift; install; "$PROMTOOL" check rules "$@" ;;
    check-metrics) install; "$PROMTOOL" check metrics ;;
    *) die "usage: prometheus.sh install | start TARGET... | stop | check-rules FILE... | check-metrics" ;;
esac
