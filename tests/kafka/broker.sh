#!/usr/bin/env bash
# A real, single-node Apache Kafka broker (KRaft mode) for lead-router's
# integration tests, installed from Maven Central and run on a free loopback port.
#
#   tests/kafka/broker.sh install          download the broker jars into the cache, then exit
#   tests/kafka/broker.sh start            install if needed, start, wait until ready, print env
#   tests/kafka/broker.sh stop             stop the broker and delete its data
#   tests/kafka/broker.sh restart [--hard] [--down SECONDS]
#                                          stop (SIGTERM, or SIGKILL with --hard), stay down
#                                          SECONDS, start again on the same port and data
#   tests/kafka/broker.sh status           report pid, address, memory; exit 3 when not running
#   tests/kafka/broker.sh env              print the KAFKA_* lines of a running broker
#
# `start`, `restart` and `env` print shell assignments on stdout, first of all
#   KAFKA_BOOTSTRAP=127.0.0.1:<port>
# so `eval "$(tests/kafka/broker.sh start)"` works; progress goes to stderr.
# Every failure exits non-zero with the reason (and the tail of the broker log).
#
# Environment (all optional):
#   LR_KAFKA_VERSION        Kafka 3.x release to run (default 3.9.2); pom.xml's logging
#                           backend and the log4j 1 configuration below are those of 3.x
#   LR_CACHE_DIR            cache root (default $HOME/.cache/lead-router); the jars
#                           go to $LR_CACHE_DIR/kafka-<version>/libs and are reused
#   LR_KAFKA_STATE_DIR      where pid, ports, config, data and log live (default
#                           ${TMPDIR:-/tmp}/lead-router-kafka-<uid>); one broker per state dir
#   LR_KAFKA_START_TIMEOUT  seconds to wait for readiness (default 120)
#   LR_KAFKA_STOP_TIMEOUT   seconds to wait after SIGTERM before SIGKILL (default 30)
#   LR_KAFKA_HEAP_OPTS      JVM heap flags (default "-Xms256m -Xmx1g")
#   LR_KAFKA_JVM_OPTS       more JVM flags, e.g. -XX:TieredStopAtLevel=1 (starts faster)
#   LR_KAFKA_PARTITIONS     num.partitions for topics created without a count (default 3)
#   LR_KAFKA_KEEP_DATA=1    `stop` keeps the data directory and log (for post-mortems)
#   LR_KAFKA_SASL_SSL=1     `start` adds a SASL_SSL listener (SCRAM-SHA-512 over TLS)
#                           beside the plaintext one: openssl makes a CA and a broker
#                           certificate for 127.0.0.1 (PEM stores) and the storage is
#                           formatted with a SCRAM user and a random password. Then
#                           start, restart and env also print
#                             KAFKA_SASL_SSL_BOOTSTRAP=127.0.0.1:<port>
#                             KAFKA_SSL_CA_LOCATION=<the CA's PEM file>
#                             KAFKA_SASL_USERNAME=lr-router
#                             KAFKA_SASL_PASSWORD=<the password>
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAFKA_VERSION=${LR_KAFKA_VERSION:-3.9.2}
CACHE_ROOT=${LR_CACHE_DIR:-${HOME:-/root}/.cache/lead-router}
INSTALL_DIR=$CACHE_ROOT/kafka-$KAFKA_VERSION
LIBS=$INSTALL_DIR/libs
STATE_DIR=${LR_KAFKA_STATE_DIR:-${TMPDIR:-/tmp}/lead-router-kafka-$(id -u)}
STATE_FILE=$STATE_DIR/state
CONFIG=$STATE_DIR/server.properties
LOG4J=$STATE_DIR/log4j.properties
BROKER_LOG=$STATE_DIR/broker.log
START_TIMEOUT=${LR_KAFKA_START_TIMEOUT:-120}
STOP_TIMEOUT=${LR_KAFKA_STOP_TIMEOUT:-30}
HEAP_OPTS=${LR_KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}
JVM_OPTS=${LR_KAFKA_JVM_OPTS:-}
PARTITIONS=${LR_KAFKA_PARTITIONS:-3}

# Filled by load_state.
PID="" PORT="" CPORT="" SPORT="" DATA_DIR="" CLUSTER_ID=""
JAVA_CMD=()
TLS_DIR=$STATE_DIR/tls
SASL_USER=lr-router

say() { echo "broker.sh: $*" >&2; }

log_tail() {
    if [[ -s $BROKER_LOG ]]; then
        echo "---- last 60 lines of $BROKER_LOG ----" >&2
        tail -n 60 "$BROKER_LOG" >&2
        echo "---- end of broker log ----" >&2
    fi
}

die() {
    echo "broker.sh: error: $*" >&2
    exit 1
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# ---------------------------------------------------------------- tools --

# Installs missing Debian packages when we are root, otherwise says exactly
# what to run: CI machines are fresh Debian boxes where we are root.
apt_install() {
    local pkgs=("$@")
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing ${pkgs[*]} with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2 || die "apt-get update failed"
        apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2 \
            || die "apt-get install ${pkgs[*]} failed"
    else
        die "missing ${pkgs[*]}; install with: sudo apt-get install -y ${pkgs[*]}"
    fi
}

java_major() {
    # First line looks like: openjdk version "17.0.15" 2025-04-15 (or "1.8.0_392").
    local v
    v=$(java -version 2>&1 | sed -n '1s/.*version "\([^"]*\)".*/\1/p')
    v=${v#1.}
    echo "${v%%[.+-]*}"
}

ensure_tools() {
    local need_mvn=$1 missing=()
    command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
    if [[ $need_mvn == yes ]] && ! command -v mvn >/dev/null 2>&1; then
        missing+=(maven)
    fi
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    if ((${#missing[@]})); then
        apt_install "${missing[@]}"
    fi
    [[ $KAFKA_VERSION =~ ^3\.[0-9]+\.[0-9]+$ ]] \
        || die "LR_KAFKA_VERSION=$KAFKA_VERSION: this script runs Kafka 3.x releases only" \
            "(4.x logs through log4j2 and needs another pom.xml)"
    local major
    major=$(java_major)
    [[ $major =~ ^[0-9]+$ ]] || die "cannot tell the Java version from 'java -version'"
    # Kafka 3.x brokers need Java 11+, 4.x brokers Java 17+.
    ((major >= 11)) || die "Kafka $KAFKA_VERSION needs Java 11 or newer, found Java $major" \
        "(on Debian: apt-get install -y openjdk-17-jre-headless)"
}

# -------------------------------------------------------------- install --

install_stamp() {
    # The cache is valid for one Kafka version and one content of pom.xml.
    echo "kafka=$KAFKA_VERSION pom=$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)"
}

installed() {
    [[ -f $LIBS/.installed && $(cat "$LIBS/.installed") == "$(install_stamp)" ]]
}

install_kafka() {
    if installed; then
        return 0
    fi
    ensure_tools yes
    mkdir -p "$INSTALL_DIR"
    # Two test processes may install at once: the second waits for the first.
    exec 9>"$INSTALL_DIR/.lock"
    if command -v flock >/dev/null 2>&1; then
        flock -w 1200 9 || die "timed out waiting for another install of Kafka $KAFKA_VERSION"
    fi
    if installed; then
        exec 9>&-
        return 0
    fi
    local tmp=$INSTALL_DIR/libs.tmp.$$ mvn_log=$INSTALL_DIR/mvn.log t0=$SECONDS
    rm -rf "$tmp"
    say "installing Apache Kafka $KAFKA_VERSION from Maven Central into $LIBS"
    if ! mvn -B -q -f "$HERE/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
        >"$mvn_log" 2>&1; then
        tail -n 40 "$mvn_log" >&2
        rm -rf "$tmp"
        die "Maven could not fetch Kafka $KAFKA_VERSION (full log: $mvn_log)"
    fi
    [[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar ]] \
        || die "Maven finished but kafka_2.13-$KAFKA_VERSION.jar is missing from $tmp"
    install_stamp >"$tmp/.installed"
    rm -rf "$LIBS"
    mv "$tmp" "$LIBS"
    exec 9>&-
    say "installed $(find "$LIBS" -name "*.jar" | wc -l) jars in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- state --

load_state() {
    PID="" PORT="" CPORT="" SPORT="" DATA_DIR="" CLUSTER_ID=""
    if [[ -f $STATE_FILE ]]; then
        # shellcheck disable=SC1090
        . "$STATE_FILE"
    fi
}

save_state() {
    mkdir -p "$STATE_DIR"
    cat >"$STATE_FILE.tmp" <<EOF
PID=$PID
PORT=$PORT
CPORT=$CPORT
SPORT=$SPORT
DATA_DIR=$DATA_DIR
CLUSTER_ID=$CLUSTER_ID
EOF
    mv "$STATE_FILE.tmp" "$STATE_FILE"
}

# True when PID is alive and still our broker (not a recycled pid).
running() {
    [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$PID/cmdline" 2>/dev/null | grep -q "kafka.Kafka $CONFIG"
}

rss_kb() {
    awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo "?"
}

print_env() {
    echo "KAFKA_BOOTSTRAP=127.0.0.1:$PORT"
    echo "KAFKA_BROKER_PID=$PID"
    echo "KAFKA_BROKER_LOG=$BROKER_LOG"
    echo "KAFKA_STATE_DIR=$STATE_DIR"
    echo "KAFKA_VERSION=$KAFKA_VERSION"
    if [[ -n $SPORT ]]; then
        echo "KAFKA_SASL_SSL_BOOTSTRAP=127.0.0.1:$SPORT"
        echo "KAFKA_SSL_CA_LOCATION=$TLS_DIR/ca.pem"
        echo "KAFKA_SASL_USERNAME=$SASL_USER"
        echo "KAFKA_SASL_PASSWORD=$(cat "$TLS_DIR/sasl.password")"
    fi
}

# --------------------------------------------------------------- config --

# Three distinct free loopback ports: the client listener, the controller's
# and the SASL_SSL listener's (used only with LR_KAFKA_SASL_SSL=1).
free_ports() {
    python3 - <<'EOF'
import socket
socks = []
for _ in range(3):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}

new_cluster_id() {
    # Kafka's own format: 16 random bytes, URL-safe base64 without padding,
    # never starting with '-' (it would read as a command-line option).
    python3 - <<'EOF'
import base64, uuid
while True:
    cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    if not cid.startswith("-"):
        print(cid)
        break
EOF
}

# A CA, a broker certificate it signs for 127.0.0.1 (clients check the name),
# the broker's PEM key store (key, then chain) and the SCRAM user's password.
# Fresh ones for every `start`: nothing here is a secret worth keeping.
make_tls() {
    command -v openssl >/dev/null 2>&1 || apt_install openssl
    rm -rf "$TLS_DIR"
    mkdir -p "$TLS_DIR"
    chmod 700 "$TLS_DIR"
    (
        cd "$TLS_DIR"
        openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout ca.key -out ca.pem \
            -subj "/CN=lead-router test CA" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
        openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=127.0.0.1"
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >broker.ext
        openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
            -extfile broker.ext -out broker.pem
        cat broker.key broker.pem ca.pem >broker-keystore.pem
        openssl rand -hex 16 >sasl.password
    ) >"$TLS_DIR/openssl.log" 2>&1 || { cat "$TLS_DIR/openssl.log" >&2; die "openssl could not make the test CA"; }
}

# The SASL_SSL listener's lines of server.properties (none without it).
sasl_ssl_config() {
    [[ -n $SPORT ]] || return 0
    cat <<EOF
# SASL_SSL (LR_KAFKA_SASL_SSL=1): SCRAM-SHA-512 over TLS, PEM stores, no client certificates.
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$TLS_DIR/broker-keystore.pem
ssl.client.auth=none
EOF
}

write_config() {
    local listeners="PLAINTEXT://127.0.0.1:$PORT" map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    if [[ -n $SPORT ]]; then
        listeners+=",SASL_SSL://127.0.0.1:$SPORT"
        map+=",SASL_SSL:SASL_SSL"
    fi
    cat >"$CONFIG" <<EOF
# Written by tests/kafka/broker.sh: one process is both KRaft controller and broker.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
listeners=$listeners,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=$listeners
listener.security.protocol.map=$map
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA_DIR
# One node: every internal topic has one replica.
num.partitions=$PARTITIONS
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Fewer internal partitions than the default 50: the first consumer group and
# the first transaction are ready in a fraction of the time.
offsets.topic.num.partitions=3
transaction.state.log.num.partitions=3
# Tests join groups and expect them to settle at once, and may use short sessions.
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
# After a hard kill the restarted broker cannot register until the controller
# has expired its previous session: 3 s instead of 9 s.
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=1000
# A transaction past its transaction.timeout.ms is aborted by the broker within
# a second instead of ten: the test of an outage longer than that timeout sees
# the broker's own abort (and the fencing that comes with it) before the router
# is back, as it happens in production when the router reconnects late.
transaction.abort.timed.out.transaction.cleanup.interval.ms=1000
# Tests create their topics with the admin API; a typo must not create one.
auto.create.topics.enable=false
delete.topic.enable=true
# A 2-core machine.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.check.interval.ms=300000
$(sasl_ssl_config)
EOF
    cat >"$LOG4J" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.storage.internals.log=WARN
log4j.logger.kafka.log.LogManager=WARN
log4j.logger.kafka.cluster.Partition=WARN
log4j.logger.kafka.server.ReplicaFetcherManager=WARN
log4j.logger.org.apache.zookeeper=WARN
EOF
}

# The JVM command line, as an array: paths may hold spaces and the class path
# holds a '*' that the JVM, not the shell, must expand.
java_cmd() {
    local heap extra
    read -r -a heap <<<"$HEAP_OPTS"
    read -r -a extra <<<"$JVM_OPTS"
    JAVA_CMD=(java "${heap[@]}" "${extra[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExitOnOutOfMemoryError
        -Djava.awt.headless=true "-Dlog4j.configuration=file:$LOG4J"
        "-Dkafka.logs.dir=$STATE_DIR" -cp "$LIBS/*")
}

format_storage() {
    local out
    java_cmd
    local scram=()
    if [[ -n $SPORT ]]; then
        scram=(--add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$(cat "$TLS_DIR/sasl.password")]")
    fi
    if ! out=$("${JAVA_CMD[@]}" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$CONFIG" \
        "${scram[@]}" 2>&1); then
        echo "$out" >&2
        die "formatting the KRaft storage in $DATA_DIR failed"
    fi
}

launch() {
    {
        echo
        echo "===== broker.sh: starting Kafka $KAFKA_VERSION on 127.0.0.1:$PORT at $(date -u +%FT%TZ) ====="
    } >>"$BROKER_LOG"
    java_cmd
    nohup "${JAVA_CMD[@]}" kafka.Kafka "$CONFIG" >>"$BROKER_LOG" 2>&1 </dev/null &
    PID=$!
    save_state
}

wait_ready() {
    local t0=$SECONDS out=""
    while ((SECONDS - t0 < START_TIMEOUT)); do
        if ! kill -0 "$PID" 2>/dev/null; then
            log_tail
            die "the broker exited during startup (log: $BROKER_LOG)"
        fi
        if out=$(python3 "$HERE/kafka_probe.py" "127.0.0.1:$PORT" --timeout 2 2>/dev/null); then
            say "Kafka $KAFKA_VERSION ready on 127.0.0.1:$PORT after $((SECONDS - t0)) s ($out)"
            return 0
        fi
        sleep 0.25
    done
    log_tail
    kill -KILL "$PID" 2>/dev/null || true
    die "the broker did not answer on 127.0.0.1:$PORT within $START_TIMEOUT s (log: $BROKER_LOG)"
}

# Stops the process; returns once it is gone.
kill_broker() {
    local signal=$1 t0=$SECONDS
    running || return 0
    kill "-$signal" "$PID" 2>/dev/null || true
    while kill -0 "$PID" 2>/dev/null; do
        if ((SECONDS - t0 >= STOP_TIMEOUT)); then
            say "the broker ignored SIG$signal for $STOP_TIMEOUT s; killing it"
            kill -KILL "$PID" 2>/dev/null || true
        fi
        sleep 0.1
    done
}

# ------------------------------------------------------------- commands --

cmd_start() {
    load_state
    if running; then
        say "already running (pid $PID)"
        print_env
        return 0
    fi
    install_kafka
    ensure_tools no
    mkdir -p "$STATE_DIR"
    # A state left by a broker that died: its data is of no further use.
    if [[ -n $DATA_DIR && -d $DATA_DIR ]]; then
        rm -rf "$DATA_DIR"
    fi
    local ports
    ports=$(free_ports) || die "could not find free loopback ports"
    read -r PORT CPORT SPORT <<<"$ports"
    if [[ ${LR_KAFKA_SASL_SSL:-0} == 1 ]]; then
        make_tls
    else
        SPORT=""
    fi
    DATA_DIR=$(mktemp -d "$STATE_DIR/data.XXXXXX")
    CLUSTER_ID=$(new_cluster_id)
    : >"$BROKER_LOG"
    write_config
    format_storage
    launch
    wait_ready
    print_env
}

cmd_stop() {
    load_state
    if [[ -z $PID ]]; then
        say "not running (no state in $STATE_DIR)"
        return 0
    fi
    if running; then
        kill_broker TERM
        say "stopped (pid $PID)"
    else
        say "was not running (stale pid $PID)"
    fi
    if [[ ${LR_KAFKA_KEEP_DATA:-0} != 1 ]]; then
        [[ -n $DATA_DIR ]] && rm -rf "$DATA_DIR"
        rm -f "$CONFIG" "$LOG4J"
        rm -rf "$TLS_DIR"
    fi
    rm -f "$STATE_FILE"
}

cmd_restart() {
    local signal=TERM down=0
    while (($#)); do
        case $1 in
        --hard) signal=KILL ;;
        --down)
            [[ $# -ge 2 && $2 =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--down needs a number of seconds"
            down=$2
            shift
            ;;
        *) die "restart: unknown option $1" ;;
        esac
        shift
    done
    load_state
    [[ -n $PORT && -d $DATA_DIR && -f $CONFIG ]] \
        || die "restart: no broker was started from $STATE_DIR (run 'start' first)"
    if running; then
        kill_broker "$signal"
        say "stopped with SIG$signal (pid $PID)"
    fi
    if [[ $down != 0 ]]; then
        sleep "$down"
    fi
    launch
    wait_ready
    print_env
}

cmd_status() {
    load_state
    if running; then
        echo "running: Kafka $KAFKA_VERSION pid=$PID bootstrap=127.0.0.1:$PORT" \
            "controller=127.0.0.1:$CPORT rss_kb=$(rss_kb "$PID") data=$DATA_DIR log=$BROKER_LOG"
        return 0
    fi
    if [[ -n $PID ]]; then
        echo "not running: pid $PID from $STATE_DIR is gone (log: $BROKER_LOG)"
    else
        echo "not running (no state in $STATE_DIR)"
    fi
    return 3
}

cmd_env() {
    load_state
    running || die "no broker running from $STATE_DIR"
    print_env
}

main() {
    local cmd=${1:-}
    [[ -n $cmd ]] || usage
    shift
    case $cmd in
    install) install_kafka && say "Kafka $KAFKA_VERSION is in $LIBS" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    restart) cmd_restart "$@" ;;
    status) cmd_status "$@" ;;
    env) cmd_env "$@" ;;
    -h | --help | help) usage ;;
    *) usage ;;
    esac
}

main "$@"
