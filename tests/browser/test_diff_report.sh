#!/usr/bin/env bash
# The diff's HTML page in a real browser (headless Chromium, Debian's
# package, installed by chromium.sh): the page of tests/diff/weight loads
# with no console message at all (it has no script; a control page that
# logs proves the check sees messages), the DOM Chromium built holds the
# expected figures and the three charts, and a screenshot is kept as a
# test artifact in ARTIFACTS/diff.png (with the page, ARTIFACTS/diff.html).
#   test_diff_report.sh BINARY ARTIFACTS
set -euo pipefail
bin=$1 artifacts=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
case_dir=$root/tests/diff/weight
chromium=$("$root/tests/browser/chromium.sh")
mkdir -p "$artifacts"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

(cd "$case_dir" && "$bin" diff -c current.yaml -c proposed.yaml --input input.jsonl \
   --html "$artifacts/diff.html" > /dev/null)

# headless, without the sandbox (CI runs as root) or a GPU; its own profile
browse() {
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 "$@"
}

# the control: messages a page logs do show in the log
printf '<!DOCTYPE html><html><body><script>console.error("control-error")</script></body></html>\n' \
  > "$tmp/control.html"
browse --dump-dom "file://$tmp/control.html" > /dev/null 2> "$tmp/control.log" || true
grep -q 'CONSOLE.*"control-error"' "$tmp/control.log" ||
  bad "the control page's console.error is not in Chromium's log: the console check would see nothing"

browse --dump-dom "file://$artifacts/diff.html" > "$tmp/dom.html" 2> "$tmp/page.log" ||
  bad "chromium --dump-dom failed: $(tail -3 "$tmp/page.log")"
if grep -q 'CONSOLE' "$tmp/page.log"; then
  bad "console messages on the report page:"; grep 'CONSOLE' "$tmp/page.log" >&2
fi

# the figures of the weight case: 4 of 10 leads move to emea_commercial
expect_dom() { grep -qF -- "$1" "$tmp/dom.html" || bad "not in the DOM: $1"; }
expect_dom '</style></head><body>'
expect_dom '<b id="decided">10</b>'
expect_dom '<b id="changed">4</b>'
expect_dom '<span id="changed-pct">40.00</span>'
expect_dom '<span id="owner-changed">4</span>'
expect_dom '<tr><td>MARKETING_QUALIFIED</td><td style="text-align:left">SALES_READY</td><td>4</td></tr>'
expect_dom '<tr class="team"><td>emea_commercial</td><td>0</td><td>4</td><td class="up">+4</td></tr>'
expect_dom 'emea_commercial</text>'
for chart in chart-reps chart-flows chart-sla; do expect_dom "<svg id=\"$chart\""; done
rects=$(grep -o '<rect ' "$tmp/dom.html" | wc -l)
[ "$rects" -ge 20 ] || bad "only $rects bars drawn"

rm -f "$artifacts/diff.png"
browse --screenshot="$artifacts/diff.png" --window-size=1000,1800 --hide-scrollbars \
  "file://$artifacts/diff.html" > /dev/null 2> "$tmp/shot.log" || bad "the screenshot failed"
if [ ! -s "$artifacts/diff.png" ] || [ "$(head -c 4 "$artifacts/diff.png" | tail -c 3)" != PNG ]; then
  bad "no PNG screenshot at $artifacts/diff.png"
elif [ "$(stat -c %s "$artifacts/diff.png")" -lt 20000 ]; then
  bad "the screenshot is nearly empty ($(stat -c %s "$artifacts/diff.png") bytes)"
fi
[ "$fail" = 0 ] || exit 1
echo "ok: the diff report in Chromium; screenshot at $artifacts/diff.png"
