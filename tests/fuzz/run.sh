#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz/ with clang (ASan + UBSan) in
# their own build dir and runs each on its seed corpus. Any crash, leak,
# timeout (-timeout=10) or out-of-memory (-rss_limit_mb=1024) fails the run;
# the input that did it is left in BUILD/artifacts/ and the command to replay
# it is printed.
#
#   tests/fuzz/run.sh                            every harness, 60 s each
#   tests/fuzz/run.sh --seconds 3600 fuzz_avro   one harness for an hour
#   tests/fuzz/run.sh --runs 10000000 fuzz_jsonl one harness for 10 M inputs
#
# Options: --seconds N (default 60), --runs N (instead of a time limit),
# --build DIR (default build/fuzz), -h/--help. Harnesses: fuzz_avro,
# fuzz_config, fuzz_jsonl (the "fuzz_" may be left off). New inputs that
# reach new code are kept in BUILD/corpus/<harness>/; the seeds in
# tests/fuzz/corpus/<harness>/ are only read. docs/operations.md, "Hardening".
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${LR_BUILD_DIR:-$root/build}/fuzz
seconds=60
runs=
names=()

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) names+=("fuzz_${1#fuzz_}"); shift ;;
  esac
done
if [ ${#names[@]} -eq 0 ]; then
  for src in "$root"/tests/fuzz/fuzz_*.c; do names+=("$(basename "$src" .c)"); done
fi
for name in "${names[@]}"; do
  [ -f "$root/tests/fuzz/$name.c" ] || { echo "run.sh: no harness $name" >&2; exit 2; }
done

command -v clang >/dev/null 2>&1 || {
  echo "run.sh: clang is missing (Debian package clang; .ci/deps test installs it)" >&2
  exit 1
}
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DLR_FUZZ=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${names[@]}" >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
limit=(-max_total_time="$seconds")
[ -n "$runs" ] && limit=(-runs="$runs")
status=0
for name in "${names[@]}"; do
  work="$build/corpus/$name"
  mkdir -p "$work" "$build/artifacts"
  dict=()
  [ -f "$root/tests/fuzz/$name.dict" ] && dict=(-dict="$root/tests/fuzz/$name.dict")
  echo "run.sh: $name: ${runs:-$seconds s}${runs:+ runs}"
  log="$build/$name.log"
  if "$build/$name" "${limit[@]}" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
       "${dict[@]}" -artifact_prefix="$build/artifacts/$name-" \
       "$work" "$root/tests/fuzz/corpus/$name" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    echo "run.sh: $name: ok, $execs inputs, $rate exec/s"
  else
    status=1
    tail -n 60 "$log" >&2
    echo "run.sh: $name FAILED (full log: $log); replay the input with:" >&2
    ls -t "$build/artifacts/$name-"* 2>/dev/null | head -n 1 | sed "s|^|  $build/$name |" >&2
  fi
done
exit $status
