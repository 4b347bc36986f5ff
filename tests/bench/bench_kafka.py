#!/usr/bin/env python3
"""lead-router against a bare librdkafka passthrough, on a real Kafka broker.

    python3 tests/bench/bench_kafka.py --binary build/lead-router \\
        --passthrough build/bench_passthrough [--leads 200000] [--runs 3]
        [--rate 2000 --seconds 20] [--json FILE]      (--help lists the rest)

Uses the broker in LR_KAFKA_BOOTSTRAP, or starts one with tests/kafka/broker.sh
(through tests/integration/harness.py, whose Python packages it needs).

Throughput. N realistic Avro leads (harness.lead_mix: eight categories, ~300
bytes) are produced once to an input topic. For each mode (eos: exactly_once
and transactions; alo: at_least_once, no transactions), and in this order,
    passthrough  build/bench_passthrough copies the N messages to one output
                 topic, same commit interval and window size as the router
    router       lead-router run on the example rulebook (reps always
                 available, so every lead is decided; SLA policies on, so
                 assignments start clocks as in production)
    passthrough x3  the passthrough copying each message to three topics:
                 the router publishes about three records per lead (its
                 decision, a status event, a state changelog record), so
                 this is the limit for the router's output volume
read the same N messages, each with fresh output topics and a fresh group.
The ratio that the targets are about is router / passthrough.
Both are timed the same way, from outside:
    start  the CreateTime of the first output message (librdkafka stamps it
           when the message is produced, i.e. right after the first input
           message is consumed): group join, init_transactions and the
           router's state restore are not counted
    end    the moment the group's committed offsets on the input reach N,
           polled every 10 ms: in eos the offsets commit in the transaction
           of the last window, so its output is visible to read_committed
           readers from then on; in alo they commit after the output is
           flushed
Afterwards every decision (or copy) is read back read_committed and counted:
a run that lost or repeated output is reported. The passthrough's own
measure (first message consumed to final commit) is shown next to it.

Latency. Leads are produced at a steady rate (--rate for --seconds) to a
primed router (then to a primed passthrough), while a read_committed reader
in its own process records when each lead's decision (or copy) arrives. The
latency of a lead is that receive time minus the CreateTime of the lead
message (its produce time); both are this machine's wall clock. Priming
includes leads of every category, so that the router has produced to every
partition of its output topics before the clock starts: the first message to
a partition its producer has not used yet stalls that commit window by 0.1 to
0.5 s (--cold-topics measures with that stall).

Scrape cost (--scrape). Two more router cases per mode: "router http" has an
`http:` section (metrics published, never scraped) and "router scraped" is
scraped (GET /metrics) every second for the whole run, as a Prometheus with
scrape_interval 1s would. Compare them with "router" (no listener).

Every figure comes with the machine's load average: read them as what this
machine allowed at that moment, not as absolute truths.
"""
import argparse
import json
import multiprocessing as mp
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import harness as h  # noqa: E402
from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError,  # noqa: E402
                             KafkaException, Producer, TopicPartition)

MODES = {"eos": "exactly_once", "alo": "at_least_once", "shared": "exactly_once"}
# shared: exactly_once with kafka.topics.repartition, one instance: the cost of
# the two-stage path that lets instances share the work (docs/design.md). Its
# passthrough is eos's; it has no latency run of its own unless asked for.
WARM_PER_PARTITION = 20  # passthrough warm-up messages per input partition
STOPPED_RE = re.compile(r"stopped cleanly: (\d+) leads, (\d+) sales activities, (\d+) "
                        r"decisions, (\d+) dead-lettered, (\d+) transactions")
COMMIT_RE = re.compile(r"commits: mean ([\d.]+) ms, max ([\d.]+) ms, of which offsets ([\d.]+) ms"
                       r"(?:; waited for ([\d.]+) ms in all)?")
PT_RE = re.compile(r"messages=(\d+) commits=(\d+) elapsed_ms=([\d.]+) msgs_per_s=(\d+)")


def log(*args):
    print("bench_kafka:", *args, file=sys.stderr, flush=True)


def cpu_seconds(pid):
    """utime + stime of a running process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def broker_cpu(pid):
    """CPU seconds the broker (pid) has used so far, or None when it is unknown."""
    try:
        return cpu_seconds(pid) if pid else None
    except OSError:
        return None


def cpu_delta(before, after):
    return after - before if before is not None and after is not None else None


def busy_jiffies():
    """(busy, total) CPU jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def busy_cores(since):
    """Cores kept busy on average since busy_jiffies() returned `since`."""
    b, t = busy_jiffies()
    return (b - since[0]) / max(1, t - since[1]) * os.cpu_count()


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


class Bench:
    def __init__(self, args, broker, workdir):
        self.args = args
        self.broker = broker
        self.broker_pid = broker.pid()  # read once: broker.sh status is a subprocess
        self.workdir = Path(workdir)
        self.run_id = f"{time.strftime('%H%M%S')}-{h.random_suffix(4)}"
        self.seq = 0

    def name(self, what):
        self.seq += 1
        return f"bench-{what}-{self.run_id}-{self.seq}"

    # ------------------------------------------------------------ topics --

    def router_topics(self, leads=None, shared=False):
        """The eight topics of a router; the changelog compacted, 1 partition.
        `leads` reuses an existing input topic. shared: also the repartition
        and lead-domains topics, and the changelog gets as many partitions as
        the repartition topic."""
        p = self.args.partitions
        names = {key: self.name(key.replace("_", "-")) for key in h.TOPIC_KEYS}
        if leads:
            names["leads"] = leads
        self.broker.create_topics({names[k]: p for k in h.TOPIC_KEYS
                                   if k != "state" and not (k == "leads" and leads)})
        self.broker.create_topics({names["state"]: p if shared else 1},
                                  config=h.STATE_TOPIC_CONFIG)
        if shared:
            names["repartition"] = self.name("repartition")
            self.broker.create_topics({names["repartition"]: p})
            names["lead_domains"] = self.name("lead-domains")
            self.broker.create_topics({names["lead_domains"]: p},
                                      config=h.LEAD_DOMAINS_TOPIC_CONFIG)
        return names

    def router_config(self, topics, mode, http_port=None):
        overrides = {"kafka": {"processing": MODES[mode],
                               "commit_interval": f"{self.args.commit_interval_ms}ms",
                               "commit_max_messages": self.args.commit_max}}
        if "repartition" in topics:
            overrides["kafka"]["topics"] = {"repartition": topics["repartition"],
                                            "lead_domains": topics["lead_domains"]}
        if self.args.router_property:
            overrides["kafka"]["properties"] = dict(kv.split("=", 1)
                                                    for kv in self.args.router_property)
        if http_port:
            overrides["http"] = {"address": "127.0.0.1", "port": http_port}
        return h.make_config(self.workdir, self.broker.bootstrap, topics, overrides,
                             edit=h.reps_always_available, name=f"{self.name('cfg')}.yaml")

    # ------------------------------------------------------------- input --

    def leads(self, n, prefix):
        """[(key, framed Avro lead)] of n realistic leads, ids <prefix>-<category>-<i>."""
        cats = h.LEAD_CATEGORIES
        counts = {c: n // len(cats) + (1 if i < n % len(cats) else 0)
                  for i, c in enumerate(cats)}
        return [(lead["lead_id"].encode(), h.encode("lead", lead))
                for _, lead in h.lead_mix(counts, prefix, seed=11)]

    def produce_all(self, topic, messages):
        p = Producer({"bootstrap.servers": self.broker.bootstrap, "enable.idempotence": True,
                      "acks": "all", "linger.ms": 20, "socket.nagle.disable": True})
        errors = []

        def dr(err, msg):
            if err is not None:
                errors.append(str(err))
        for key, value in messages:
            while True:
                try:
                    p.produce(topic, value=value, key=key, on_delivery=dr)
                    break
                except BufferError:
                    p.poll(0.05)
            p.poll(0)
        if p.flush(120) or errors:
            raise RuntimeError(f"producing the input failed: {errors[:3]}")

    # ------------------------------------------------------------ timing --

    def committed_poller(self, group, topic):
        """A client for wait_committed, connected (coordinator found) before
        the measured process starts, so that its own start is not measured."""
        # read_uncommitted: a read_committed client asks for stable offsets,
        # and while a transaction with offsets is open the broker refuses
        # them, so the client retries with a backoff of up to a second and
        # would see the final commit late; unstable offsets are not returned
        # either way, only the last committed ones.
        c = Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": group,
                      "enable.auto.commit": False, "socket.nagle.disable": True,
                      "isolation.level": "read_uncommitted"})
        tps = [TopicPartition(topic, p) for p in self.broker.partitions(topic)]
        # a fresh broker answers NOT_COORDINATOR until __consumer_offsets is up
        h.wait_for(lambda: committed_or_none(c, tps), 60, interval=0.5,
                   what=f"the group coordinator of {group}")
        return c, tps

    def wait_committed(self, poller, n, alive, timeout):
        """Poll the group's committed offsets every 10 ms until they sum to n;
        returns the wall time (s) it was first seen."""
        c, tps = poller
        group = tps[0].topic
        deadline = time.monotonic() + timeout
        try:
            while True:
                got = committed_or_none(c, tps) or []
                now = time.time()
                if got and sum(max(tp.offset, 0) for tp in got) >= n:
                    return now
                alive()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the group reading {group} committed only "
                                       f"{sum(max(tp.offset, 0) for tp in got)} of {n} "
                                       f"within {timeout} s")
                time.sleep(0.01)
        finally:
            c.close()

    def read_back(self, topics, key_topics, expect, timeout=180):
        """Read `topics` read_committed from the beginning, until at least
        `expect` messages and then nothing new for a second: ({topic: count},
        distinct keys on `key_topics`, first CreateTime in ms)."""
        c = Consumer({"bootstrap.servers": self.broker.bootstrap,
                      "group.id": f"bench-readback-{h.random_suffix()}",
                      "enable.auto.commit": False, "isolation.level": "read_committed"})
        c.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t in topics
                  for p in self.broker.partitions(t)])
        counts, keys, first = {t: 0 for t in topics}, set(), None
        deadline = time.monotonic() + timeout
        last_new = time.monotonic()
        try:
            while time.monotonic() < deadline:
                batch = c.consume(num_messages=5000, timeout=0.2)
                for m in batch:
                    if m.error() is not None:
                        continue
                    last_new = time.monotonic()
                    counts[m.topic()] += 1
                    if m.topic() in key_topics:
                        keys.add(m.key())
                    ts = m.timestamp()[1]
                    first = ts if first is None or ts < first else first
                if sum(counts.values()) >= expect and time.monotonic() - last_new > 1.0:
                    break
        finally:
            c.close()
        return counts, len(keys), first

    # -------------------------------------------------------- throughput --

    def passthrough_cmd(self, mode, in_topic, out_topics, group, expect):
        return [self.args.passthrough, "--bootstrap", self.broker.bootstrap, "--in", in_topic,
                "--out", ",".join(out_topics), "--group", group, "--mode", mode,
                "--commit-interval-ms", str(self.args.commit_interval_ms),
                "--commit-max", str(self.args.commit_max), "--expect", str(expect),
                "--transactional-id", f"{group}-txn"]

    def tput_passthrough(self, mode, in_topic, n, copies=1):
        outs = [self.name("pt-out") for _ in range(copies)]
        self.broker.create_topics({o: self.args.partitions for o in outs})
        group = self.name("pt-group")
        err_path = self.workdir / f"{group}.stderr"
        poller = self.committed_poller(group, in_topic)
        load0, busy0, bcpu0 = loadavg(), busy_jiffies(), broker_cpu(self.broker_pid)
        with open(err_path, "wb") as err:
            proc = subprocess.Popen(self.passthrough_cmd(mode, in_topic, outs, group, n),
                                    stdout=subprocess.PIPE, stderr=err, text=True)

            def alive():
                # WNOWAIT: leave the child to wait4 below, which reads its CPU time
                st = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
                if st is not None and (st.si_code != os.CLD_EXITED or st.si_status != 0):
                    raise RuntimeError(f"bench_passthrough failed ({st.si_status}): "
                                       f"{err_path.read_text()[-2000:]}")
            end = self.wait_committed(poller, n, alive, self.args.timeout)
            busy, bcpu = busy_cores(busy0), broker_cpu(self.broker_pid)
            # wait4 for the child's CPU time (it exits right after its commit)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            stdout = proc.stdout.read()
            proc.stdout.close()
        cpu = usage.ru_utime + usage.ru_stime
        if proc.returncode != 0:
            raise RuntimeError(f"bench_passthrough exited {proc.returncode}")
        m = PT_RE.search(stdout)
        if not m:
            raise RuntimeError(f"bench_passthrough printed no result: {stdout!r}")
        counts, distinct, first = self.read_back(outs, outs[:1], n * copies)
        count = sum(counts.values())
        elapsed = end - first / 1000.0
        what = "passthrough" if copies == 1 else f"passthrough x{copies}"
        return dict(mode=mode, what=what, leads=n, out_messages=count,
                    decided=distinct, elapsed_s=elapsed, msgs_per_s=n / elapsed,
                    self_elapsed_s=float(m.group(3)) / 1000, self_msgs_per_s=int(m.group(4)),
                    commits=int(m.group(2)), cpu_s=cpu, busy_cores=busy,
                    broker_cpu_s=cpu_delta(bcpu0, bcpu),
                    load=(load0 + loadavg()) / 2)

    def tput_router(self, mode, in_topic, n, http=None):
        """http: None (no listener), "idle" (listening, never scraped) or
        "scraped" (GET /metrics every second while it runs)."""
        topics = self.router_topics(leads=in_topic, shared=mode == "shared")
        port = free_port() if http else None
        config = self.router_config(topics, mode, port)
        group, _ = h.config_group(config)
        # shared: a lead is done when its forwarded copy's offset commits
        poller = self.committed_poller(group, topics.get("repartition", in_topic))
        load0, busy0, bcpu0 = loadavg(), busy_jiffies(), broker_cpu(self.broker_pid)
        router = h.Router(self.args.binary, config, self.workdir, name=self.name("router"))
        router.start()
        perf = None
        try:
            if self.args.perf_dir:
                perf = subprocess.Popen(["perf", "record", "-g", "-p", str(router.proc.pid),
                                         "-o", str(Path(self.args.perf_dir) /
                                                   f"router-{mode}.perf.data")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            scraper = Scraper(port) if http == "scraped" else None
            try:
                end = self.wait_committed(poller, n, router.check_alive, self.args.timeout)
            finally:
                scrapes = scraper.stop() if scraper else None
            cpu = cpu_seconds(router.proc.pid)
            busy, bcpu = busy_cores(busy0), broker_cpu(self.broker_pid)
        finally:
            if perf is not None:
                perf.send_signal(signal.SIGINT)
                perf.wait(60)
            code = router.stop(timeout=60, expect_code=None)
        stderr = router.stderr_path.read_text()
        m = STOPPED_RE.search(stderr)
        if code != 0 or not m:
            raise RuntimeError(f"router exited {code}: {stderr[-2000:]}")
        outputs = [topics[k] for k in ("assignments", "nurture", "status", "alerts",
                                       "dead_letter")]
        decision_topics = [topics["assignments"], topics["nurture"]]
        counts, distinct, first = self.read_back(outputs, decision_topics, n)
        count = sum(counts[t] for t in decision_topics)
        total_out = sum(counts.values())
        elapsed = end - first / 1000.0
        what = {None: "router", "idle": "router http", "scraped": "router scraped"}[http]
        return dict(mode=mode, what=what, leads=n, out_messages=total_out, scrapes=scrapes,
                    decisions=count, decided=distinct, elapsed_s=elapsed,
                    msgs_per_s=n / elapsed, transactions=int(m.group(5)),
                    router_leads=int(m.group(1)), router_decisions=int(m.group(3)),
                    commit_ms=[float(x) for x in (COMMIT_RE.search(stderr) or
                                                  re.match("()()()()", "")).groups() if x],
                    dead_lettered=int(m.group(4)), cpu_s=cpu, busy_cores=busy,
                    broker_cpu_s=cpu_delta(bcpu0, bcpu),
                    load=(load0 + loadavg()) / 2)

    # ----------------------------------------------------------- latency --

    def latency(self, mode, what):
        rate, seconds = self.args.rate, self.args.seconds
        total = int(rate * seconds)
        msgs = self.leads(total, f"lat{self.seq}")
        if what == "router":
            topics = self.router_topics(shared=mode == "shared")
            in_topic = topics["leads"]
            out_topics = [topics["assignments"], topics["nurture"]]
            config = self.router_config(topics, mode)
            group, _ = h.config_group(config)
            proc = h.Router(self.args.binary, config, self.workdir, name=self.name("router"))
            proc.start()
            check = proc.check_alive
        else:
            in_topic, out = self.name("lat-in"), self.name("pt-out")
            self.broker.create_topics({in_topic: self.args.partitions,
                                       out: self.args.partitions})
            out_topics = [out]
            group = self.name("pt-group")
            warm = WARM_PER_PARTITION * self.args.partitions
            err = open(self.workdir / f"{group}.stderr", "wb")
            pproc = subprocess.Popen(self.passthrough_cmd(mode, in_topic, [out], group,
                                                          total + warm),
                                     stdout=subprocess.PIPE, stderr=err, text=True)

            def check():
                if pproc.poll() is not None and pproc.returncode != 0:
                    raise RuntimeError(f"bench_passthrough exited {pproc.returncode}")
        try:
            if what == "router":
                h.prime_router(self.broker, proc, topics, group)
                if not self.args.cold_topics:
                    self.prime_outputs(topics, proc)
            else:
                self.prime_passthrough(in_topic, out, group, check)
            stats = self.paced(in_topic, out_topics, msgs, rate, check)
        finally:
            if what == "router":
                proc.stop(timeout=60, expect_code=None)
            else:
                try:
                    pproc.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    pproc.terminate()
                    pproc.communicate()
                err.close()
        stats.update(mode=mode, what=what, rate=rate, seconds=seconds)
        return stats

    def prime_outputs(self, topics, router):
        """Also one lead of each category: the warm-up leads of prime_router
        are all nurtured, and the first message the router produces to a
        topic its producer has not used yet stalls that window by about half
        a second (it has to learn the topic first); measure the steady
        state, not that stall (--cold-topics keeps it)."""
        msgs = self.leads(20 * len(h.LEAD_CATEGORIES), f"warm{self.seq}")
        self.produce_all(topics["leads"], msgs)
        with h.Reader(self.broker.bootstrap, [topics["assignments"], topics["nurture"]],
                      watch=router) as r:
            keys = {k for k, _ in msgs}
            r.wait(lambda ms: keys <= {m.key for m in ms}, 60, what="warm-up decisions")

    def prime_passthrough(self, in_topic, out, group, check):
        """As harness.prime_router, then as prime_outputs: the group owns the
        input, and messages went through every input and output partition."""
        self.broker.wait_group_stable(group, [in_topic], 90)
        parts = self.broker.partitions(in_topic)
        p = Producer({"bootstrap.servers": self.broker.bootstrap})
        n = WARM_PER_PARTITION * len(parts)
        for i in range(n):
            p.produce(in_topic, key=f"warmup-{i}".encode(), value=b"warmup",
                      partition=parts[i % len(parts)])
        p.flush(30)
        with h.Reader(self.broker.bootstrap, [out]) as r:
            r.wait_count(n, timeout=90)
            missed = set(self.broker.partitions(out)) - {m.partition for m in r.messages}
            if missed:
                log(f"warm-up: no message reached partitions {sorted(missed)} of {out}")

    def paced(self, in_topic, out_topics, msgs, rate, check):
        ctx = mp.get_context("spawn")
        results, ready, stop = ctx.Queue(), ctx.Event(), ctx.Event()
        reader = ctx.Process(target=latency_reader,
                             args=(self.broker.bootstrap, out_topics, len(msgs), results,
                                   ready, stop))
        reader.start()
        if not ready.wait(60):
            raise RuntimeError("the latency reader did not start")
        p = Producer({"bootstrap.servers": self.broker.bootstrap, "enable.idempotence": True,
                      "acks": "all", "linger.ms": 0, "socket.nagle.disable": True})
        produced = {}

        def dr(err, msg):
            if err is None and msg.topic() == in_topic:
                produced[msg.key()] = msg.timestamp()[1]
        # The idempotent producer's first messages wait for its producer id:
        # get it (with a message to a scratch topic) before the clock starts.
        scratch = self.name("warm")
        self.broker.create_topics({scratch: 1})
        p.produce(scratch, value=b"warm", on_delivery=dr)
        p.flush(30)
        load0, busy0 = loadavg(), busy_jiffies()
        t0 = time.monotonic()
        for i, (key, value) in enumerate(msgs):
            ahead = t0 + i / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
            p.produce(in_topic, value=value, key=key, on_delivery=dr)
            p.poll(0)
        p.flush(60)
        send_s = time.monotonic() - t0
        check()
        received = results.get(timeout=self.args.seconds + 120)
        stop.set()
        reader.join(30)
        load1, busy = loadavg(), busy_cores(busy0)
        series = [(produced[k], received[k] - produced[k]) for k in received if k in produced]
        if self.args.latency_dump:
            with open(f"{self.args.latency_dump}.{self.seq}.json", "w") as f:
                json.dump(sorted(series), f)
        lat = sorted(x for _, x in series)
        if len(lat) < len(msgs):
            log(f"latency: only {len(lat)} of {len(msgs)} leads seen")

        def pct(q):
            return lat[min(len(lat) - 1, int(q * len(lat)))] if lat else None
        return dict(leads=len(msgs), seen=len(lat), send_s=send_s, p50_ms=pct(0.50),
                    p90_ms=pct(0.90), p99_ms=pct(0.99), max_ms=lat[-1] if lat else None,
                    mean_ms=statistics.fmean(lat) if lat else None, busy_cores=busy,
                    load=(load0 + load1) / 2)

    # --------------------------------------------------------------- all --

    def run(self):
        a = self.args
        out = {"leads": a.leads, "runs": a.runs, "commit_interval_ms": a.commit_interval_ms,
               "commit_max": a.commit_max, "partitions": a.partitions,
               "throughput": [], "latency": []}
        if a.leads > 0:
            t = time.monotonic()
            msgs = self.leads(a.leads, "tp")
            in_topic = self.name("leads")
            self.broker.create_topics({in_topic: a.partitions})
            self.produce_all(in_topic, msgs)
            avg = sum(len(v) for _, v in msgs) / len(msgs)
            log(f"{a.leads} leads ({avg:.0f} bytes on average) produced to {in_topic} "
                f"in {time.monotonic() - t:.1f} s")
            out["lead_bytes"] = avg
            del msgs
            for run in range(a.runs):
                for mode in a.modes:
                    cases = [("passthrough", self.tput_passthrough),
                             ("router", self.tput_router)]
                    if mode == "shared":
                        cases = cases[1:]
                    elif a.copies > 1:
                        cases.append((f"passthrough x{a.copies}",
                                      lambda m, t, n: self.tput_passthrough(m, t, n, a.copies)))
                    if a.scrape and mode != "shared":
                        cases += [("router http",
                                   lambda m, t, n: self.tput_router(m, t, n, "idle")),
                                  ("router scraped",
                                   lambda m, t, n: self.tput_router(m, t, n, "scraped"))]
                    for what, fn in cases:
                        r = fn(mode, in_topic, a.leads)
                        r["run"] = run
                        cm = r.get("commit_ms") or []
                        commit = (f", commit mean/max {cm[0]}/{cm[1]} ms" if cm else "")
                        if len(cm) > 3:  # the router: commits run beside the next window
                            commit += f", main thread waited {cm[3]:.0f} ms in all"
                        log(f"throughput {mode} {what}: {r['msgs_per_s']:,.0f} leads/s "
                            f"({r['elapsed_s']:.2f} s, load {r['load']:.1f}{commit})")
                        out["throughput"].append(r)
        if a.seconds > 0:
            for mode in a.latency_modes:
                for what in ("router",) if mode == "shared" else ("router", "passthrough"):
                    r = self.latency(mode, what)
                    log(f"latency {mode} {what}: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
                        f"max {r['max_ms']} ms ({r['seen']}/{r['leads']})")
                    out["latency"].append(r)
        return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Scraper:
    """GET /metrics every second on a thread, as Prometheus would."""

    def __init__(self, port):
        self.url = f"http://127.0.0.1:{port}/metrics"
        self.n = self.failed = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.done.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    r.read()
                self.n += 1
            except OSError:
                self.failed += 1
            self.done.wait(1.0)

    def stop(self):
        self.done.set()
        self.thread.join(5)
        return self.n


def committed_or_none(consumer, tps):
    """The committed offsets of tps, or None on an error worth retrying."""
    try:
        return consumer.committed(tps, timeout=10)
    except KafkaException as exc:
        if exc.args[0].retriable() or exc.args[0].code() in (
                KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                KafkaError.COORDINATOR_NOT_AVAILABLE):
            return None
        raise


def latency_reader(bootstrap, topics, expect, results, ready, stop):
    """In its own process, so that the producer's pacing does not delay it:
    {key: receive wall time in ms} of the first `expect` keys starting 'lat'."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-lat-{os.getpid()}",
                  "enable.auto.commit": False, "isolation.level": "read_committed",
                  "socket.nagle.disable": True, "fetch.wait.max.ms": 5,
                  "auto.offset.reset": "earliest"})
    md = c.list_topics(timeout=30).topics
    c.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t in topics for p in md[t].partitions])
    c.consume(num_messages=1, timeout=1.0)  # connected and fetching
    ready.set()
    seen = {}
    while len(seen) < expect and not stop.is_set():
        # poll, not consume: consume(n, timeout) waits for n messages or the
        # whole timeout, which would add up to the timeout to every latency
        m = c.poll(0.05)
        if m is None or m.error() is not None:
            continue
        now = time.time() * 1000.0
        key = m.key()
        if key is not None and key.startswith(b"lat") and key not in seen:
            seen[key] = now
    c.close()
    results.put(seen)


def table(out):
    lines = []
    tp = out["throughput"]
    if tp:
        lines.append(f"Throughput: {out['leads']:,} leads of ~{out.get('lead_bytes', 0):.0f} "
                     f"bytes, commit every {out['commit_interval_ms']} ms or "
                     f"{out['commit_max']:,} messages, {out['partitions']} input partitions")
        lines.append(f"{'mode':<5} {'run':>3} {'what':<14} {'leads/s':>10} {'elapsed s':>9} "
                     f"{'self leads/s':>12} {'out msgs':>9} {'decided':>8} {'txns':>6} "
                     f"{'cpu s':>6} {'broker':>6} {'busy':>5} {'load':>5}")
        for r in tp:
            txns = r.get("transactions", r.get("commits", ""))
            selfr = f"{r['self_msgs_per_s']:,}" if "self_msgs_per_s" in r else "-"
            cpu = f"{r['cpu_s']:.2f}" if r.get("cpu_s") is not None else "-"
            bcpu = f"{r['broker_cpu_s']:.2f}" if r.get("broker_cpu_s") is not None else "-"
            lines.append(f"{r['mode']:<5} {r['run']:>3} {r['what']:<14} "
                         f"{r['msgs_per_s']:>10,.0f} {r['elapsed_s']:>9.2f} {selfr:>12} "
                         f"{r['out_messages']:>9,} {r['decided']:>8,} {txns:>6} {cpu:>6} {bcpu:>6} "
                         f"{r['busy_cores']:>5.2f} {r['load']:>5.1f}")
        for mode in dict.fromkeys(r["mode"] for r in tp):
            pt = [r["msgs_per_s"] for r in tp if r["mode"] == mode and r["what"] == "passthrough"]
            px = [r["msgs_per_s"] for r in tp if r["mode"] == mode
                  and r["what"].startswith("passthrough x")]
            ro = [r["msgs_per_s"] for r in tp if r["mode"] == mode and r["what"] == "router"]
            if pt and ro:
                ratio = statistics.median(ro) / statistics.median(pt)
                out.setdefault("ratios", {})[mode] = ratio
                lines.append(f"{mode}: router / passthrough = {statistics.median(ro):,.0f} / "
                             f"{statistics.median(pt):,.0f} = {ratio:.2f} (target >= 0.80: "
                             f"{'met' if ratio >= 0.8 else 'NOT met'})")
            eos_pt = [r["msgs_per_s"] for r in tp if r["mode"] == "eos"
                      and r["what"] == "passthrough"]
            if mode == "shared" and ro and eos_pt:
                lines.append(f"shared: router (two stages, one instance) / eos passthrough = "
                             f"{statistics.median(ro) / statistics.median(eos_pt):.2f}")
            copies = next((r["what"] for r in tp if r["mode"] == mode
                           and r["what"].startswith("passthrough x")), None)
            for what in ("router http", "router scraped"):
                rs = [r["msgs_per_s"] for r in tp if r["mode"] == mode and r["what"] == what]
                if rs and ro:
                    lines.append(f"{mode}: {what} / router = {statistics.median(rs):,.0f} / "
                                 f"{statistics.median(ro):,.0f} = "
                                 f"{statistics.median(rs) / statistics.median(ro):.3f}")
            if px and ro:
                lines.append(f"{mode}: router / {copies} = "
                             f"{statistics.median(ro) / statistics.median(px):.2f}")
            if px and pt:
                # a router whose own work cost nothing, publishing that many
                # records per lead, would still run at the copies' rate
                ceiling = statistics.median(px) / statistics.median(pt)
                out.setdefault("ceilings", {})[mode] = ceiling
                lines.append(f"{mode}: {copies} / passthrough = {ceiling:.2f} (the most a router "
                             f"that publishes as many records per lead could reach here)")
    lat = out["latency"]
    if lat:
        target = out["commit_interval_ms"] + 50
        lines.append("")
        lines.append(f"Latency, produce to visible read_committed, {lat[0]['rate']:g} leads/s "
                     f"for {lat[0]['seconds']:g} s (target p99 < {target} ms)")
        lines.append(f"{'mode':<5} {'what':<12} {'seen':>7} {'p50 ms':>7} {'p90 ms':>7} "
                     f"{'p99 ms':>7} {'max ms':>7} {'busy':>5} {'load':>5}")
        for r in lat:
            lines.append(f"{r['mode']:<5} {r['what']:<12} {r['seen']:>7,} {r['p50_ms']:>7.0f} "
                         f"{r['p90_ms']:>7.0f} {r['p99_ms']:>7.0f} {r['max_ms']:>7.0f} "
                         f"{r['busy_cores']:>5.2f} {r['load']:>5.1f}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True, help="the built lead-router")
    ap.add_argument("--passthrough", required=True, help="the built bench_passthrough")
    ap.add_argument("--leads", type=int, default=200000, help="throughput leads (0: skip)")
    ap.add_argument("--runs", type=int, default=3,
                    help="throughput runs per case (the ratios use medians)")
    ap.add_argument("--modes", default="eos,alo",
                    help="throughput modes (eos, alo, shared)")
    ap.add_argument("--rate", type=float, default=2000, help="latency: leads per second")
    ap.add_argument("--seconds", type=float, default=20, help="latency: duration (0: skip)")
    ap.add_argument("--latency-modes", default="eos,alo")
    ap.add_argument("--copies", type=int, default=3,
                    help="also run a passthrough that copies each message to this many "
                         "topics, as the router publishes ~3 records per lead (1: skip)")
    ap.add_argument("--commit-interval-ms", type=int, default=100)
    ap.add_argument("--commit-max", type=int, default=10000)
    ap.add_argument("--partitions", type=int, default=3, help="partitions of every topic")
    ap.add_argument("--timeout", type=float, default=300, help="per throughput case, seconds")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--perf-dir", help="perf record -g the router's throughput runs here "
                                       "(perf slows it: not for the reported figures)")
    ap.add_argument("--keep", action="store_true", help="keep configs and logs")
    ap.add_argument("--router-property", action="append", metavar="KEY=VALUE",
                    help="a librdkafka property for the router (kafka.properties); "
                         "repeatable; the passthrough keeps its own settings")
    ap.add_argument("--cold-topics", action="store_true",
                    help="latency: do not warm up the router's output topics first")
    ap.add_argument("--scrape", action="store_true",
                    help="also run the router with an http: listener, idle and scraped "
                         "every second (the cost of /metrics)")
    ap.add_argument("--latency-dump", help="write [produce ms, latency ms] per lead to "
                                           "FILE.<n>.json")
    a = ap.parse_args()
    a.binary = str(Path(a.binary).resolve())
    a.passthrough = str(Path(a.passthrough).resolve())
    a.modes = [m for m in a.modes.split(",") if m]
    a.latency_modes = [m for m in a.latency_modes.split(",") if m]
    for m in a.modes + a.latency_modes:
        if m not in MODES:
            ap.error(f"unknown mode {m!r} (eos, alo, shared)")
    for path in (a.binary, a.passthrough):
        if not os.access(path, os.X_OK):
            ap.error(f"{path} is not an executable")
    workdir = tempfile.mkdtemp(prefix="lr-bench-")
    t0 = time.monotonic()
    try:
        with h.Broker() as broker:
            out = Bench(a, broker, workdir).run()
    finally:
        if not a.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    out["wall_s"] = time.monotonic() - t0
    out["nproc"] = os.cpu_count()
    print(table(out))
    print(f"total {out['wall_s']:.0f} s on {out['nproc']} cores; logs in "
          f"{workdir if a.keep else '(removed; --keep keeps them)'}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1, default=str)


if __name__ == "__main__":
    main()
