#!/usr/bin/env python3
"""replay --from-kafka reads a day of events from a real broker and decides
them exactly as a file replay of the same events does, byte for byte; records
outside the time range are left out and an undecodable one is counted, not
fatal; diff --from-kafka reports what diff --input reports.

Usage: test_whatif.py --binary PATH/lead-router
"""
import json
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


if __name__ == "__main__":
    h.main()
