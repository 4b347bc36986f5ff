#!/usr/bin/env python3
"""The dashboard in a real browser while the router routes leads on a real
broker: headless Chromium (Debian's package, tests/browser/chromium.sh) loads
GET / of the router's listener, and the DOM it built is checked against what
the router published to Kafka.

  - every rep's open count on the page equals the assignments read back from
    the assignments topic (nobody touches the leads, so none closes);
  - a lead's countdown goes down between two loads of the page;
  - the latest decisions show each test lead with its rep and its reasons;
  - with a first-touch SLA of a few seconds, the breach shows (a row marked
    `breach`) once the deadline has passed;
  - no console message at all (a control page that logs proves the check
    sees messages), and no email or name in /api/state;
  - screenshots are kept in <build>/artifacts/dashboard-*.png.

Labels: integration, browser. Usage: test_dashboard.py --binary PATH/lead-router
"""
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import harness as h
from test_sla import hot_na_lead  # sales-ready, hot, routed to na_commercial

ROOT = Path(__file__).resolve().parents[2]
POLICY = "dash_first_touch"
FIRST_TOUCH_S = 12  # room for a slow machine to load the page before the breach
N_LEADS = 6


def state(base):
    with urllib.request.urlopen(f"{base}/api/state", timeout=5) as r:
        return json.loads(r.read().decode())


def poll_state(base, router, pred, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        router.check_alive()
        last = state(base)
        if last["filled"] and pred(last):
            return last
        time.sleep(0.2)
    raise AssertionError(f"/api/state: no {what} within {timeout} s (last: {last})")


class Browser:
    """Headless Chromium with a profile of its own; console messages are in
    its log (--enable-logging=stderr)."""

    def __init__(self, tmpdir):
        self.bin = subprocess.run([str(ROOT / "tests/browser/chromium.sh")], check=True,
                                  capture_output=True, text=True).stdout.strip()
        self.profile = Path(tempfile.mkdtemp(dir=tmpdir, prefix="chromium-"))

    def _run(self, url, *args):
        # the page polls every second: 3 s of its time runs the first polls
        p = subprocess.run([self.bin, "--headless", "--no-sandbox", "--disable-gpu",
                            "--no-first-run", f"--user-data-dir={self.profile}",
                            "--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000",
                            *args, url], capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, f"chromium failed on {url}: {p.stderr[-800:]}"
        console = [l for l in p.stderr.splitlines() if "CONSOLE" in l]
        return p.stdout, console

    def dom(self, url):
        return self._run(url, "--dump-dom")

    def screenshot(self, url, path):
        path.unlink(missing_ok=True)
        self._run(url, f"--screenshot={path}", "--window-size=1300,1400", "--hide-scrollbars")
        assert path.is_file() and path.read_bytes()[1:4] == b"PNG", f"no screenshot at {path}"
        h.log(f"test: screenshot {path}")


def send_hot_leads(ctx, topics, run, n):
    """n hot na_commercial leads to the leads topic; returns [(id, lead)]."""
    leads = [(f"{run}-{i}", hot_na_lead(f"{run}-{i}", i)) for i in range(n)]
    producer = ctx.producer()
    for lead_id, lead in leads:
        producer.send(topics["leads"], h.encode("lead", lead), key=lead_id)
    producer.flush()
    return leads


def reps_on_page(dom):
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r'<tr data-rep="([^"]+)" data-open="(\d+)"', dom)}


def lefts_on_page(dom):
    return {m.group(1): int(m.group(2)) for m in re.finditer(
        r'<tr (?:class="[a-z]*" )?data-lead="([^"]+)"><td>[^<]*</td><td>[^<]*</td><td>[^<]*</td>'
        r'<td class="num left" data-left-ms="(-?\d+)"', dom)}


def test_dashboard_in_chromium(ctx):
    artifacts = Path(os.environ.get("LR_ARTIFACTS", Path(ctx.binary).parent / "artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    browser = Browser(ctx.tmpdir)
    control = ctx.tmpdir / "control.html"
    control.write_text('<!DOCTYPE html><html><body><script>console.error("control-error")'
                       '</script></body></html>\n')
    _, console = browser.dom(f"file://{control}")
    assert any("control-error" in l for l in console), \
        "the control page's console.error is not in Chromium's log: the check would see nothing"

    run = ctx.unique("dash")
    topics = ctx.router_topics(partitions=3)
    port = h.free_port()
    base = f"http://127.0.0.1:{port}"

    def edit(cfg):
        h.short_sla_config(cfg, POLICY, FIRST_TOUCH_S)
        # the clock runs on after the breach (to a far step), so it stays shown
        cfg["sla"]["policies"][0]["warn_at"] = "50%"
        cfg["sla"]["policies"][0]["escalation"] = [{"action": "notify_manager", "after": "1h"}]

    config = ctx.config(topics, overrides={"http": {"address": "127.0.0.1", "port": port}},
                        edit=edit)
    group, _ = h.config_group(config)
    with ctx.router(config) as router:
        h.prime_router(ctx.broker, router, topics, group)
        # a viewer first: decisions are noted only while somebody watches
        poll_state(base, router, lambda s: True, 30, "a first snapshot")
        leads = send_hot_leads(ctx, topics, run, N_LEADS)
        ids = {lead_id.encode() for lead_id, _ in leads}
        with ctx.reader([topics["assignments"]], watch=router) as reader:
            reader.wait(lambda msgs: ids <= {m.key for m in msgs}, timeout=120,
                        what="the test leads' assignments")
            decisions = [h.decode("decision", m.value) for m in reader.messages
                         if m.key in ids]
        assigned = {}
        for d in decisions:
            assert d.get("rep"), f"lead {d['lead_id']} was not assigned: {d}"
            assigned[d["rep"]] = assigned.get(d["rep"], 0) + 1
        h.log(f"test: assigned {assigned}")

        # the board fills while viewed: look until it shows every assignment
        poll_state(base, router, lambda s: all(
            r["open"] == assigned.get(r["rep"], 0)
            for t in s["teams"] if t["team"] == "na_commercial" for r in t["reps"]),
            30, "open counts equal to the assignments")
        dom1, console1 = browser.dom(f"{base}/")
        assert not console1, f"console messages on the dashboard: {console1}"
        on_page = reps_on_page(dom1)
        for rep, n in assigned.items():
            assert on_page.get(rep) == n, f"{rep}: the page says {on_page.get(rep)} open, " \
                                          f"the assignments topic {n}"
        left1 = lefts_on_page(dom1)
        ours = {k: v for k, v in left1.items() if k.encode() in ids}
        assert len(ours) == N_LEADS, f"the page shows clocks for {sorted(ours)} of our leads"
        assert all(v > 0 for v in ours.values()), f"breached already: {ours}"
        assert re.search(r"partitions: \S+ 0,1,2", dom1), "the page says no partitions"
        for d in decisions:  # the latest decisions, each with its reasons
            row = re.search(rf"<tr><td>{re.escape(d['lead_id'])}</td><td>SALES_READY</td>"
                            rf"<td>hot</td><td>na_commercial</td><td>{d['rep']}</td>.*?</tr>",
                            dom1)
            assert row and "ROUTING_RULE north_america" in row.group(0) and \
                "CHOSEN na_commercial" in row.group(0), \
                f"decision of {d['lead_id']} to {d['rep']} not shown with its reasons"
        browser.screenshot(f"{base}/", artifacts / "dashboard-open.png")

        # the deadline passes: the board says breached, then the page does
        poll_state(base, router, lambda s: sum(
            1 for c in s["clocks"] if c["lead_id"].encode() in ids and c["left_ms"] < 0)
            == N_LEADS, FIRST_TOUCH_S + 30, "breach of every test lead")
        dom2, console2 = browser.dom(f"{base}/")
        assert not console2, f"console messages on the dashboard: {console2}"
        left2 = {k: v for k, v in lefts_on_page(dom2).items() if k.encode() in ids}
        for lead_id, v in ours.items():
            assert lead_id in left2 and left2[lead_id] < v, \
                f"{lead_id}: the countdown did not go down ({v} ms, then {left2.get(lead_id)})"
        breach_rows = re.findall(r'<tr class="breach" data-lead="([^"]+)"', dom2)
        assert ids <= {b.encode() for b in breach_rows}, \
            f"breach rows {breach_rows}, expected every test lead"
        assert re.search(r"<b>[1-9]\d* / [1-9]\d*</b>warnings / breaches", dom2), \
            "the KPIs show no warning and breach"
        browser.screenshot(f"{base}/", artifacts / "dashboard-breach.png")

        body = json.dumps(state(base))
        leaked = [lead["email"] for _, lead in leads if lead["email"] in body]
        leaked += [w for w in ("Pat", "Doe", "Inc") if f'"{w}' in body or f' {w}"' in body]
        assert not leaked, f"/api/state shows personal data: {leaked}"
        router.stop()


if __name__ == "__main__":
    h.main()
