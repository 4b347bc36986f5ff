#!/usr/bin/env python3
"""Soak: broker restarts and router kills at random moments, then exactly-once.

Not a ctest test (it takes about 10 minutes): run it by hand or before a
release, with the integration tests' Python (tests/integration/requirements.txt):

    tests/soak/soak.py --binary build/lead-router            # about 10 minutes
    tests/soak/soak.py --binary build/lead-router --minutes 3 --restarts 5 --kills 5

It starts a broker of its own (tests/kafka/broker.sh, never the one in
LR_KAFKA_BOOTSTRAP: it restarts it) and one router (exactly once, commit window
100 ms), feeds leads at a steady rate while a CRM answers two thirds of the
assignments (the rest breach their 5 s SLA), and meanwhile, at random moments:

  - restarts the broker --restarts times (default 20), clean (SIGTERM) or hard
    (SIGKILL, then 0-3 s down), one at a time; some of them land right after a
    router start, while the router restores its state from the changelog, and
    with a commit every 100 ms most of the others land during a commit;
  - kills the router with SIGKILL --kills times (default 20) and starts a new
    one at once, as a supervisor would.

A router that stops by itself is restarted too (a supervisor again), and its
last line is reported: the router may stop, but must say why and lose nothing.
At the end every output topic is read from the beginning with read_committed
and the crash test's checks must hold (harness.check_exactly_once): one NEW
decision per lead, no event_id twice, no assignment twice, exactly one BREACH
for every untouched assignment, every touch counted once, no dead letter.
Exits 0 when they hold, 1 otherwise; prints what happened either way.
"""
import argparse
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import harness as h  # noqa: E402

FIRST_TOUCH_S = 5
RATE = 120                      # leads per second while input flows
CATEGORIES = {"enterprise_eu": 5, "demo": 4, "na": 4, "german": 1, "apac": 1, "student": 2,
              "no_consent": 2, "blocked": 1}


def soak_config(cfg):
    h.short_sla_config(cfg, "soak_first_touch", FIRST_TOUCH_S)
    cfg["kafka"]["processing"] = "exactly_once"


def schedule(rng, flow_s, restarts, kills):
    """[(second, action)]: kills spread over the flow; broker restarts too,
    every third one right after a kill (the new router is restoring)."""
    events = [(rng.uniform(5, flow_s - 5), "kill") for _ in range(kills)]
    kill_times = sorted(t for t, _ in events)
    for i in range(restarts):
        if i % 3 == 2 and kill_times:
            t = rng.choice(kill_times) + rng.uniform(0.1, 1.0)
            action = "restore-restart"
        else:
            t = rng.uniform(5, flow_s - 5)
            action = "restart"
        events.append((t, action))
    return sorted(events)


class Outage(threading.Thread):
    """One broker restart in the background (it blocks until the broker is back)."""

    def __init__(self, broker, hard, down_s):
        super().__init__(daemon=True)
        self.broker, self.hard, self.down_s = broker, hard, down_s
        self.error = None
        self.took = None

    def run(self):
        t0 = time.monotonic()
        try:
            self.broker.restart(hard=self.hard, down_seconds=self.down_s)
        except Exception as exc:  # reported by the main thread
            self.error = exc
        self.took = time.monotonic() - t0


class Supervisor:
    """The routers of the soak: kill() and restart, and a restart of any that
    stopped by itself (with its last line noted)."""

    def __init__(self, ctx, config):
        self.ctx, self.config = ctx, config
        self.routers, self.self_exits = [], []
        self.start()

    @property
    def current(self):
        return self.routers[-1]

    def start(self):
        r = self.ctx.router(self.config, name=f"router{len(self.routers)}")
        r.start()
        self.routers.append(r)

    def kill(self):
        self.current.kill()
        self.start()

    def watch(self):
        r = self.current
        if r.proc.poll() is not None:
            lines = r.stderr_path.read_text(errors="replace").strip().splitlines()
            last = lines[-1] if lines else "(nothing on stderr)"
            self.self_exits.append((r.name, r.proc.returncode, last))
            h.log(f"soak: {r.name} stopped by itself, exit {r.proc.returncode}: {last}")
            self.start()


def run(ctx, args):
    rng = random.Random(args.seed)
    flow_s = args.minutes * 60 * 0.8
    per_cycle = sum(CATEGORIES.values())
    mix = {k: int(n * flow_s * RATE / per_cycle) for k, n in CATEGORIES.items()}
    topics = ctx.router_topics(partitions=3)
    config = ctx.config(topics, edit=soak_config)
    group, _ = h.config_group(config)
    leads = [lead for _, lead in h.lead_mix(mix, ctx.unique("soak"), seed=args.seed)]
    encoded = [(lead["lead_id"], h.encode("lead", lead)) for lead in leads]
    plan = schedule(rng, flow_s, args.restarts, args.kills)
    h.log(f"soak: seed {args.seed}, {len(leads)} leads over {flow_s:.0f} s, "
          f"{args.restarts} broker restarts, {args.kills} router kills")

    sup = Supervisor(ctx, config)
    outage, outages, done = None, [], {"kill": 0, "restart": 0, "restore-restart": 0}
    try:
        warmup = h.prime_router(ctx.broker, sup.current, topics, group)
        producer = ctx.producer(**{"reconnect.backoff.max.ms": 500, "log_level": 2})
        crm = h.Crm(producer, topics["sales_activity"])
        with ctx.reader([topics["assignments"]],
                        conf={"reconnect.backoff.max.ms": 500, "log_level": 2}) as live:
            t0, sent = time.monotonic(), 0
            while sent < len(encoded) or plan or (outage and outage.is_alive()):
                elapsed = time.monotonic() - t0
                target = min(len(encoded), int(elapsed * RATE))
                while sent < target:
                    producer.send(topics["leads"], encoded[sent][1], key=encoded[sent][0])
                    sent += 1
                crm.read(live.poll(0.05))
                sup.watch()
                if outage and not outage.is_alive():
                    if outage.error:
                        raise outage.error
                    outages.append(outage)
                    outage = None
                if not plan or elapsed < plan[0][0]:
                    continue
                action = plan[0][1]
                if action == "kill":
                    plan.pop(0)
                    sup.kill()
                elif outage is None:  # a restart waits for the one before to end
                    plan.pop(0)
                    hard = rng.random() < 0.5
                    outage = Outage(ctx.broker, hard, rng.uniform(0, 3) if hard else 0)
                    outage.start()
                else:
                    continue
                done[action] += 1
                h.log(f"soak: {action} at {elapsed:.1f} s ({sent} leads sent, "
                      f"{len(crm.assignments)} assignments seen)")
            producer.flush()
            expected = set(warmup) | {lead_id for lead_id, _ in encoded}
            h.wait_settled(ctx, topics, expected, crm, live, sup.watch,
                           settle=FIRST_TOUCH_S + 2, timeout=300, label="soak")
        sup.current.stop()
    except BaseException:
        for r in sup.routers:
            if r.running():
                r.kill()
        sup.current.print_logs()
        raise

    events, dlq = h.read_router_output(ctx.bootstrap, topics, len(expected), timeout=300)
    hard = sum(o.hard for o in outages)
    h.log(f"soak: {done['kill']} router kills, {len(outages)} broker restarts ({hard} hard, "
          f"{done['restore-restart']} right after a router start), broker away "
          f"{min(o.took for o in outages):.1f}-{max(o.took for o in outages):.1f} s each; "
          f"{len(sup.self_exits)} router(s) stopped by themselves")
    for name, code, last in sup.self_exits:
        h.log(f"soak:   {name} exit {code}: {last}")
    renewals = sum(r.stderr_path.read_text(errors="replace").count("producer renewed")
                   for r in sup.routers)
    h.log(f"soak: producer renewals in all router logs: {renewals}")
    s = h.check_exactly_once(events, dlq, expected, h.answered, crm.answers)
    h.log(f"soak: PASS: {s['decided']} leads decided once, {s['assigned']} assignments, "
          f"{s['touched']} touched, {s['untouched']} untouched, {s['breaches']} breaches, "
          f"0 duplicates, DLQ empty")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--binary", required=True, help="path of the built lead-router")
    p.add_argument("--minutes", type=float, default=10, help="about how long it runs")
    p.add_argument("--restarts", type=int, default=20, help="broker restarts")
    p.add_argument("--kills", type=int, default=20, help="router kills")
    p.add_argument("--seed", type=int, default=random.randrange(1 << 30))
    args = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="lr-soak-"))
    broker = h.Broker(own=True)
    code = 1
    try:
        broker.start()
        run(h.Ctx(broker, Path(args.binary).resolve(), root, f"{time.strftime('%H%M%S')}"
                  f"-{h.random_suffix(5)}"), args)
        code = 0
    except Exception as exc:
        h.log(f"soak: FAIL: {type(exc).__name__}: {exc}")
    finally:
        broker.stop()
        shutil.rmtree(root, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
