#!/usr/bin/env bash
# Replays tests/golden/<case>/input.jsonl with <case>/config.yaml and compares
# the output with <case>/expected.jsonl byte for byte. <case>/until, if
# present, holds the --until time. Replay must also be deterministic: a
# second run must give the same bytes.
#   run_golden.sh BINARY CASE_DIR [--update]
set -euo pipefail
bin=$1 dir=$2
args=(replay -c "$dir/config.yaml" --input "$dir/input.jsonl" --quiet)
[ -f "$dir/until" ] && args+=(--until "$(tr -d '\n' < "$dir/until")")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" "${args[@]}" --output "$tmp/out1.jsonl"
"$bin" "${args[@]}" --output "$tmp/out2.jsonl"
if ! cmp -s "$tmp/out1.jsonl" "$tmp/out2.jsonl"; then
  echo "FAIL: two replays of $(basename "$dir") differ" >&2
  diff "$tmp/out1.jsonl" "$tmp/out2.jsonl" | head -20 >&2
  exit 1
fi
if [ "${3:-}" = --update ]; then
  cp "$tmp/out1.jsonl" "$dir/expected.jsonl"
  echo "updated $dir/expected.jsonl"
  exit 0
fi
if ! diff -u "$dir/expected.jsonl" "$tmp/out1.jsonl" >&2; then
  echo "FAIL: $(basename "$dir"): output differs from expected.jsonl" >&2
  exit 1
fi
echo "ok: $(basename "$dir") ($(wc -l < "$tmp/out1.jsonl") events)"
