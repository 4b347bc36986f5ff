#!/usr/bin/env python3
"""No personal data in logs: leads carrying recognisable personal data (an email,
names, a phone number, a company, free text) go through `run` on the real broker
(good leads, a lead that breaks the contract and is dead-lettered, malformed
messages) and through `replay` (good lines, and bad lines whose error is in a
personal-data field); none of it may appear on standard error, nor on the
router's /metrics (its `http:` listener on a free port). With log.format: json
every line the router writes is also one JSON object with time, level and msg.

Usage: test_pii_logs.py --binary PATH/lead-router
"""
import json
import re
import subprocess

import harness as h

# Recognisable values, and the fragments that must never show up in a log.
EMAIL = "pii-canary-123@example.com"
FIRST, LAST = "Zebulon", "Canary"
PHONE = "+1-555-0100-999"
COMPANY = "CanaryCorp"
NOTE = "free text canary: call Zebulon after lunch"
FORBIDDEN = ("pii-canary", "zebulon", "canary", "555-0100")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def canary_lead(lead_id, **fields):
    """A sales-ready lead (demo request) full of personal data."""
    record = dict(email=EMAIL, first_name=FIRST, last_name=LAST, phone=PHONE,
                  company_name=COMPANY, company_domain="canarycorp.example",
                  job_title="Head of Canary", source="web", consent=True, company_size=800,
                  country="US", region="NA",
                  activities=[h.activity("DEMO_REQUEST", h.now_ms() - 60_000, NOTE)],
                  attributes={"notes": NOTE, "contact": f"{FIRST} {LAST} {PHONE}"})
    record.update(fields)
    return h.make_lead(lead_id, **record)


def assert_clean(text, where, on="standard error"):
    low = text.lower()
    found = [f for f in FORBIDDEN if f in low]
    if found:
        lines = [line for line in text.splitlines() if any(f in line.lower() for f in found)]
        raise AssertionError(f"{where}: personal data {found} on {on}:\n"
                             + "\n".join(lines[:10]))


def metric_sum(text, name):
    """The sum of every series of `name` in a /metrics text."""
    return sum(float(m.group(1)) for m in
               re.finditer(rf"^lead_router_{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))


def scrape_when_counted(router, url, decided, dead):
    """/metrics once it counts `decided` decisions and `dead` dead letters
    (it publishes a few times a second)."""
    found = []

    def counted():
        router.check_alive()
        status, body = h.http_request(url)
        found[:] = [body]
        return (status == 200 and metric_sum(body, "decisions_total") >= decided
                and metric_sum(body, "dead_letters_total") >= dead)
    h.wait_for(counted, 60, what=f"/metrics to count {decided} decisions, {dead} dead letters")
    return found[0]


def assert_json_lines(text, where):
    lines = [line for line in text.splitlines() if line]
    assert lines, f"{where}: no log lines at all"
    for line in lines:
        try:
            rec = json.loads(line)
        except ValueError as exc:
            raise AssertionError(f"{where}: not a JSON line ({exc}): {line!r}") from None
        assert isinstance(rec, dict), f"{where}: not an object: {line!r}"
        assert TIME_RE.match(rec.get("time", "")), f"{where}: bad time in {line!r}"
        assert rec.get("level") in ("debug", "info", "warn", "error"), line
        assert isinstance(rec.get("msg"), str) and rec["msg"], line
    return lines


def test_run_logs_no_personal_data(ctx):
    run = ctx.unique("pii")
    topics = ctx.router_topics(partitions=3)
    port = h.free_port()
    config = ctx.config(topics, overrides={"log": {"format": "json", "level": "debug"},
                                           "http": {"address": "127.0.0.1", "port": port}},
                        edit=h.reps_always_available)
    group, _ = h.config_group(config)
    good = [f"{run}-good-{i}" for i in range(6)]
    with ctx.router(config) as router:
        warmup = h.prime_router(ctx.broker, router, topics, group)
        producer = ctx.producer()
        for lead_id in good:
            producer.send(topics["leads"], h.encode("lead", canary_lead(lead_id)), key=lead_id)
        # breaks the contract (whitespace in the id): dead-lettered after decoding
        producer.send(topics["leads"], h.encode("lead", canary_lead(f"{run} bad id")),
                      key=f"{run}-contract")
        # malformed: the Avro cut short in the middle of the personal data
        whole = h.encode("lead", canary_lead(f"{run}-cut"))
        producer.send(topics["leads"], whole[:len(whole) - 40], key=f"{run}-cut")
        # not Avro at all: JSON with the personal data in it
        producer.send(topics["leads"], json.dumps({"email": EMAIL, "name": FIRST}).encode(),
                      key=f"{run}-json")
        # a sales activity whose note is free text
        producer.send(topics["sales_activity"],
                      h.encode("sales_activity", h.make_sales_activity(
                          good[0], "CONTACTED", "bob", reason=NOTE)), key=good[0])
        producer.flush()
        with ctx.reader([topics["assignments"], topics["nurture"], topics["dead_letter"]],
                        watch=router) as reader:
            def done(msgs):
                decided = {m.key for m in msgs if m.topic != topics["dead_letter"]}
                dead = sum(1 for m in msgs if m.topic == topics["dead_letter"])
                return dead >= 3 and all(i.encode() in decided for i in good)
            reader.wait(done, timeout=120, settle=2.0,
                        what="decisions for the canary leads and 3 dead letters")
        scrape = scrape_when_counted(router, f"http://127.0.0.1:{port}/metrics",
                                     len(good) + len(warmup), 3)
    assert_clean(scrape, "run", on="/metrics")
    text = router.stderr_path.read_bytes().decode("utf-8", "replace")
    assert_clean(text, "run")
    lines = assert_json_lines(text, "run")
    assert any("stopped cleanly" in json.loads(line)["msg"] for line in lines), text[-2000:]
    h.log(f"  run: {len(lines)} JSON log lines and /metrics ({len(scrape)} bytes), no "
          f"personal data ({len(good) + len(warmup)} leads decided, 3 dead letters)")


def replay(ctx, config, lines, name):
    path = ctx.tmpdir / f"{name}.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    return subprocess.run([str(ctx.binary), "replay", "-c", str(config), "-i", str(path),
                           "-o", str(ctx.tmpdir / f"{name}.out.jsonl")],
                          capture_output=True, text=True, timeout=60)


def replay_line(lead):
    lead = dict(lead, type="lead")
    for a in lead["activities"]:
        a["type"] = a["type"].lower()
    return json.dumps(lead) + "\n"


def test_replay_logs_no_personal_data(ctx):
    topics = ctx.router_topics(partitions=1)
    config = ctx.config(topics, edit=h.reps_always_available)
    good = [replay_line(canary_lead(f"r-{i}")) for i in range(4)]
    proc = replay(ctx, config, good, "good")
    assert proc.returncode == 0, proc.stderr
    assert "replay:" in proc.stderr, proc.stderr  # the summary is there...
    assert_clean(proc.stderr, "replay summary")   # ...without personal data
    decided = [json.loads(line) for line in
               (ctx.tmpdir / "good.out.jsonl").read_text().splitlines()]
    assert any(e.get("lead_id") == "r-0" for e in decided), "replay decided nothing"

    # each bad line has its error in a personal-data field; replay stops at it
    base = canary_lead("r-bad")
    bad = {
        "unquoted_email": good[0].replace(json.dumps(EMAIL), EMAIL, 1),
        "email_as_object": replay_line(dict(base, email={"address": EMAIL})),
        "phone_in_time": replay_line(dict(base, event_time=PHONE)),
        "name_as_key": replay_line(base).replace('"first_name"', f'"{FIRST} {LAST}"', 1),
        "company_in_enum": json.dumps({"type": "activity", "activity_id": "a-1",
                                       "lead_id": "r-1", "kind": COMPANY, "rep_id": "bob",
                                       "occurred_at": base["event_time"]}) + "\n",
        "email_as_attribute_key": replay_line(dict(base, attributes={EMAIL: 1})),
    }
    for name, line in bad.items():
        proc = replay(ctx, config, [good[1], line], name)
        assert proc.returncode == 1, f"{name}: replay accepted the bad line: {proc.stderr}"
        assert ":2:" in proc.stderr, f"{name}: no FILE:LINE in {proc.stderr!r}"
        assert_clean(proc.stderr, f"replay {name}")
        h.log(f"  replay {name}: {proc.stderr.strip()}")


if __name__ == "__main__":
    h.main()
