#!/usr/bin/env bash
# A real schema registry for lead-router's tests: Apicurio Registry 2.4.2.Final
# with in-memory storage, built once from Maven Central (pom.xml beside this
# script says how) and run on a free loopback port. It serves the Confluent
# Schema Registry API at $REGISTRY_URL/apis/ccompat/v7 (its ids are Apicurio
# content ids) and Apicurio's own at $REGISTRY_URL/apis/registry/v2.
#
#   tests/registry/apicurio.sh install   build the registry into the cache, then exit
#   tests/registry/apicurio.sh start     install if needed, start, wait until ready, print env
#   tests/registry/apicurio.sh stop      stop it (its schemas go with it)
#   tests/registry/apicurio.sh status    report pid, address, memory; exit 3 when not running
#   tests/registry/apicurio.sh env       print the REGISTRY_* lines of a running registry
#
# `start` and `env` print shell assignments on stdout, first of all
#   REGISTRY_URL=http://127.0.0.1:<port>
# then REGISTRY_CCOMPAT_URL (the Confluent API's base), REGISTRY_PID, REGISTRY_LOG,
# REGISTRY_STATE_DIR, so `eval "$(tests/registry/apicurio.sh start)"` works;
# progress goes to stderr. Every failure exits non-zero with the reason (and
# the tail of the registry's log).
#
# Environment (all optional):
#   LR_CACHE_DIR               cache root (default $HOME/.cache/lead-router); the build
#                              goes to $LR_CACHE_DIR/apicurio-registry-2.4.2.Final
#   LR_REGISTRY_STATE_DIR      pid, port and log (default
#                              ${TMPDIR:-/tmp}/lead-router-registry-<uid>); one registry per dir
#   LR_REGISTRY_START_TIMEOUT  seconds to wait for readiness (default 120)
#   LR_REGISTRY_HEAP_OPTS      JVM heap flags (default "-Xms64m -Xmx256m")
#   MAVEN_OPTS                 as usual, e.g. -Dmaven.repo.local=DIR for a fresh repository
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PART=apicurio.sh
STATE_DIR=${LR_REGISTRY_STATE_DIR:-${TMPDIR:-/tmp}/lead-router-registry-$(id -u)}
SERVER_LOG=$STATE_DIR/registry.log
# shellcheck source=../lib/part.sh
. "$HERE/../lib/part.sh"

VERSION=2.4.2.Final
WHAT="Apicurio Registry $VERSION"
INSTALL_DIR=$CACHE_ROOT/apicurio-registry-$VERSION
APP=$INSTALL_DIR/app
RUNNER=$APP/registry-runner.jar
START_TIMEOUT=${LR_REGISTRY_START_TIMEOUT:-120}
HEAP_OPTS=${LR_REGISTRY_HEAP_OPTS:--Xms64m -Xmx256m}
PID="" PORT=""

install_stamp() {
    # Valid for one content of the poms and of the deployment module's sources.
    echo "apicurio=$VERSION sources=$(part_digest "$HERE/pom.xml" \
        $(find "$HERE/config-index-deployment" -type f | sort))"
}

installed() {
    [[ -f $APP/.installed && $(cat "$APP/.installed") == "$(install_stamp)" ]]
}

install_registry() {
    installed && return 0
    part_need_java yes
    part_install_lock "$INSTALL_DIR"
    installed && return 0
    local build=$INSTALL_DIR/build.$$ log=$INSTALL_DIR/mvn.log t0=$SECONDS
    say "building Apicurio Registry $VERSION from Maven Central into $APP (a few minutes, once)"
    rm -rf "$build"
    mkdir -p "$build"
    cp -r "$HERE/pom.xml" "$HERE/config-index-deployment" "$build/"
    : >"$log"
    part_mvn "$log" "Maven could not build the config-index deployment module" \
        -f "$build/config-index-deployment/pom.xml" install
    part_mvn "$log" "Maven could not build Apicurio Registry $VERSION" -f "$build/pom.xml" package
    local runner
    runner=$(find "$build/target" -maxdepth 1 -name '*-runner.jar' | head -n 1)
    [[ -n $runner && -d $build/target/lib ]] \
        || die "Maven finished but $build/target holds no runner jar and lib/ (log: $log)"
    rm -rf "$APP"
    mkdir -p "$APP"
    mv "$build/target/lib" "$APP/lib"
    mv "$runner" "$RUNNER"
    rm -rf "$build"
    install_stamp >"$APP/.installed"
    say "built Apicurio Registry $VERSION in $((SECONDS - t0)) s"
}

running() { part_running "$RUNNER"; }

print_env() {
    echo "REGISTRY_URL=http://127.0.0.1:$PORT"
    echo "REGISTRY_CCOMPAT_URL=http://127.0.0.1:$PORT/apis/ccompat/v7"
    echo "REGISTRY_PID=$PID"
    echo "REGISTRY_LOG=$SERVER_LOG"
    echo "REGISTRY_STATE_DIR=$STATE_DIR"
}

cmd_start() {
    part_already_running && return 0
    install_registry
    part_need_java no
    mkdir -p "$STATE_DIR"
    PORT=$(part_free_port) || die "could not find a free loopback port"
    local heap
    read -r -a heap <<<"$HEAP_OPTS"
    echo "===== $PART: Apicurio Registry $VERSION on 127.0.0.1:$PORT at $(date -u +%FT%TZ) =====" \
        >"$SERVER_LOG"
    # The working directory is the state dir: nothing lands in the caller's.
    (cd "$STATE_DIR" && exec nohup java "${heap[@]}" -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError \
        -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
        -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$PORT" \
        -Dquarkus.log.level=INFO -Dquarkus.log.console.color=false \
        -jar "$RUNNER" >>"$SERVER_LOG" 2>&1 </dev/null) &
    PID=$!
    part_save_state PID PORT
    part_wait_ready "$PID" "$START_TIMEOUT" "$WHAT on 127.0.0.1:$PORT" \
        part_http_ok "http://127.0.0.1:$PORT/health/ready"
    print_env
}

stop_server() { part_kill "$PID" 30; }

describe() { echo "url=http://127.0.0.1:$PORT rss_kb=$(part_rss_kb "$PID")"; }

case ${1:-} in
install) install_registry && say "Apicurio Registry $VERSION is in $APP" ;;
start) cmd_start ;;
stop) part_cmd_stop ;;
status) part_cmd_status ;;
env) part_cmd_env ;;
*) part_usage ;;
esac
