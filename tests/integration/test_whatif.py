#!/usr/bin/env python3
"""replay --from-kafka reads a day of events from a real broker and decides
them exactly as a file replay of the same events does, byte for byte; records
outside the time range are left out and an undecodable one is counted, not
fatal; diff --from-kafka reports what diff --input reports. With --from-state
the replay starts from the live router's state as of --since (read from its
changelog) and decides what came after exactly as the live router did.

Usage: test_whatif.py --binary PATH/lead-router
"""
import json
import random
import subprocess
import time

from confluent_kafka import Producer

import harness as h

DAY = 86_400_000
# Yesterday, UTC: within the topics' retention (a week by default), which
# would delete records with older timestamps while the test reads them.
START = (h.now_ms() // DAY - 1) * DAY
LEADS = 240


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def day_of_events(run):
    """[(topic key, record)] in event-time order over one day: leads of every
    category spread over the day, and for every third lead a sales activity
    20 minutes later. Every event has its own millisecond, so the order is
    the same whichever way it is merged."""
    mix = h.lead_mix({c: LEADS // len(h.LEAD_CATEGORIES) for c in h.LEAD_CATEGORIES}, run, seed=11)
    events = []
    for i, (_, lead) in enumerate(mix):
        t = START + 60_000 + i * (DAY - 3_600_000) // len(mix) + i
        lead["event_time"] = t
        lead["activities"] = [dict(a, at=min(a["at"], t - 1000)) for a in lead["activities"]]
        events.append(("leads", lead))
        if i % 3 == 0:
            events.append(("sales_activity", h.make_sales_activity(
                lead["lead_id"], "CONTACTED", "alice", activity_id=f"{lead['lead_id']}:c",
                occurred_at=t + 1_200_000 + 7)))
    events.sort(key=lambda e: e[1]["event_time" if e[0] == "leads" else "occurred_at"])
    return events


def event_time(key, record):
    return record["event_time"] if key == "leads" else record["occurred_at"]


def as_json_line(key, record):
    return json.dumps(dict(type="lead" if key == "leads" else "activity", **record),
                      separators=(",", ":"))


def produce_day(ctx, topics, events):
    """Every event with its event time as the message timestamp; around them a
    lead the day before and one the day after (outside the range), and a
    record that does not decode, inside it."""
    p = Producer({"bootstrap.servers": ctx.bootstrap, "enable.idempotence": True})
    errors = []

    def report(err, msg):
        if err is not None:
            errors.append(str(err))
    for when, lead_id in ((START - 3_600_000, "before"), (START + DAY + 3_600_000, "after")):
        lead = h.make_lead(f"{ctx.run_id}-{lead_id}", event_time=when, consent=True)
        p.produce(topics["leads"], h.encode("lead", lead), key=lead["lead_id"], timestamp=when,
                  on_delivery=report)
    p.produce(topics["leads"], b"\xde\xad not avro", key=b"garbage", timestamp=START + 30_000,
              on_delivery=report)
    for key, record in events:
        kind = "lead" if key == "leads" else "sales_activity"
        p.produce(topics[key], h.encode(kind, record), key=record["lead_id"],
                  timestamp=event_time(key, record), on_delivery=report)
        p.poll(0)
    assert p.flush(60) == 0, "undelivered messages"
    assert not errors, errors[:3]


def run(ctx, *args):
    proc = subprocess.run([str(ctx.binary), *map(str, args)], capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        raise AssertionError(f"lead-router {' '.join(map(str, args))} exited {proc.returncode}:"
                             f"\n{proc.stderr[-2000:]}")
    return proc


def test_replay_from_kafka_is_the_file_replay(ctx):
    topics = ctx.router_topics(partitions=3)
    config = ctx.config(topics)
    events = day_of_events(ctx.run_id)
    produce_day(ctx, topics, events)
    day = ctx.tmpdir / "day.jsonl"
    day.write_text("".join(as_json_line(k, r) + "\n" for k, r in events), encoding="utf-8")
    since, until = iso(START), iso(START + DAY - 1000)
    from_kafka = run(ctx, "replay", "-c", config, "--from-kafka", "--since", since, "--until",
                     until, "--output", ctx.tmpdir / "kafka.jsonl")
    run(ctx, "replay", "-c", config, "--input", day, "--until", until,
        "--output", ctx.tmpdir / "file.jsonl")
    got = (ctx.tmpdir / "kafka.jsonl").read_bytes()
    want = (ctx.tmpdir / "file.jsonl").read_bytes()
    n_leads = sum(1 for k, _ in events if k == "leads")
    decisions = got.count(b'"type":"decision"')
    assert decisions >= n_leads, f"{decisions} decisions for {n_leads} leads"
    assert got == want, (f"replay --from-kafka differs from the file replay "
                         f"({len(got)} vs {len(want)} bytes)")
    summary = from_kafka.stderr
    assert f"{len(events)} replayed, 1 undecodable" in summary, summary
    # the lead before the day is never read (offsets_for_times starts after
    # it); the one after it is read to the end of its partition and skipped
    assert "1 outside the time range" in summary, summary
    assert f"replay: {n_leads} leads, {len(events) - n_leads} sales activities" in summary, summary


def test_diff_from_kafka_is_the_file_diff(ctx):
    topics = ctx.router_topics(partitions=2)
    config = ctx.config(topics)
    proposed = ctx.config(topics, name="proposed.yaml", edit=lambda c: [
        r.update(points=r["points"] + 15) for r in c["scoring"]["fit"]
        if r["name"] == "decision_maker"])
    events = day_of_events(ctx.run_id + "d")
    produce_day(ctx, topics, events)
    day = ctx.tmpdir / "day.jsonl"
    day.write_text("".join(as_json_line(k, r) + "\n" for k, r in events), encoding="utf-8")
    until = iso(START + DAY)
    kafka = run(ctx, "diff", "-c", config, "-c", proposed, "--from-kafka", "--since",
                iso(START), "--until", until, "--json").stdout
    file = run(ctx, "diff", "-c", config, "-c", proposed, "--input", day, "--until", until,
               "--json").stdout
    assert kafka == file, f"diff --from-kafka:\n{kafka[:600]}\ndiff --input:\n{file[:600]}"
    report = json.loads(kafka)
    assert report["decided"] == sum(1 for k, _ in events if k == "leads"), report["decided"]
    assert report["changed"] > 0, "15 more points for decision makers changed nothing"


# ----------------------------------------------------------- --from-state --

def live_outcomes(ctx, topics, lead_ids, n_decided, router, since=0):
    """What the live router did with each of lead_ids (their first event
    there for a lead event at or after `since`): ("DECISION", stage, team,
    rep, queue) or ("DUPLICATE",) (a status only a repeat gets)."""
    want = set(lead_ids)

    def decided(m):
        return m.topic != topics["status"] and h.decode("decision", m.value)["event_time"] >= since

    keys = [topics["assignments"], topics["nurture"], topics["status"]]
    with ctx.reader(keys, watch=router) as reader:
        def done(msgs):
            seen = {m.key.decode() for m in msgs if decided(m)} & want
            dups = {m.key.decode() for m in msgs if m.topic == topics["status"]
                    and h.decode("status", m.value)["status"] == "DUPLICATE"} & want
            return len(seen) >= n_decided and len(seen | dups) == len(want)
        msgs = reader.wait(done, 90, what=f"the live router's outcomes for {len(want)} leads")
    out = {}
    for m in msgs:
        lead_id = m.key.decode()
        if lead_id not in want or lead_id in out:
            continue
        if m.topic == topics["status"]:
            if h.decode("status", m.value)["status"] == "DUPLICATE":
                out[lead_id] = ("DUPLICATE",)
            continue
        if not decided(m):
            continue
        d = h.decode("decision", m.value)
        out[lead_id] = ("DECISION", d["stage"], d["team"], d["rep"], d["queue"])
    return out


def replay_outcomes(path, lead_ids):
    """The same from a replay's output file."""
    want, out = set(lead_ids), {}
    for line in path.read_text(encoding="utf-8").splitlines():
        e = json.loads(line)
        lead_id = e["lead_id"]
        if lead_id not in want or lead_id in out:
            continue
        if e["type"] == "decision":
            out[lead_id] = ("DECISION", e["stage"], e["team"], e["rep"], e["queue"])
        elif e["type"] == "status" and e["status"] == "DUPLICATE":
            out[lead_id] = ("DUPLICATE",)
    return out


def batch(rng, run_id, prefix, n_eu, n_na, t0):
    """Leads with strictly growing event times from t0 (one per ms): EU
    enterprise leads (weighted team) and North American ones (least loaded)."""
    cats = ["enterprise_eu"] * n_eu + ["na"] * n_na
    rng.shuffle(cats)
    leads = []
    for i, cat in enumerate(cats):
        lead = h.sample_lead(rng, cat, f"{run_id}-{prefix}{i:02d}", now=t0)
        lead["lead_id"] = f"{run_id}-{prefix}{i:02d}"
        lead["event_time"] = t0 + i
        leads.append(lead)
    return leads


def send_leads(ctx, topics, leads):
    """Every lead to partition 0, its event time as the message timestamp: the
    live router then decides them in the order the replay merges them."""
    p = Producer({"bootstrap.servers": ctx.bootstrap, "enable.idempotence": True})
    errors = []
    for lead in leads:
        p.produce(topics["leads"], h.encode("lead", lead), key=lead["lead_id"], partition=0,
                  timestamp=lead["event_time"],
                  on_delivery=lambda err, msg: errors.append(str(err)) if err else None)
    assert p.flush(60) == 0, "undelivered messages"
    assert not errors, errors[:3]


def test_replay_from_state_continues_the_live_router(ctx):
    topics = ctx.router_topics(partitions=3)
    config = ctx.config(topics, edit=h.reps_always_available)
    group, _ = h.config_group(config)
    rng = random.Random(17)
    first = batch(rng, ctx.run_id, "a", 7, 5, h.now_ms())
    with ctx.router(config) as router:
        h.prime_router(ctx.broker, router, topics, group)
        send_leads(ctx, topics, first)
        owners = live_outcomes(ctx, topics, [x["lead_id"] for x in first], len(first), router)
        # Everything the router wrote for the first batch committed with its
        # decisions, just read: the changelog holds it, stamped before T.
        t = h.now_ms() + 1
        h.wait_for(lambda: h.now_ms() > t, 5, 0.001, "the clock to pass T")
        repeats = [dict(x, event_time=t + 100 + i) for i, x in enumerate(first[:4])]
        second = repeats + batch(rng, ctx.run_id, "b", 9, 6, t + 200)
        send_leads(ctx, topics, second)
        ids = [x["lead_id"] for x in second]
        live = live_outcomes(ctx, topics, ids, len(second) - len(repeats), router, t)
    assert all(live[x["lead_id"]] == ("DUPLICATE",) for x in repeats), live

    since = t
    with_state = run(ctx, "replay", "-c", config, "--from-kafka", "--since", since,
                     "--from-state", "--output", ctx.tmpdir / "state.jsonl")
    replayed = replay_outcomes(ctx.tmpdir / "state.jsonl", ids)
    diffs = [(i, live[i], replayed.get(i)) for i in ids if live[i] != replayed.get(i)]
    assert not diffs, f"{len(diffs)} leads decided otherwise than live: {diffs[:6]}"
    line = [x for x in with_state.stderr.splitlines() if x.startswith("state: ")]
    assert len(line) == 1 and " 0 skipped" in line[0] and " 0 malformed" in line[0], \
        with_state.stderr[-1500:]
    assert f"{len(second)} replayed" in with_state.stderr, with_state.stderr[-1500:]

    run(ctx, "replay", "-c", config, "--from-kafka", "--since", since,
        "--output", ctx.tmpdir / "empty.jsonl")
    empty = replay_outcomes(ctx.tmpdir / "empty.jsonl", ids)
    for x in repeats:  # new to an empty state: decided again, not duplicates
        assert empty[x["lead_id"]][0] == "DECISION", empty[x["lead_id"]]
    moved = [i for i in ids[len(repeats):] if empty[i] != live[i]]
    h.log(f"from an empty state: {len(moved)} of {len(ids) - len(repeats)} new leads "
          f"decided otherwise, {len(repeats)} repeats not duplicates")
    assert moved, "an empty state decided every new lead as the live router did"

    # The first batch's open SLA clocks come with the state: run to a day
    # later and they fall due in the replay, as they would have live.
    run(ctx, "replay", "-c", config, "--from-kafka", "--since", since, "--from-state",
        "--until", t + 86_400_000, "--output", ctx.tmpdir / "until.jsonl")
    alerted = {json.loads(x)["lead_id"] for x in
               (ctx.tmpdir / "until.jsonl").read_text(encoding="utf-8").splitlines()
               if json.loads(x)["type"] == "alert"}
    assert alerted & {x["lead_id"] for x in first}, "no SLA alert for a first-batch lead"

    # diff: both rulebooks start from the same state; a rep the proposed
    # rulebook lacks is skipped and counted.
    proposed = ctx.config(topics, name="proposed.yaml", edit=lambda c: (
        h.reps_always_available(c), drop_rep(c, "emma")))
    d = run(ctx, "diff", "-c", config, "-c", proposed, "--from-kafka", "--since", since,
            "--from-state", "--json")
    line = [x for x in d.stderr.splitlines() if x.startswith("state: ")]
    assert len(line) == 1, d.stderr[-1500:]
    current, prop = line[0].split("; current: ")[1].split("; proposed: ")
    assert current.split(" applied, ")[1].startswith("0 skipped"), line[0]
    assert not prop.split(" applied, ")[1].startswith("0 skipped"), line[0]
    # a repeat of emma's lead is new to the proposed side: its record was skipped
    emmas = sum(1 for x in repeats if owners[x["lead_id"]][3] == "emma")
    report = json.loads(d.stdout)
    assert report["decided"] == len(second) - len(repeats) + emmas, (report["decided"], emmas)


def drop_rep(cfg, rep):
    """make_config edit: `rep` leaves the roster and every team."""
    cfg["reps"] = [r for r in cfg["reps"] if r["id"] != rep]
    for team in cfg["teams"]:
        team["members"] = [m for m in team["members"] if m["rep"] != rep]


if __name__ == "__main__":
    h.main()
