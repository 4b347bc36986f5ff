#!/usr/bin/env python3
"""Live rosters and account owners from compacted topics, on a real broker.

While leads flow, one at a time through a round-robin team of three reps
(la, lb, lc, from the YAML): lb goes out of office through the CLI and comes
back, a new rep ld is added on the roster topic, an account changes owner on
the account-owners topic. Every decision records the roster version it used
(a ROUTING_RULE reason `roster_version N`), so each one is checked against the
roster of its version: lb never chosen while away, ld in the cycle once
added, the owner of the moment taking the account's leads; the round-robin
order among the other reps is never disturbed. A restarted router rebuilds
the same roster (same version, same cycle) before its first decision; a bad
roster record goes to the dead-letter topic and the previous value stays.

Usage: test_rosters.py --binary PATH/lead-router
"""
import datetime
import random
import re
import subprocess

import harness as h

REPS = ["la", "lb", "lc"]


def roster_config(ctx):
    topics = ctx.router_topics(partitions=1)
    live = {"roster": f"lr-roster-{ctx.run_id}-{h.random_suffix(4)}",
            "account_owners": f"lr-owners-{ctx.run_id}-{h.random_suffix(4)}"}
    ctx.broker.create_topics({t: 1 for t in live.values()}, config={"cleanup.policy": "compact"})

    def edit(cfg):
        h.reps_always_available(cfg)
        cfg["routing"]["rules"] = [{"name": "all", "team": "live"}]
        cfg["teams"].append({"name": "live", "strategy": "round_robin", "timezone": "UTC",
                             "members": [{"rep": r} for r in REPS]})
        cfg["reps"] += [{"id": r, "timezone": "UTC"} for r in REPS]

    config = ctx.config(topics, {"kafka": {"topics": live}}, edit=edit)
    return topics, live, config


def version_of(d):
    for r in h.reasons_of(d, "ROUTING_RULE"):
        if r["rule"] == "roster":
            return int(r["detail"].split()[1])
    return 0


class Flow:
    """Sends sales-ready leads one at a time and keeps each decision, in order."""

    def __init__(self, ctx, topics, router):
        self.ctx, self.topics, self.router = ctx, topics, router
        self.rng = random.Random(15)
        self.producer = ctx.producer()
        self.decisions = []  # (decision, lead) in order

    def lead(self, email=None):
        lead_id = f"rl-{self.ctx.run_id}-{len(self.decisions)}-{h.random_suffix(4)}"
        lead = h.sample_lead(self.rng, "enterprise_eu", lead_id)
        if email:
            lead["email"] = email
            lead["company_domain"] = email.split("@")[1]
        self.producer.send(self.topics["leads"], h.encode("lead", lead), key=lead_id)
        self.producer.flush()
        with self.ctx.reader([self.topics["assignments"]], watch=self.router) as reader:
            reader.wait(lambda msgs: any(m.key == lead_id.encode() for m in msgs), 60,
                        what=f"the decision for {lead_id}")
            d = next(h.decode("decision", m.value) for m in reader.messages
                     if m.key == lead_id.encode())
        assert d["rep"] is not None, f"{lead_id}: queued ({d['queue']}): {d['reasons']}"
        self.decisions.append((d, lead))
        return d

    def until_version(self, version, email=None):
        """Leads until one is decided with roster `version` or later (the change
        is read between two leads, at most 100 ms after it is produced)."""
        deadline = h.now_ms() + 60_000
        while h.now_ms() < deadline:
            d = self.lead(email)
            if version_of(d) >= version:
                return d
        raise AssertionError(f"no decision with roster version {version} within 60 s")

    def reps(self, since=0):
        return [d["rep"] for d, _ in self.decisions[since:]]


def cli(ctx, config, *args):
    proc = subprocess.run([str(ctx.binary), *args, "-c", str(config)], capture_output=True,
                          text=True, timeout=60)
    return proc.returncode, proc.stdout + proc.stderr


def rep_record(rep_id, team="live", ooo=()):
    return {"id": rep_id, "teams": [{"team": team, "weight": 1}], "active": True, "max_open": 0,
            "max_per_day": 0, "timezone": "UTC", "working_hours": None, "skills": [],
            "out_of_office": [{"from": f, "until": u} for f, u in ooo]}


def subsequence(reps, among):
    return [r for r in reps if r in among]


def assert_cyclic(seq, order, what):
    """seq follows `order` round and round, from wherever it starts."""
    if not seq:
        return
    start = order.index(seq[0])
    want = [order[(start + i) % len(order)] for i in range(len(seq))]
    assert seq == want, f"{what}: {seq}, expected the cycle {want}"


def test_live_roster_changes(ctx):
    topics, live, config = roster_config(ctx)
    group, _ = h.config_group(config)
    producer = ctx.producer()
    today = datetime.datetime.now(datetime.timezone.utc).date()
    away = (str(today - datetime.timedelta(days=1)), str(today + datetime.timedelta(days=7)))
    account = f"acct-{ctx.run_id}.example"
    with ctx.router(config) as router:
        h.prime_router(ctx.broker, router, topics, group)
        flow = Flow(ctx, topics, router)
        for _ in range(6):
            flow.lead()
        assert_cyclic(flow.reps(), REPS, "before any change")
        assert all(version_of(d) == 0 for d, _ in flow.decisions), "a version without a change"

        # 1. lb out of office, through the CLI
        rc, out = cli(ctx, config, "roster", "ooo", "lb", "--from", away[0], "--until", away[1])
        assert rc == 0, f"roster ooo: {out}"
        mark = len(flow.decisions)
        flow.until_version(1)
        for _ in range(5):
            flow.lead()
        after = [d for d, _ in flow.decisions[mark:] if version_of(d) == 1]
        assert after and all(d["rep"] != "lb" for d in after), \
            f"lb chosen while out of office: {[d['rep'] for d in after]}"
        assert any(r["rep"] == "lb" and r["detail"].startswith("out_of_office until")
                   for d in after for r in h.reasons_of(d, "SKIPPED")), "no out_of_office skip"

        # 2. a new rep on the roster topic
        producer.send(live["roster"], h.encode("rep", rep_record("ld")), key="ld")
        producer.flush()
        mark = len(flow.decisions)
        flow.until_version(2)
        for _ in range(6):
            flow.lead()
        v2 = [d["rep"] for d, _ in flow.decisions[mark:] if version_of(d) == 2]
        assert "ld" in v2, f"ld never chosen after being added: {v2}"
        assert_cyclic(v2[1:], ["la", "lc", "ld"], "with lb away and ld added")

        # 3. lb back: one turn per cycle from now on, not flooded
        rc, out = cli(ctx, config, "roster", "ooo", "lb", "--clear")
        assert rc == 0, f"roster ooo --clear: {out}"
        mark = len(flow.decisions)
        flow.until_version(3)
        for _ in range(8):
            flow.lead()
        v3 = [d["rep"] for d, _ in flow.decisions[mark:] if version_of(d) == 3]
        assert_cyclic(v3[1:], ["la", "lb", "lc", "ld"], "after lb's return")
        assert v3.count("lb") <= (len(v3) + 3) // 4 + 1, f"lb flooded on return: {v3}"

        # the order among la and lc was never disturbed by any change
        assert_cyclic(subsequence(flow.reps(), {"la", "lc"}), ["la", "lc"], "la/lc order")

        # 4. an account and a change of owner
        producer.send(live["account_owners"], h.encode("account_owner", {
            "domain": account, "owner": "la", "team": None}), key=account)
        producer.flush()
        d = flow.until_version(4, email=f"buyer@{account}")
        assert d["rep"] == "la" and h.reasons_of(d, "ACCOUNT_OWNER"), f"owner la: {d['reasons']}"
        producer.send(live["account_owners"], h.encode("account_owner", {
            "domain": account, "owner": "lc", "team": "live"}), key=account)
        producer.flush()
        d = flow.until_version(5, email=f"cfo@{account}")
        assert d["rep"] == "lc", f"after the owner change: {d['rep']} {d['reasons']}"

        # 5. a bad record: dead-lettered with the reason, the previous value stays
        producer.send(live["roster"], h.encode("rep", rep_record("la", team="no-such-team")),
                      key="la")
        producer.flush()
        with ctx.reader([topics["dead_letter"]], watch=router) as dlq:
            dlq.wait(lambda msgs: any(m.key == b"la" for m in msgs), 60,
                     what="the refused roster record on the dead-letter topic")
            m = next(m for m in dlq.messages if m.key == b"la")
            reason = h.header(m, "lr.error.reason").decode()
            assert "unknown team" in reason and "no-such-team" in reason, reason
        last_cycle = flow.reps(len(flow.decisions) - 4)
        router.stop()
    logs = router.logs()

    # 6. restarted: the same roster, read before the first decision
    with ctx.router(config, name="router2") as router2:
        h.prime_router(ctx.broker, router2, topics, group)
        flow2 = Flow(ctx, topics, router2)
        d = flow2.lead(email=f"again@{account}")
        assert version_of(d) == 5, f"restarted with roster version {version_of(d)}, expected 5"
        assert d["rep"] == "lc", f"restarted: the account went to {d['rep']}"
        for _ in range(8):
            flow2.lead()
        assert_cyclic(flow2.reps(1), ["la", "lb", "lc", "ld"], "after the restart")
        router2.stop()
    restarted = router2.logs()
    first = re.search(r"roster read: (\d+) records applied, (\d+) refused", logs)
    again = re.search(r"roster read: (\d+) records applied, (\d+) refused", restarted)
    assert first and again, "no 'roster read' line in the logs"
    assert int(again.group(1)) == 5 and int(again.group(2)) == 1, again.group(0)
    h.log(f"cycle before the restart {last_cycle}, after {flow2.reps(1)}")


def test_cli_refuses_bad_input(ctx):
    topics, live, config = roster_config(ctx)
    checks = [
        (("roster", "set", "zz", "--team", "nope"), "unknown team 'nope'"),
        (("roster", "set", "zz", "--team", "live", "--timezone", "Mars/Olympus"),
         "unknown time zone 'Mars/Olympus'"),
        (("roster", "ooo", "nobody", "--from", "2026-01-01", "--until", "2026-01-05"),
         "unknown rep 'nobody'"),
        (("roster", "remove", "nobody"), "unknown rep 'nobody'"),
    ]
    for args, want in checks:
        rc, out = cli(ctx, config, *args)
        assert rc != 0 and want in out, f"{args}: exit {rc}, {out!r}"
    csv = ctx.tmpdir / "owners.csv"
    csv.write_text("domain,owner\nbigcorp.com,la\nother.example,ghost\n")
    rc, out = cli(ctx, config, "owners", "import", "--csv", str(csv))
    assert rc != 0 and "line 3" in out and "unknown rep 'ghost'" in out, out
    # nothing written: both topics are still empty
    for topic in live.values():
        ends = ctx.broker.end_offsets(topic)
        assert sum(ends.values()) == 0, f"{topic} has records after refused commands: {ends}"
    rc, out = cli(ctx, config, "roster", "list")
    assert rc == 0 and "la" in out and "live" in out, out


if __name__ == "__main__":
    h.main()
