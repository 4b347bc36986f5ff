#!/usr/bin/env bash
# A real Kafka Connect worker for lead-router's tests: Apache Kafka Connect
# (standalone mode, the broker's version) with Apicurio's registry-aware Avro
# converter on its class path and Debezium's JDBC sink connector (with the
# PostgreSQL driver) in its plugin folder, all from Maven Central (pom.xml and
# jdbc-sink/pom.xml beside this script), cached, run on a free loopback port.
# It starts with no connector: tests create theirs through the REST API,
#   PUT $CONNECT_URL/connectors/<name>/config   (a JSON object of settings)
# and its offsets stay in the state directory.
#
#   tests/connect/connect.sh install   fetch the worker and the plugin into the cache
#   tests/connect/connect.sh start     install if needed, start, wait until the REST API
#                                      lists the JDBC sink, print env
#   tests/connect/connect.sh stop      stop the worker and delete its offsets
#   tests/connect/connect.sh status    report pid, address, memory; exit 3 when not running
#   tests/connect/connect.sh env       print the CONNECT_* lines of a running worker
#
# `start` needs the broker: KAFKA_BOOTSTRAP=host:port (as broker.sh start prints;
# export it) or LR_KAFKA_BOOTSTRAP (as the integration tests name it).
# `start` and `env` print shell assignments on stdout, first of all
#   CONNECT_URL=http://127.0.0.1:<port>
# then CONNECT_PID, CONNECT_LOG, CONNECT_STATE_DIR, so
# `eval "$(tests/connect/connect.sh start)"` works; progress goes to stderr.
# Every failure exits non-zero with the reason (and the tail of the worker's log).
#
# Environment (all optional but KAFKA_BOOTSTRAP):
#   KAFKA_BOOTSTRAP           the broker the worker and its connectors use
#                             (else LR_KAFKA_BOOTSTRAP)
#   LR_KAFKA_VERSION          Kafka release of the worker (default 3.9.2, as broker.sh)
#   LR_CACHE_DIR              cache root (default $HOME/.cache/lead-router); jars go to
#                             $LR_CACHE_DIR/kafka-connect-<version>/{libs,plugins}
#   LR_CONNECT_STATE_DIR      pid, config, offsets and log (default
#                             ${TMPDIR:-/tmp}/lead-router-connect-<uid>); one worker per dir
#   LR_CONNECT_START_TIMEOUT  seconds to wait for readiness (default 180)
#   LR_CONNECT_HEAP_OPTS      JVM heap flags (default "-Xms64m -Xmx384m")
#   MAVEN_OPTS                as usual, e.g. -Dmaven.repo.local=DIR for a fresh repository
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PART=connect.sh
STATE_DIR=${LR_CONNECT_STATE_DIR:-${TMPDIR:-/tmp}/lead-router-connect-$(id -u)}
SERVER_LOG=$STATE_DIR/connect.log
# shellcheck source=../lib/part.sh
. "$HERE/../lib/part.sh"

KAFKA_VERSION=${LR_KAFKA_VERSION:-3.9.2}
WHAT="Kafka Connect $KAFKA_VERSION"
INSTALL_DIR=$CACHE_ROOT/kafka-connect-$KAFKA_VERSION
LIBS=$INSTALL_DIR/libs
PLUGINS=$INSTALL_DIR/plugins
CONFIG=$STATE_DIR/worker.properties
LOG4J=$STATE_DIR/log4j.properties
START_TIMEOUT=${LR_CONNECT_START_TIMEOUT:-180}
HEAP_OPTS=${LR_CONNECT_HEAP_OPTS:--Xms64m -Xmx384m}
SINK_CLASS=io.debezium.connector.jdbc.JdbcSinkConnector
KAFKA_BOOTSTRAP=${KAFKA_BOOTSTRAP:-${LR_KAFKA_BOOTSTRAP:-}}
PID="" PORT=""

install_stamp() {
    echo "kafka=$KAFKA_VERSION layout=2 poms=$(part_digest "$HERE/pom.xml" "$HERE/jdbc-sink/pom.xml")"
}

installed() {
    [[ -f $INSTALL_DIR/.installed && $(cat "$INSTALL_DIR/.installed") == "$(install_stamp)" ]]
}

install_connect() {
    installed && return 0
    part_need_java yes
    part_install_lock "$INSTALL_DIR"
    installed && return 0
    local libs=$LIBS.tmp.$$ plugins=$PLUGINS.tmp.$$ log=$INSTALL_DIR/mvn.log t0=$SECONDS
    say "installing $WHAT, Apicurio's converter and Debezium's JDBC sink from Maven Central"
    rm -rf "$libs" "$plugins"
    : >"$log"
    part_mvn "$log" "Maven could not fetch $WHAT and the converter" -f "$HERE/pom.xml" \
        -Dkafka.version="$KAFKA_VERSION" dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$libs"
    part_mvn "$log" "Maven could not fetch Debezium's JDBC sink" -f "$HERE/jdbc-sink/pom.xml" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$plugins/debezium-jdbc"
    [[ -f $libs/connect-runtime-$KAFKA_VERSION.jar ]] \
        || die "Maven finished but connect-runtime-$KAFKA_VERSION.jar is missing from $libs"
    compgen -G "$plugins/debezium-jdbc/debezium-connector-jdbc-*.jar" >/dev/null \
        || die "Maven finished but the JDBC sink's jar is missing from $plugins/debezium-jdbc"
    converter_manifest "$libs/lr-apicurio-converter-services.jar"
    rm -rf "$LIBS" "$PLUGINS"
    mv "$libs" "$LIBS"
    mv "$plugins" "$PLUGINS"
    install_stamp >"$INSTALL_DIR/.installed"
    say "installed $(find "$LIBS" "$PLUGINS" -name '*.jar' | wc -l) jars in $((SECONDS - t0)) s"
}

# The worker finds its plugins through ServiceLoader manifests
# (plugin.discovery=service_load): scanning every class of the JDBC sink's
# folder instead costs 20-30 s per start. Apicurio's converter jar has no
# manifest, so a jar of ours beside it names the converter classes.
converter_manifest() {
    python3 - "$1" <<'PY' || die "could not write the converter's ServiceLoader manifest"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("META-INF/services/org.apache.kafka.connect.storage.Converter",
               "io.apicurio.registry.utils.converter.AvroConverter\n"
               "io.apicurio.registry.utils.converter.ExtJsonConverter\n")
PY
}

running() { part_running "ConnectStandalone $CONFIG"; }

stop_server() { part_kill "$PID" 30; }

forget() { rm -rf "$STATE_DIR/offsets" "$CONFIG" "$LOG4J"; }

describe() { echo "url=http://127.0.0.1:$PORT rss_kb=$(part_rss_kb "$PID")"; }

print_env() {
    echo "CONNECT_URL=http://127.0.0.1:$PORT"
    echo "CONNECT_PID=$PID"
    echo "CONNECT_LOG=$SERVER_LOG"
    echo "CONNECT_STATE_DIR=$STATE_DIR"
}

write_config() {
    cat >"$CONFIG" <<EOF
# Written by tests/connect/connect.sh: a standalone worker; connectors come by REST.
bootstrap.servers=$KAFKA_BOOTSTRAP
listeners=http://127.0.0.1:$PORT
rest.advertised.host.name=127.0.0.1
rest.advertised.port=$PORT
plugin.path=$PLUGINS
plugin.discovery=service_load
# Defaults only: every test's connector names its own converters.
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
offset.storage.file.filename=$STATE_DIR/offsets/standalone.offsets
offset.flush.interval.ms=1000
# Tests may tune the sink's consumer (consumer.override.*) per connector.
connector.client.config.override.policy=All
EOF
    cat >"$LOG4J" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.org.apache.kafka.clients=WARN
log4j.logger.org.apache.kafka.common.config.AbstractConfig=WARN
log4j.logger.org.reflections=ERROR
log4j.logger.org.hibernate=WARN
log4j.logger.com.mchange=WARN
EOF
}

# Ready when the REST API answers and lists the JDBC sink among its plugins.
sink_listed() {
    python3 - "http://127.0.0.1:$PORT/connector-plugins" "$SINK_CLASS" <<'PY' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    plugins = json.load(r)
sys.exit(0 if any(p.get("class") == sys.argv[2] for p in plugins) else 1)
PY
}

cmd_start() {
    part_already_running && return 0
    [[ -n $KAFKA_BOOTSTRAP ]] || die "start needs KAFKA_BOOTSTRAP=host:port (the broker)"
    install_connect
    part_need_java no
    mkdir -p "$STATE_DIR/offsets"
    PORT=$(part_free_port) || die "could not find a free loopback port"
    write_config
    echo "===== $PART: $WHAT on 127.0.0.1:$PORT, broker $KAFKA_BOOTSTRAP, at $(date -u +%FT%TZ) =====" \
        >"$SERVER_LOG"
    local heap
    read -r -a heap <<<"$HEAP_OPTS"
    (cd "$STATE_DIR" && exec nohup java "${heap[@]}" -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError \
        -XX:TieredStopAtLevel=1 -Djava.awt.headless=true "-Dlog4j.configuration=file:$LOG4J" \
        -cp "$LIBS/*" org.apache.kafka.connect.cli.ConnectStandalone "$CONFIG" \
        >>"$SERVER_LOG" 2>&1 </dev/null) &
    PID=$!
    part_save_state PID PORT
    part_wait_ready "$PID" "$START_TIMEOUT" "$WHAT on 127.0.0.1:$PORT" sink_listed
    print_env
}

case ${1:-} in
install) install_connect && say "$WHAT is in $LIBS, its plugins in $PLUGINS" ;;
start) cmd_start ;;
stop) part_cmd_stop ;;
status) part_cmd_status ;;
env) part_cmd_env ;;
*) part_usage ;;
esac
