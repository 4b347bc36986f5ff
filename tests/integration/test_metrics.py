#!/usr/bin/env python3
"""/metrics, /healthz and /readyz, scraped by a real Prometheus.

The first test runs the router with an `http:` section on the real broker and
starts Debian's Prometheus (tests/prometheus/prometheus.sh) scraping it every
second. It produces a mix of leads and a few undecodable messages, reads every
decision from the output topics, then asks Prometheus' HTTP API and asserts
that its figures equal what the test produced and read:

    sum(lead_router_leads_in_total)                 leads sent (good and bad)
    sum(lead_router_decisions_total)                decisions read from Kafka
    sum by (stage) (lead_router_decisions_total)    the same, per stage
    sum(lead_router_assignments_total)              assignments with a rep
    sum by (rep) (lead_router_assignments_total)    the same, per rep
    sum(lead_router_dead_letters_total)             bad messages sent
    lead_router_dead_letters_total{reason="bad_magic"}
    lead_router_build_info                          1
    lead_router_ready                               1

A scrape passes `promtool check metrics`, and holds no lead id or email.

The second test uses a broker of its own, since it stops it. A transaction the
test holds open on the state topic keeps the router's restore waiting: /readyz
answers 503 (restoring) while /healthz answers 200; once the test aborts it,
/readyz turns 200. Then the broker is stopped: /readyz answers 503 (all
brokers down) and turns 200 again when the broker is back.

Usage: test_metrics.py --binary PATH/lead-router
"""
import json
import os
import random
import re
import subprocess
import threading
import time
import urllib.parse

import harness as h
from confluent_kafka import Producer as KafkaProducer

PROMETHEUS_SH = h.REPO / "tests" / "prometheus" / "prometheus.sh"
MIX = {"enterprise_eu": 12, "demo": 10, "na": 10, "german": 4, "apac": 4, "student": 8,
       "no_consent": 6, "blocked": 4}


free_port = h.free_port


def get(url, timeout=5):
    """(status, body) of a GET; a refused connection is (None, reason)."""
    return h.http_request(url, timeout=timeout)


def wait_status(url, status, timeout, router=None, what=None, says=""):
    """Polls url until it answers `status` with a body containing `says`;
    returns the body."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if router is not None:
            router.check_alive()
        last = get(url)
        if last[0] == status and says in last[1]:
            return last[1]
        time.sleep(0.05)
    raise AssertionError(f"{what or url}: no {status} {says!r} within {timeout} s "
                         f"(last: {last})")


class Prometheus:
    """A Prometheus of the test's own, scraping `target` every second."""

    def __init__(self, state_dir, target):
        self.env = dict(os.environ, LR_PROMETHEUS_STATE_DIR=str(state_dir))
        self.target = target
        self.url = None

    def __enter__(self):
        proc = subprocess.run([str(PROMETHEUS_SH), "start", self.target], env=self.env,
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise AssertionError(f"prometheus.sh start failed:\n{proc.stderr}{proc.stdout}")
        values = dict(l.split("=", 1) for l in proc.stdout.splitlines() if "=" in l)
        self.url = values["PROMETHEUS_URL"]
        h.log(f"test: Prometheus at {self.url} scrapes {self.target}")
        return self

    def __exit__(self, *exc):
        subprocess.run([str(PROMETHEUS_SH), "stop"], env=self.env, timeout=60)
        return False

    def query(self, promql):
        """{labels as a sorted tuple: value} of an instant query."""
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        status, body = get(url)
        assert status == 200, f"Prometheus query {promql!r}: {status} {body}"
        data = json.loads(body)["data"]["result"]
        return {tuple(sorted(r["metric"].items())): float(r["value"][1]) for r in data}

    def wait_equal(self, promql, want, timeout=60):
        """Polls until the query's {labels: value} equals want; asserts it."""
        deadline = time.monotonic() + timeout
        got = None
        while time.monotonic() < deadline:
            got = self.query(promql)
            if got == want:
                h.log(f"test: {promql} = {want}")
                return
            time.sleep(0.25)
        raise AssertionError(f"{promql}: Prometheus says {got}, the test counted {want}")


def http_config(port):
    return {"http": {"address": "127.0.0.1", "port": port, "health_timeout": "5s"}}


def test_prometheus_counts_what_was_produced(ctx):
    run = ctx.unique("metrics")
    topics = ctx.router_topics(partitions=3)
    port = free_port()
    config = ctx.config(topics, overrides=http_config(port), edit=h.reps_always_available)
    group, _ = h.config_group(config)
    base = f"http://127.0.0.1:{port}"
    leads = [(lead["lead_id"], lead) for _, lead in h.lead_mix(MIX, run, seed=11)]
    emails = [lead["email"] for _, lead in leads if lead.get("email")]
    bad = [b"\x01\x00\x00\x00\x01 not framed", b"\x05\x00\x00\x00\x01 nor this"]

    with ctx.router(config) as router, \
            Prometheus(ctx.tmpdir / "prometheus", f"127.0.0.1:{port}") as prom:
        wait_status(f"{base}/healthz", 200, 30, router)
        warmup = h.prime_router(ctx.broker, router, topics, group)
        wait_status(f"{base}/readyz", 200, 30, router)
        producer = ctx.producer()
        for lead_id, lead in leads:
            producer.send(topics["leads"], h.encode("lead", lead), key=lead_id)
        for i, value in enumerate(bad):
            producer.send(topics["leads"], value, key=f"{run}-bad-{i}")
        producer.flush()
        ids = {lead_id.encode() for lead_id, _ in leads}
        with ctx.reader([topics["assignments"], topics["nurture"], topics["dead_letter"]],
                        watch=router) as reader:
            def done(msgs):
                keys = {m.key for m in msgs if m.topic != topics["dead_letter"]}
                dead = sum(m.topic == topics["dead_letter"] for m in msgs)
                return ids <= keys and dead >= len(bad)
            reader.wait(done, timeout=120, settle=1.0, what="every decision and dead letter")
            msgs = list(reader.messages)
        decisions = [h.decode("decision", m.value) for m in msgs
                     if m.topic in (topics["assignments"], topics["nurture"])]
        assert len(decisions) == len(leads) + len(warmup), \
            f"{len(decisions)} decisions read for {len(leads) + len(warmup)} leads"
        by_stage, by_rep = {}, {}
        for d in decisions:
            by_stage[d["stage"]] = by_stage.get(d["stage"], 0) + 1
            if d.get("rep"):
                by_rep[d["rep"]] = by_rep.get(d["rep"], 0) + 1
        assert by_rep, "test setup: no lead was assigned to a rep"

        n_in = len(leads) + len(warmup) + len(bad)
        prom.wait_equal("sum(lead_router_leads_in_total)", {(): n_in})
        prom.wait_equal("sum(lead_router_decisions_total)", {(): len(decisions)})
        prom.wait_equal("sum by (stage) (lead_router_decisions_total)",
                        {(("stage", s),): n for s, n in by_stage.items()})
        prom.wait_equal("sum(lead_router_assignments_total)", {(): sum(by_rep.values())})
        prom.wait_equal("sum by (rep) (lead_router_assignments_total)",
                        {(("rep", r),): n for r, n in by_rep.items()})
        prom.wait_equal("sum(lead_router_dead_letters_total)", {(): len(bad)})
        prom.wait_equal('sum(lead_router_dead_letters_total{reason="bad_magic"})',
                        {(): len(bad)})
        prom.wait_equal("sum(lead_router_build_info)", {(): 1})
        prom.wait_equal("lead_router_ready", {(("__name__", "lead_router_ready"),
                                               ("instance", f"127.0.0.1:{port}"),
                                               ("job", "lead-router")): 1})

        status, scrape = get(f"{base}/metrics")
        assert status == 200, f"/metrics answered {status}"
        check = subprocess.run([str(PROMETHEUS_SH), "check-metrics"], input=scrape,
                               capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, f"promtool check metrics:\n{check.stdout}{check.stderr}"
        h.log("test: promtool check metrics passes; excerpt:\n" + "\n".join(
            l for l in scrape.splitlines()
            if l.startswith(("lead_router_decisions_total", "lead_router_build_info"))))
        info = re.search(r'lead_router_build_info\{version="([^"]+)",'
                         r'rulebook_hash="([0-9a-f]{16})"\} 1', scrape)
        assert info, "build_info lacks a version and a 16-digit rulebook hash"
        leaked = [s for s in list(ids) + [e.encode() for e in emails] if s.decode() in scrape]
        assert not leaked, f"/metrics shows lead ids or emails: {leaked[:5]}"
        assert get(f"{base}/nothing")[0] == 404
        status, _ = h.http_request(f"{base}/-/reload", "POST")
        assert status == 403, f"POST /-/reload without enable_reload answered {status}"


def hold_state_transaction(bootstrap, topic):
    """A transactional producer with an open transaction on the state topic:
    a restore waits for it to end. Returns the producer (abort it to release)."""
    p = KafkaProducer({"bootstrap.servers": bootstrap,
                       "transactional.id": f"metrics-test-{h.random_suffix()}",
                       "transaction.timeout.ms": 600000})
    p.init_transactions(30)
    p.begin_transaction()
    for part in range(3):
        p.produce(topic, key=b"rep/nobody", value=b"\x01", partition=part)
    p.flush(30)
    return p


def test_readyz_follows_restore_and_broker_outage(ctx):
    with h.Broker(own=True) as broker:
        topics = broker.router_topics(ctx.unique("ready"), partitions=3)
        port = free_port()
        config = h.make_config(ctx.tmpdir, broker.bootstrap, topics,
                               overrides=http_config(port))
        base = f"http://127.0.0.1:{port}"
        txn = hold_state_transaction(broker.bootstrap, topics["state"])
        with h.Router(ctx.binary, config, ctx.tmpdir) as router:
            # before the restore begins it says "no partitions assigned"
            wait_status(f"{base}/readyz", 503, 30, router, "readyz during the restore",
                        says="restoring")
            wait_status(f"{base}/healthz", 200, 30, router, "healthz during the restore")
            txn.abort_transaction(30)
            wait_status(f"{base}/readyz", 200, 60, router, "readyz after the restore")
            status, scrape = get(f"{base}/metrics")
            m = re.search(r"^lead_router_state_restores_total (\S+)$", scrape, re.M)
            assert m and float(m.group(1)) >= 1, "no restore counted in /metrics"

            outage = threading.Thread(target=broker.restart, kwargs={"down_seconds": 10},
                                      daemon=True)
            outage.start()
            wait_status(f"{base}/readyz", 503, 60, router, "readyz with the broker down",
                        says="all brokers are down")
            wait_status(f"{base}/healthz", 200, 10, router, "healthz with the broker down")
            outage.join(300)
            assert not outage.is_alive(), "the broker did not come back"
            wait_status(f"{base}/readyz", 200, 90, router, "readyz after the outage")


if __name__ == "__main__":
    h.main()
