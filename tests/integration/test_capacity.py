#!/usr/bin/env python3
"""lead-router keeps at most qualification.max_leads lead records: when the
table is full it first drops records no rep owns (the warm-up lead, a
nurture), then dead-letters new leads as over_capacity, once each, says so in
one log line and goes on; the leads it holds are decided exactly once.

Usage: test_capacity.py --binary PATH/lead-router
"""
import harness as h

MAX_LEADS = 4
N_LEADS = 8


def always_available(cfg):
    """Every lead to global_inbound, whose reps are always available and
    uncapped: each decided lead is assigned, so an owner holds its record."""
    cfg["routing"]["rules"] = [{"name": "all", "team": "global_inbound"}]
    cfg["routing"].pop("accounts", None)
    for rep in cfg["reps"]:
        for key in ("working_hours", "max_open", "max_per_day", "out_of_office"):
            rep.pop(key, None)


def test_full_lead_table_sheds_over_capacity(ctx):
    run = ctx.unique("cap")
    topics = ctx.router_topics(partitions=1)
    config = ctx.config(topics, overrides={"qualification": {"max_leads": MAX_LEADS}},
                        edit=always_available)
    group, _ = h.config_group(config)
    ids = [f"{run}-{i}" for i in range(N_LEADS)]
    with ctx.router(config) as router:
        warmup = h.prime_router(ctx.broker, router, topics, group)
        assert len(warmup) == 1, warmup
        producer = ctx.producer()
        for lead_id in ids:
            lead = h.make_lead(lead_id, email="kim.berg@northriver.example", source="web",
                               consent=True, company_size=500,
                               activities=[h.activity("DEMO_REQUEST", h.now_ms())])
            producer.send(topics["leads"], h.encode("lead", lead), key=lead_id)
        producer.flush()
        out = [topics["dead_letter"], topics["assignments"], topics["nurture"]]
        with ctx.reader(out, watch=router) as reader:
            def done(msgs):
                seen = {m.key for m in msgs if m.topic != topics["nurture"]}
                return all(i.encode() in seen for i in ids)
            reader.wait(done, timeout=120, settle=3.0,
                        what=f"a decision or a dead letter for each of {N_LEADS} leads")
            msgs = list(reader.messages)
        logs = router.logs(limit=200000)

    # warm-up + 3 fill the table; the 4th makes room by dropping the warm-up
    # (nurture, no owner); the other 4 find every record owned
    decided = {}
    for m in msgs:
        if m.topic == topics["assignments"]:
            d = h.decode("decision", m.value)
            decided.setdefault(d["lead_id"], []).append(d)
    dead = {}
    for m in msgs:
        if m.topic == topics["dead_letter"]:
            dead.setdefault(m.key.decode(), []).append(m)
    want_decided, want_dead = ids[:MAX_LEADS], ids[MAX_LEADS:]
    problems = []
    for lead_id in want_decided:
        n = len(decided.get(lead_id, []))
        if n != 1 or not decided[lead_id][0]["rep"]:
            problems.append(f"{lead_id}: {n} assignments, wanted 1 with a rep")
        if lead_id in dead:
            problems.append(f"{lead_id}: decided and dead-lettered")
    for lead_id in want_dead:
        found = dead.get(lead_id, [])
        if len(found) != 1:
            problems.append(f"{lead_id}: dead-lettered {len(found)} times, wanted once")
            continue
        code = h.header(found[0], "lr.error.code")
        reason = h.header(found[0], "lr.error.reason")
        if code != b"over_capacity" or b"qualification.max_leads" not in (reason or b""):
            problems.append(f"{lead_id}: lr.error.code {code!r}, reason {reason!r}")
        if lead_id in decided:
            problems.append(f"{lead_id}: dead-lettered and decided")
    n_lines = logs.count("lead table full (qualification.max_leads)")
    if n_lines != 1:
        problems.append(f"'lead table full' logged {n_lines} times, wanted once")
    if problems:
        raise AssertionError(f"{len(problems)} problems:\n  " + "\n  ".join(problems)
                             + "\n" + logs[-3000:])


if __name__ == "__main__":
    h.main()
