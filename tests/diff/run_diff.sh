#!/usr/bin/env bash
# Diffs tests/diff/<case>/current.yaml against proposed.yaml over input.jsonl
# and compares the report (expected.txt), the JSON (expected.json) and the
# per-lead file (expected-leads.jsonl) byte for byte; the first line of
# <case>/changed holds the number of leads that must change owner or stage,
# and --fail-if-changed-more-than must exit 3 just below that share and 0 at
# it. Two runs must give the same bytes.
#   run_diff.sh BINARY CASE_DIR [--update]
set -euo pipefail
bin=$1 dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$dir"
args=(diff -c current.yaml -c proposed.yaml --input input.jsonl)
"$bin" "${args[@]}" --leads "$tmp/leads1.jsonl" > "$tmp/report1.txt"
"$bin" "${args[@]}" --leads "$tmp/leads2.jsonl" > "$tmp/report2.txt"
"$bin" "${args[@]}" --json > "$tmp/report.json"
if ! cmp -s "$tmp/report1.txt" "$tmp/report2.txt" || ! cmp -s "$tmp/leads1.jsonl" "$tmp/leads2.jsonl"; then
  echo "FAIL: two diffs of $(basename "$dir") differ" >&2
  exit 1
fi
if [ "${3:-}" = --update ]; then
  cp "$tmp/report1.txt" expected.txt
  cp "$tmp/report.json" expected.json
  cp "$tmp/leads1.jsonl" expected-leads.jsonl
  echo "updated $dir"
  exit 0
fi
fail=0
diff -u expected.txt "$tmp/report1.txt" >&2 || fail=1
diff -u expected.json "$tmp/report.json" >&2 || fail=1
diff -u expected-leads.jsonl "$tmp/leads1.jsonl" >&2 || fail=1
# the known number of moved leads, independently of the expected files
want=$(head -n1 changed)
got=$(wc -l < "$tmp/leads1.jsonl")
grep -q "^leads decided [0-9]*: $want change owner or stage" "$tmp/report1.txt" || {
  echo "FAIL: the report does not say $want leads change" >&2; fail=1; }
[ "$got" -eq "$want" ] || { echo "FAIL: $got per-lead lines, want $want" >&2; fail=1; }
decided=$(sed -n 's/^leads decided \([0-9]*\):.*/\1/p' "$tmp/report1.txt")
pct=$(awk -v c="$want" -v d="$decided" 'BEGIN { printf "%.4f", 100 * c / d }')
below=$(awk -v p="$pct" 'BEGIN { printf "%.4f", p - 0.01 }')
set +e
"$bin" "${args[@]}" --fail-if-changed-more-than "$below" > /dev/null 2>&1; rc_below=$?
"$bin" "${args[@]}" --fail-if-changed-more-than "$pct" > /dev/null 2>&1; rc_at=$?
set -e
[ "$rc_below" -eq 3 ] || { echo "FAIL: --fail-if-changed-more-than $below exited $rc_below, want 3" >&2; fail=1; }
[ "$rc_at" -eq 0 ] || { echo "FAIL: --fail-if-changed-more-than $pct exited $rc_at, want 0" >&2; fail=1; }
[ "$fail" -eq 0 ] || { echo "FAIL: $(basename "$dir")" >&2; exit 1; }
echo "ok: $(basename "$dir") ($want of $decided leads change)"
