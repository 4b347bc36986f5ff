#!/usr/bin/env bash
# The command line: help and version, `check` on the example and on broken
# configurations (FILE:LINE on standard error, exit 1), hostile ones under a
# 100 MB address-space cap, usage errors (exit 2),
# and replay: standard input, read errors, times before 2000, events that go
# back in time, --until bounds; replay --from-kafka's and diff's usage errors,
# diff's exit codes. Prints "N passed, M failed".
set -u
bin=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
# Hostile inputs run under a 100 MB address-space cap, so that a parser that
# would need more fails here. An ASan build (tests/sanitize/run.sh sets
# LR_SANITIZED) reserves terabytes of shadow address space at start and
# cannot run under any such cap: there the same checks run uncapped, and ASan
# itself reports what a cap would have caught as a wild allocation.
aslimit="prlimit --as=$((100 << 20))"
[ -n "${LR_SANITIZED:-}" ] && aslimit=""
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# expect CODE PATTERN CMD...: exit code and a pattern in stdout+stderr
expect() {
  local code=$1 pattern=$2
  shift 2
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" != "$code" ]; then bad "$* exited $rc, wanted $code: $out"; return; fi
  if ! grep -qE -- "$pattern" <<<"$out"; then bad "$*: no '$pattern' in: $out"; return; fi
  ok
}

expect 0 "^lead-router [0-9]+\.[0-9]+\.[0-9]+$" "$bin" --version
expect 0 "Commands:" "$bin" --help
for cmd in run demo replay diff check; do
  expect 0 "Usage: lead-router $cmd" "$bin" "$cmd" --help
done
expect 2 "no command given" "$bin"
expect 2 "unknown command 'rout'" "$bin" rout
expect 2 "check needs -c CONFIG" "$bin" check
expect 2 "run needs -c CONFIG" "$bin" run
expect 2 "--seconds takes a positive number" "$bin" demo --seconds -3

example=$root/docs/lead-router.example.yaml
expect 0 "ok \(4 teams, 10 reps, 3 tiers" "$bin" check -c "$example"
# the example's teams share reps and have account owners: one domain, plus the unrouted one
expect 0 "^routing domains: 2 \(emea_enterprise, ~unrouted\); kafka.topics.repartition is not set" \
  "$bin" check -c "$example"
expect 2 "transactional-id is empty" "$bin" run -c "$example" --transactional-id ""

# one mistake at a time, each reported with the file and the line it is on
broken() { # NAME SED-EXPRESSION PATTERN
  sed "$2" "$example" > "$tmp/$1.yaml"
  expect 1 "^$tmp/$1.yaml:[0-9]+: .*$3" "$bin" check -c "$tmp/$1.yaml"
}
broken unknown_key 's/^  group_id: lead-router$/  group_idd: lead-router/' "unknown key 'group_idd'"
broken bad_duration 's/^  commit_interval: 100ms/  commit_interval: 100 parsecs/' "unknown unit"
broken bad_zone 's#timezone: America/Chicago#timezone: America/Chicagoo#' "unknown time zone 'America/Chicagoo'"
broken bad_strategy 's/strategy: least_loaded/strategy: least_busy/' "least_busy"
broken bad_weight 's/weight: 2 }/weight: two }/' "two"
broken unknown_rep 's/{ rep: hans }/{ rep: hanz }/' "hanz"
broken bad_tier 's/^      tier: hot$/      tier: scorching/' "scorching"
broken unknown_section 's/^sla:$/slaa:/' "unknown section 'slaa'"
broken bad_yaml 's/^  group_id: lead-router$/  group_id: [lead-router/' "YAML"
# shared mode needs stage 1's table of recent leads, and the table needs shared mode
broken repartition_alone 's/^    # repartition: lead-router-repartition/    repartition: lr-rep/' \
  "kafka.topics.repartition needs kafka.topics.lead_domains"
broken lead_domains_alone 's/^    # lead_domains: lead-router-lead-domains/    lead_domains: lr-ld/' \
  "kafka.topics.lead_domains is only used with kafka.topics.repartition"
broken memory_alone 's/^  # lead_domains_memory: 30d/  lead_domains_memory: 30d/' \
  "kafka.lead_domains_memory is only used with kafka.topics.repartition"
broken memory_short 's/^  # lead_domains_memory: 30d/  lead_domains_memory: 1d/; s/^    # repartition: lead-router-repartition/    repartition: lr-rep/; s/^    # lead_domains: lead-router-lead-domains/    lead_domains: lr-ld/' \
  "kafka.lead_domains_memory .86400000 ms. is shorter than qualification.duplicate_window"
# the line number is the line of the mistake
sed 's/^  group_id: lead-router$/  group_idd: lead-router/' "$example" > "$tmp/line.yaml"
line=$(grep -n "group_idd" "$tmp/line.yaml" | cut -d: -f1)
expect 1 "^$tmp/line.yaml:$line: " "$bin" check -c "$tmp/line.yaml"
expect 1 "cannot open" "$bin" check -c "$tmp/missing.yaml"

# hostile configurations: each refused at its line with a clean error (exit 1,
# no crash) while the address space is capped at 100 MB, so the peak memory of
# `check` on them stays under that (docs/configuration.md, "Limits")
hostile() { # NAME PATTERN: $tmp/NAME.yaml is already written
  expect 1 "^$tmp/$1.yaml:$2" $aslimit "$bin" check -c "$tmp/$1.yaml"
}
sed 's/regex: "(?i)(chief|vp|vice president|head of|director)"/regex: "x++++++++++++++++++++++++"/' \
  "$example" > "$tmp/regex.yaml"
line=$(grep -n 'regex: "x++' "$tmp/regex.yaml" | head -n1 | cut -d: -f1)
hostile regex "$line: regex 'x\+{24}' is too costly: repetition of a repetition at byte 2$"
: > "$tmp/empty.yaml"
hostile empty "1: the configuration routes nothing: no teams and no reps$"
printf '# nothing but comments\nkafka:\n  group_id: g\n' > "$tmp/no_teams.yaml"
hostile no_teams "1: the configuration routes nothing: no teams and no reps$"
yes '# a comment line' | head -c $((17 << 20)) > "$tmp/huge.yaml"
hostile huge "[0-9]+: the file is larger than 16777216 bytes \(16 MiB\)$"
{ echo "reps:"; seq 1 200000 | sed 's/^/  - /'; } > "$tmp/long_list.yaml"
hostile long_list "100002: more than 100000 entries in one map or list$"
{ for l in 1 2 3 4 5 6; do echo "l$l:"; seq 1 99999 | sed 's/^/  - /'; done; } > "$tmp/many_nodes.yaml"
hostile many_nodes "[0-9]+: more than 500000 keys, values and items in the file$"
{ printf 'reps: '; head -c 100000 /dev/zero | tr '\0' '['; } > "$tmp/deep.yaml"
hostile deep "1: nested deeper than 64 levels$"
{ printf 'kafka:\n  group_id: "'; head -c $((1 << 20)) /dev/zero | tr '\0' x; printf '"\n'; } > "$tmp/long_value.yaml"
hostile long_value "2: a value longer than 65536 bytes$"
printf 'kafka:\n  group_id: g\n\n  transactional_id: \xff\xfe\n' > "$tmp/bad_utf8.yaml"
hostile bad_utf8 "4: bad bytes: invalid leading UTF-8 octet"
printf 'kafka:\n  group_id: g\n  transactional_id: a\0b\n' > "$tmp/nul.yaml"
hostile nul "3: bad bytes: control characters are not allowed"
# a map of 99,999 keys is within the limits: loaded in linear time
{ echo "kafka:"; echo "  properties:"; seq 1 99999 | sed 's/.*/    p&: v/'; sed -n '/^scoring:/,$p' "$example"; } \
  > "$tmp/wide.yaml"
expect 0 "^$tmp/wide.yaml: ok " $aslimit "$bin" check -c "$tmp/wide.yaml"

# replay from standard input to standard output
lead='{"type":"lead","lead_id":"C-1","event_time":"2026-11-17T15:00:00Z","country":"JP","region":"APAC","consent":true,"activities":[{"type":"demo_request","at":"2026-11-17T14:59:00Z"}]}'
expect 0 '"type":"decision","lead_id":"C-1"' sh -c "echo '$lead' | '$bin' replay -c '$example' -q"
expect 1 "<stdin>:1: unknown field 'bogus'" sh -c "echo '{\"type\":\"lead\",\"bogus\":1}' | '$bin' replay -c '$example' -q"

# replay's errors: a read error is an error, not the end of the input
expect 1 "^$tmp: cannot read: Is a directory$" "$bin" replay -c "$example" -q --input "$tmp"
expect 1 "$tmp/none.jsonl: No such file" "$bin" replay -c "$example" -q --input "$tmp/none.jsonl"
# a time before 2000 is refused at FILE:LINE: seconds where milliseconds are expected
printf '%s\n' "$lead" '{"type":"lead","lead_id":"C-2","event_time":1795169700}' > "$tmp/seconds.jsonl"
expect 1 "^$tmp/seconds.jsonl:2: contract violation: event_time is before 2000-01-01: seconds given where milliseconds are expected\?$" \
  "$bin" replay -c "$example" -q --input "$tmp/seconds.jsonl" --output "$tmp/out.jsonl"
# an event that goes back in time: warned at its line, counted in the summary, still decided
printf '%s\n' "$lead" '{"type":"lead","lead_id":"C-0","event_time":"2026-11-17T14:00:00Z"}' > "$tmp/back.jsonl"
expect 0 "^$tmp/back.jsonl:2: warning: event goes back in time by 3600000 ms" \
  "$bin" replay -c "$example" --input "$tmp/back.jsonl" --output "$tmp/out.jsonl"
expect 0 "^events back in time: 1 " "$bin" replay -c "$example" --input "$tmp/back.jsonl" --output "$tmp/out.jsonl"
expect 0 '"lead_id":"C-0"' cat "$tmp/out.jsonl"
# a line over kafka.max_message_bytes (1 MiB in the example) is refused at its
# line after reading just over 1 MiB of it: 150 MB on standard input do not
# fit under a 100 MB address-space cap, and need not
expect 1 "^<stdin>:2: line longer than 1048576 bytes \(kafka.max_message_bytes\)$" \
  sh -c "{ echo '$lead'; printf '{\"type\":\"lead\",\"company_name\":\"'; head -c 157286400 /dev/zero | tr '\\\\0' x; } | $aslimit '$bin' replay -c '$example' -q"
# a field of 1,000,000 bytes, within the line limit, is decided
{ printf '%s' "${lead%%\"activities\"*}\"company_name\":\""; head -c 1000000 /dev/zero | tr '\0' x
  printf '",%s\n' "\"activities\"${lead#*\"activities\"}"; } > "$tmp/big_field.jsonl"
expect 0 '"type":"decision","lead_id":"C-1"' \
  $aslimit "$bin" replay -c "$example" -q --input "$tmp/big_field.jsonl"
# qualification.max_leads: at 1, C-1 is assigned and holds the only record, so
# C-2 and C-3 are shed: one warning line (at the first), the count in the summary,
# and no event of theirs
sed 's/^  # max_leads: 5000000 .*/  max_leads: 1/' "$example" > "$tmp/max1.yaml"
{ echo "$lead"; echo "$lead" | sed 's/C-1/C-2/'; echo "$lead" | sed 's/C-1/C-3/'; } > "$tmp/three.jsonl"
expect 0 "^$tmp/three.jsonl:2: warning: the lead table is full \(qualification.max_leads 1\): new leads are shed \(over_capacity\) until records close$" \
  "$bin" replay -c "$tmp/max1.yaml" --input "$tmp/three.jsonl" --output "$tmp/three.out"
expect 0 "^shed: 2 new leads, the lead table was full \(qualification.max_leads\)$" \
  "$bin" replay -c "$tmp/max1.yaml" --input "$tmp/three.jsonl" --output "$tmp/three.out"
expect 0 "^1$" sh -c "'$bin' replay -c '$tmp/max1.yaml' --input '$tmp/three.jsonl' --output /dev/null 2>&1 | grep -c 'lead table is full'"
expect 0 '"lead_id":"C-1"' cat "$tmp/three.out"
expect 1 "^$" grep 'C-[23]' "$tmp/three.out"
# --until is range-checked: usage error, exit 2
for until in 99999999999999999999 1795169700 -5 10000-01-01T00:00:00Z 2026-13-01T00:00:00Z; do
  expect 2 "--until takes an ISO-8601 UTC time or milliseconds, from 2000-01-01 to 9999-12-31" \
    "$bin" replay -c "$example" -q --until "$until"
done
expect 0 '"lead_id":"C-1"' sh -c "echo '$lead' | '$bin' replay -c '$example' -q --until 2026-11-20T00:00:00Z"

# replay --from-kafka and diff: usage errors exit 2 before anything is read
expect 2 "--from-kafka needs --since TIME" "$bin" replay -c "$example" --from-kafka
expect 2 "--since goes with --from-kafka" "$bin" replay -c "$example" --since 2026-11-17T00:00:00Z
expect 2 "--input and --from-kafka exclude each other" \
  "$bin" replay -c "$example" --from-kafka --since 2026-11-17T00:00:00Z --input x.jsonl
expect 2 "--until must be after --since" \
  "$bin" replay -c "$example" --from-kafka --since 2026-11-17T00:00:00Z --until 2026-11-16T00:00:00Z
expect 2 "--since takes an ISO-8601 UTC time" "$bin" replay -c "$example" --from-kafka --since yesterday
expect 2 "--from-state goes with --from-kafka" "$bin" replay -c "$example" --from-state
expect 2 "--from-state goes with --from-kafka" "$bin" diff -c "$example" -c "$example" \
  --input x.jsonl --from-state
expect 2 "diff needs -c CURRENT -c PROPOSED" "$bin" diff -c "$example" --input x.jsonl
expect 2 "diff takes exactly two -c" "$bin" diff -c a -c b -c c
expect 2 "diff needs --input FILE or --from-kafka" "$bin" diff -c "$example" -c "$example"
expect 2 "--fail-if-changed-more-than takes 0 to 100" \
  "$bin" diff -c "$example" -c "$example" --input x.jsonl --fail-if-changed-more-than 120
# diff: a rulebook against itself changes nothing and passes the strictest check
echo "$lead" > "$tmp/one.jsonl"
expect 0 "^leads decided 1: 0 change owner or stage" \
  "$bin" diff -c "$example" -c "$example" --input "$tmp/one.jsonl" --fail-if-changed-more-than 0
expect 0 '^\{"before":".*","decided":1,"changed":0,' \
  "$bin" diff -c "$example" -c "$example" --input "$tmp/one.jsonl" --json
expect 1 "$tmp/none.jsonl: No such file" "$bin" diff -c "$example" -c "$example" --input "$tmp/none.jsonl"
expect 1 "^$tmp/bad.yaml:1: " sh -c "echo 'bogus: 1' > '$tmp/bad.yaml'; '$bin' diff -c '$example' -c '$tmp/bad.yaml' --input '$tmp/one.jsonl'"
# a Kafka that is not there is an error (exit 1), never an empty replay
sed 's/127.0.0.1:9092/127.0.0.1:1/' "$example" > "$tmp/nokafka.yaml"
expect 1 "^kafka: topic leads: " \
  "$bin" replay -q -c "$tmp/nokafka.yaml" --from-kafka --since 2026-11-17T00:00:00Z

# demo: the dashboard's address is the first line, and it answers while the
# demo runs; the person's table comes before the JSON summary, still the last line
"$bin" demo --seconds 4 > "$tmp/demo.out" 2>&1 &
demo_pid=$!
for _ in $(seq 100); do
  grep -q "^demo: dashboard at " "$tmp/demo.out" && break
  sleep 0.1
done
url=$(head -1 "$tmp/demo.out" | sed -n 's|^demo: dashboard at \(http://127.0.0.1:[0-9]*/\)$|\1|p')
if [ -z "$url" ]; then bad "demo's first line is not the dashboard's address: $(head -1 "$tmp/demo.out")"
elif ! python3 -c "import json,sys,urllib.request; d=json.load(urllib.request.urlopen(sys.argv[1]+'api/state', timeout=5)); assert 'teams' in d and 'clocks' in d" "$url" 2>/dev/null ||
     ! python3 -c "import sys,urllib.request; assert b'<title>lead-router dashboard' in urllib.request.urlopen(sys.argv[1], timeout=5).read()" "$url" 2>/dev/null; then
  bad "the dashboard at $url does not answer / and /api/state"
else ok; fi
wait "$demo_pid" || bad "demo exited $?"
if tail -1 "$tmp/demo.out" | python3 -c "import json,sys; assert json.loads(sys.stdin.read())['leads_in'] > 0" &&
   grep -q "^assignments (team/rep)" "$tmp/demo.out" && grep -q "^leads by stage" "$tmp/demo.out"; then ok
else bad "demo: no table, or the last line is not the JSON summary: $(tail -3 "$tmp/demo.out")"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
