#!/usr/bin/env python3
"""SLA alerts delivered to people by webhook, on a real broker, to HTTP
receivers of the test's own (Python's http.server on free loopback ports).

Leads are assigned and nobody touches them, so each fires a warning, a
breach and an escalation (notify_manager) within seconds. Two sinks:

  - `steady` (format json, every kind) answers 200: it gets every alert the
    router committed to the alerts topic exactly once, with the event id as
    Idempotency-Key and in the body;
  - `flaky` (format slack, breaches only) answers 500 for its first seconds,
    then 200: it still gets every breach, and every repeat carries a key it
    already had (docs/operations.md: delivery is at least once, duplicates
    share the idempotency key);

and /metrics counts what happened: sent, retried (> 0), failed and dropped 0.

Usage: test_webhooks.py --binary PATH/lead-router
"""
import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import harness as h
from test_dashboard import send_hot_leads

POLICY = "hook_first_touch"
FIRST_TOUCH_S = 3
N_LEADS = 5
FLAKY_FOR_S = 4.0


class Receiver:
    """Records (idempotency key, body) of every POST; answers 500 until
    fail_for seconds after its first request, then 200."""

    def __init__(self, fail_for=0.0):
        self.requests, self.failed = [], 0
        self.lock = threading.Lock()
        self.fail_for, self.first = fail_for, None
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.monotonic()
                with rec.lock:
                    rec.first = rec.first or now
                    fail = now - rec.first < rec.fail_for
                    if fail:
                        rec.failed += 1
                    else:
                        rec.requests.append((self.headers.get("Idempotency-Key"),
                                             json.loads(body), self.headers.get("Content-Type")))
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        return False

    def keys(self):
        with self.lock:
            return [k for k, _, _ in self.requests]


def metric(base, name):
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(f"lead_router_{name} "):
                return float(line.split()[1])
    raise AssertionError(f"/metrics has no lead_router_{name}")


def test_alerts_reach_webhooks_at_least_once(ctx):
    run = ctx.unique("hook")
    topics = ctx.router_topics(partitions=3)
    port = h.free_port()
    base = f"http://127.0.0.1:{port}"
    with Receiver() as steady, Receiver(fail_for=FLAKY_FOR_S) as flaky:
        config = ctx.config(topics, overrides={
            "http": {"address": "127.0.0.1", "port": port},
            "alerts": {"retry_initial": "200ms", "retry_max": "1s", "webhooks": [
                {"url": steady.url},
                {"url": flaky.url, "format": "slack", "kinds": ["breach"]}]}},
            edit=lambda cfg: h.short_sla_config(cfg, POLICY, FIRST_TOUCH_S))
        group, _ = h.config_group(config)
        with ctx.router(config) as router:
            h.prime_router(ctx.broker, router, topics, group)
            leads = send_hot_leads(ctx, topics, run, N_LEADS)
            ids = {lead_id for lead_id, _ in leads}
            with ctx.reader([topics["alerts"]], watch=router) as reader:
                def fired(msgs):
                    kinds = {}
                    for m in msgs:
                        a = h.decode("alert", m.value)
                        kinds.setdefault(a["lead_id"], set()).add(a["kind"])
                    return all({"WARNING", "BREACH", "ESCALATION"} <= kinds.get(i, set())
                               for i in ids)
                reader.wait(fired, timeout=120, settle=1.0, what="every lead's three alerts")
                alerts = [h.decode("alert", m.value) for m in reader.messages]
            alerts = {a["event_id"]: a for a in alerts if a["lead_id"] in ids}
            breaches = {e for e, a in alerts.items() if a["kind"] == "BREACH"}
            h.log(f"test: {len(alerts)} alerts committed, {len(breaches)} breaches")

            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                router.check_alive()
                if set(steady.keys()) >= set(alerts) and set(flaky.keys()) >= breaches:
                    break
                time.sleep(0.2)
            # nothing waits or retries any more: a late duplicate would show below
            deadline = time.monotonic() + 30
            while metric(base, "webhook_queue") != 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            sent, retried = metric(base, "webhook_sent_total"), metric(base, "webhook_retried_total")
            failed, dropped = metric(base, "webhook_failed_total"), metric(base,
                                                                          "webhook_dropped_total")
            router.stop()

    got = [k for k in steady.keys() if k in alerts]
    assert sorted(got) == sorted(alerts), \
        f"steady sink: {len(got)} deliveries of {len(set(got))} alerts, expected each of " \
        f"{len(alerts)} once; missing {sorted(set(alerts) - set(got))[:5]}"
    for key, body, ctype in steady.requests:
        assert ctype == "application/json" and body["event_id"] == key, \
            f"the JSON body's event_id {body.get('event_id')} is not its key {key}"
        if key in alerts:
            a = alerts[key]
            assert body["lead_id"] == a["lead_id"] and body["kind"] == a["kind"] and \
                body["team"] == a["team"], f"body {body} differs from the alert {a}"
    flaky_keys = [k for k in flaky.keys() if k.split(":")[0] in ids]
    assert set(flaky_keys) == breaches, \
        f"flaky sink got {sorted(set(flaky_keys))}, expected the breaches {sorted(breaches)}"
    assert all(set(b) == {"text", "event_id"} and "SLA breached" in b["text"]
               for _, b, _ in flaky.requests), "the slack body is not {text, event_id}"
    dup = len(flaky_keys) - len(set(flaky_keys))
    h.log(f"test: flaky sink refused {flaky.failed} attempts, then got {len(flaky_keys)} "
          f"deliveries ({dup} repeats, same keys); /metrics sent {sent:.0f} retried "
          f"{retried:.0f} failed {failed:.0f} dropped {dropped:.0f}")
    assert flaky.failed > 0, "the flaky sink never failed: the test tested no retry"
    assert retried >= flaky.failed, f"retried {retried} < the {flaky.failed} refusals"
    assert failed == 0 and dropped == 0, f"failed {failed}, dropped {dropped}"
    # the warm-up leads fire nothing (nurture), so every sent delivery is one of ours
    assert sent == len(steady.requests) + len(flaky.requests), \
        f"/metrics says {sent} sent, the receivers counted " \
        f"{len(steady.requests) + len(flaky.requests)}"


if __name__ == "__main__":
    h.main()
