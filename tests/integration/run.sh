#!/usr/bin/env bash
# Runs every integration test (tests/integration/test_*.py) against ONE real
# Kafka broker, started here with tests/kafka/broker.sh and stopped at the end.
#
#   tests/integration/run.sh --binary build/lead-router [test_routing.py ...]
#
# Uses $LR_PYTHON (default python3) and installs the packages of
# requirements.txt into it first (set LR_IT_NO_PIP=1 to skip that). Prints each file's output
# and closes with the total "N passed, M failed"; exits non-zero when any test
# failed, when a file died without its summary line, or when the broker could
# not start. (ctest runs the same files one by one, each with its own broker.)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BROKER=$HERE/../kafka/broker.sh
PYTHON=${LR_PYTHON:-python3}

binary=""
files=()
while (($#)); do
    case $1 in
    --binary)
        binary=${2:?--binary needs a path}
        shift
        ;;
    *) files+=("$1") ;;
    esac
    shift
done
[[ -n $binary ]] || { echo "usage: $0 --binary PATH [test files...]" >&2; exit 2; }
if ((${#files[@]} == 0)); then
    files=("$HERE"/test_*.py)
fi

if [[ ${LR_IT_NO_PIP:-0} != 1 ]]; then
    "$PYTHON" -m pip install -q --disable-pip-version-check -r "$HERE/requirements.txt"
fi

LR_KAFKA_STATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/lr-it-kafka-XXXXXX")
export LR_KAFKA_STATE_DIR
cleanup() {
    "$BROKER" stop || true
    rm -rf "$LR_KAFKA_STATE_DIR"
}
trap cleanup EXIT

if ! env_lines=$("$BROKER" start); then
    echo "run.sh: the Kafka broker could not start" >&2
    echo "0 passed, ${#files[@]} failed"
    exit 1
fi
eval "$env_lines"
export LR_KAFKA_BOOTSTRAP=$KAFKA_BOOTSTRAP

passed=0
failed=0
for file in "${files[@]}"; do
    [[ -f $file ]] || file=$HERE/$file
    echo "==== $(basename "$file")"
    out=$(mktemp)
    set +e
    "$PYTHON" "$file" --binary "$binary" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    set -e
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1 || true)
    rm -f "$out"
    if [[ -z $summary ]]; then
        echo "run.sh: $(basename "$file") exited with code $rc and no summary line"
        failed=$((failed + 1))
        continue
    fi
    read -r p _ f _ <<<"$summary"
    passed=$((passed + p))
    failed=$((failed + f))
    if ((rc != 0 && f == 0)); then
        echo "run.sh: $(basename "$file") exited with code $rc"
        failed=$((failed + 1))
    fi
done
"$BROKER" status || true
echo "$passed passed, $failed failed"
((failed == 0))
