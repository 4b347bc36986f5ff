#!/usr/bin/env python3
"""Reload on the real broker (docs/operations.md, "Reload"): SIGHUP makes the
router re-read its file and apply the new rules between two commit windows.

- A valid change (every lead to another team; a Kafka setting changed too)
  takes effect for the leads sent after the reload, while leads keep flowing
  during it; the Kafka change is reported as needing a restart.
- The state moves with the rules: a lead decided before the reload is still a
  duplicate after it.
- A broken file is refused with FILE:LINE in the log and the rules loaded
  before it still decide.
- Every lead, before, during and after, is decided exactly once.
- /metrics (http: on, without enable_reload) counts the reload and the
  refusal, and POST /-/reload answers 403.
Run in exactly_once and at_least_once.

POST /-/reload with http.enable_reload answers 202 and reloads; the new file
puts a new team and a new rep first in their lists, and /metrics keeps every
count under its name: the old team's assignments stay, the new team's add up,
each equal to what the assignments topic holds.

Usage: test_reload.py --binary PATH/lead-router
"""
import copy
import json
import re
import signal
import threading
import time

import harness as h


def everyone_to(team):
    """make_config edit: one routing rule, every lead to `team`, reps always in."""
    def edit(cfg):
        h.reps_always_available(cfg)
        cfg["routing"]["rules"] = [{"name": "all", "team": team}]
        cfg["routing"].pop("accounts", None)
    return edit


def hot_lead(lead_id):
    """Sales-ready whatever the rules' team: a demo request from a large company."""
    return h.make_lead(lead_id, email=f"{lead_id}@example.org", source="web", consent=True,
                       company_size=800, country="US", region="NA",
                       activities=[h.activity("DEMO_REQUEST", h.now_ms() - 60_000)])


def log_records(router):
    text = router.stderr_path.read_bytes().decode("utf-8", "replace")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def wait_log(router, predicate, what, timeout=60):
    """The first JSON log record matching predicate, polling the router's stderr."""
    found = []

    def seen():
        router.check_alive()
        found[:] = [r for r in log_records(router) if predicate(r)]
        return bool(found)
    h.wait_for(seen, timeout, what=what)
    return found[0]


def metrics(port):
    status, body = h.http_request(f"http://127.0.0.1:{port}/metrics")
    assert status == 200, f"/metrics answered {status}: {body[:200]}"
    return body


def series(text, name):
    """{labels text: value} of a metric in a /metrics text."""
    return {m.group(1) or "": float(m.group(2)) for m in
            re.finditer(rf"^lead_router_{name}(?:{{([^}}]*)}})? (\S+)$", text, re.M)}


def wait_metric(port, router, name, want, what):
    """Polls /metrics until the unlabelled metric `name` equals want."""
    def seen():
        router.check_alive()
        return series(metrics(port), name).get("") == want
    h.wait_for(seen, 60, what=f"/metrics {what}: {name} {want}")


def rewrite(config, edit):
    """Edits the YAML file in place (as an operator would) and returns its text."""
    with open(config, encoding="utf-8") as f:
        cfg = h.yaml.safe_load(f)
    edit(cfg)
    text = h.yaml.dump(cfg, Dumper=h._ConfigDumper, sort_keys=False,
                       default_flow_style=False, allow_unicode=True)
    config.write_text(text, encoding="utf-8")
    return text


class Stream:
    """Sends a lead every few milliseconds on a thread, while a reload happens."""

    def __init__(self, ctx, topic, prefix):
        self.producer, self.topic, self.prefix = ctx.producer(), topic, prefix
        self.ids, self._stop = [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            lead_id = f"{self.prefix}-{len(self.ids):04d}"
            self.producer.send(self.topic, h.encode("lead", hot_lead(lead_id)), key=lead_id)
            self.ids.append(lead_id)
            time.sleep(0.01)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.producer.flush()
        return False


def send(ctx, topics, ids):
    producer = ctx.producer()
    for lead_id in ids:
        producer.send(topics["leads"], h.encode("lead", hot_lead(lead_id)), key=lead_id)
    producer.flush()


def wait_decided(ctx, topics, router, ids, what):
    with ctx.reader([topics["assignments"], topics["nurture"]], watch=router) as reader:
        def done(msgs):
            keys = {m.key for m in msgs}
            return all(i.encode() in keys for i in ids)
        reader.wait(done, timeout=120, what=what)


def reload_scenario(ctx, processing):
    run = ctx.unique(f"reload-{processing[:3]}")
    topics = ctx.router_topics(partitions=3)
    port = h.free_port()
    config = ctx.config(topics, overrides={"log": {"format": "json"},
                                           "kafka": {"processing": processing},
                                           "http": {"port": port}},
                        edit=everyone_to("global_inbound"))
    group, _ = h.config_group(config)
    before = [f"{run}-a-{i:02d}" for i in range(15)]
    after = [f"{run}-b-{i:02d}" for i in range(15)]
    broken = [f"{run}-c-{i:02d}" for i in range(15)]
    with ctx.router(config) as router:
        warmup = h.prime_router(ctx.broker, router, topics, group)
        send(ctx, topics, before)
        wait_decided(ctx, topics, router, before, "decisions before the reload")

        # A valid change while leads keep coming: another team, and a Kafka
        # setting that only a restart can change.
        with Stream(ctx, topics["leads"], f"{run}-s") as stream, \
                ctx.reader([topics["assignments"]], watch=router) as reader:
            def count(msgs):
                return sum(1 for m in msgs if m.key.startswith(f"{run}-s".encode()))

            def streamed_decided(n):
                return lambda msgs: count(msgs) >= n
            reader.wait(streamed_decided(5), timeout=60, what="streamed leads decided")
            rewrite(config, lambda cfg: (everyone_to("na_commercial")(cfg),
                                         cfg["kafka"].update(commit_max_messages=5000)))
            router.proc.send_signal(signal.SIGHUP)
            wait_log(router, lambda r: r["msg"] == "reload: the new rules are in force",
                     "the reload to apply")
            reader.wait(streamed_decided(count(reader.messages) + 5), timeout=60,
                        what="streamed leads after it")
        warn = wait_log(router, lambda r: "needs_restart" in r, "the restart warning")
        assert warn["needs_restart"] == "kafka.commit_max_messages", warn
        assert warn["level"] == "warn", warn
        moved = wait_log(router, lambda r: r["msg"].startswith("reload: decision state moved"),
                         "the state move")
        assert moved["skipped"] == 0 and moved["leads"] >= len(before), moved
        wait_metric(port, router, "config_reloads_total", 1, "after SIGHUP")
        status, _ = h.http_request(f"http://127.0.0.1:{port}/-/reload", "POST")
        assert status == 403, f"POST /-/reload without http.enable_reload answered {status}"

        send(ctx, topics, after + [before[0]])  # before[0] again: a duplicate now
        wait_decided(ctx, topics, router, after, "decisions after the reload")

        # A broken file: refused with FILE:LINE, the rules above stay.
        text = rewrite(config, lambda cfg: cfg["teams"][0].update(strategy="alphabetical"))
        line = next(i for i, l in enumerate(text.splitlines(), 1) if "alphabetical" in l)
        router.proc.send_signal(signal.SIGHUP)
        refused = wait_log(router, lambda r: r["msg"].startswith("reload refused"),
                           "the broken file to be refused")
        assert refused["level"] == "error", refused
        assert refused["reason"].startswith(f"{config}:{line}: "), refused
        wait_metric(port, router, "config_reload_failures_total", 1, "after the broken file")
        send(ctx, topics, broken)
        wait_decided(ctx, topics, router, broken, "decisions after the refused reload")
        assert series(metrics(port), "config_reloads_total")[""] == 1
        streamed = stream.ids

    everyone = warmup + before + streamed + after + broken
    with ctx.reader([topics["assignments"], topics["nurture"], topics["status"]]) as reader:
        def done(msgs):
            keys = {m.key for m in msgs if m.topic != topics["status"]}
            return all(i.encode() in keys for i in everyone)
        reader.wait(done, timeout=120, settle=3.0, what="every decision")
        decisions = [d for _, d in reader.records(topics["assignments"], "decision")]
        decisions += [d for _, d in reader.records(topics["nurture"], "decision")]
        statuses = [s for _, s in reader.records(topics["status"], "status")]
    by_lead = {}
    for d in decisions:
        by_lead.setdefault(d["lead_id"], []).append(d)
    problems = [f"{i}: {len(by_lead.get(i, []))} decisions" for i in everyone
                if len(by_lead.get(i, [])) != 1]
    assert not problems, f"{len(problems)} leads not decided exactly once: {problems[:10]}"

    def teams(ids):
        return {by_lead[i][0]["team"] for i in ids}
    assert teams(before) == {"global_inbound"}, teams(before)
    assert teams(after) == {"na_commercial"}, teams(after)
    assert teams(broken) == {"na_commercial"}, teams(broken)
    assert teams(streamed) <= {"global_inbound", "na_commercial"}, teams(streamed)
    assert any(s["lead_id"] == before[0] and s["status"] == "DUPLICATE" for s in statuses), \
        f"{before[0]} sent again after the reload was not a duplicate"
    h.log(f"  {processing}: {len(everyone)} leads decided once each; {len(streamed)} sent "
          f"during the reload ({sorted(teams(streamed))}); broken file refused at line {line}")


def with_new_team_first(cfg):
    """make_config edit after everyone_to: team `first_inbound` (global_inbound's
    copy, with a new rep `zoe` too) and rep zoe put first in their lists, so
    that every other name moves to another index; every lead goes there."""
    team = copy.deepcopy(next(t for t in cfg["teams"] if t["name"] == "global_inbound"))
    team["name"] = "first_inbound"
    team["members"] = [{"rep": "zoe"}] + team["members"]
    rep = copy.deepcopy(next(r for r in cfg["reps"] if r["id"] == "bob"))
    rep["id"] = "zoe"
    cfg["teams"].insert(0, team)
    cfg["reps"].insert(0, rep)
    everyone_to("first_inbound")(cfg)


def assigned_by_team(text):
    """{team: assignments} summed over reps, from /metrics."""
    out = {}
    for labels, v in series(text, "assignments_total").items():
        team = re.search(r'team="([^"]*)"', labels).group(1)
        out[team] = out.get(team, 0) + v
    return out


def test_reload_over_http(ctx):
    run = ctx.unique("reload-http")
    topics = ctx.router_topics(partitions=3)
    port = h.free_port()
    config = ctx.config(topics, overrides={"log": {"format": "json"},
                                           "http": {"port": port, "enable_reload": True}},
                        edit=everyone_to("global_inbound"))
    group, _ = h.config_group(config)
    before = [f"{run}-a-{i:02d}" for i in range(12)]
    after = [f"{run}-b-{i:02d}" for i in range(12)]
    base = f"http://127.0.0.1:{port}"
    with ctx.router(config) as router:
        warmup = h.prime_router(ctx.broker, router, topics, group)
        send(ctx, topics, before)
        wait_decided(ctx, topics, router, before, "decisions before the reload")
        first = len(before)  # the warm-up leads are nurtured
        h.wait_for(lambda: assigned_by_team(metrics(port)).get("global_inbound") == first, 60,
                   what=f"/metrics to count {first} assignments to global_inbound")
        old = metrics(port)
        old_hash = re.search(r'rulebook_hash="([0-9a-f]*)"', old).group(1)
        old_time = series(old, "config_last_reload_success_timestamp_seconds")[""]

        rewrite(config, with_new_team_first)
        status, body = h.http_request(f"{base}/-/reload", "POST")
        assert status == 202, f"POST /-/reload answered {status}: {body}"
        wait_log(router, lambda r: r["msg"] == "reload: the new rules are in force",
                 "the reload asked over HTTP to apply")
        wait_metric(port, router, "config_reloads_total", 1, "after POST /-/reload")
        now = metrics(port)
        new_hash = re.search(r'rulebook_hash="([0-9a-f]*)"', now).group(1)
        assert new_hash and new_hash != old_hash, (old_hash, new_hash)
        assert series(now, "config_last_reload_success_timestamp_seconds")[""] > old_time
        assert series(now, "config_reload_failures_total")[""] == 0

        send(ctx, topics, after)
        wait_decided(ctx, topics, router, after, "decisions after the reload")
        h.wait_for(lambda: assigned_by_team(metrics(port)).get("first_inbound") == len(after),
                   60, what=f"/metrics to count {len(after)} assignments to first_inbound")
        scrape = metrics(port)

    with ctx.reader([topics["assignments"], topics["nurture"]]) as reader:
        everyone = warmup + before + after
        reader.wait(lambda msgs: all(i.encode() in {m.key for m in msgs} for i in everyone),
                    timeout=60, what="every decision")
        decisions = [d for _, d in reader.records(topics["assignments"], "decision")]
        decisions += [d for _, d in reader.records(topics["nurture"], "decision")]
    topic_counts = {}
    for d in decisions:
        if d["rep"] is not None:
            topic_counts[d["team"]] = topic_counts.get(d["team"], 0) + 1
    assert topic_counts == assigned_by_team(scrape), \
        f"assignments topic {topic_counts}, /metrics {assigned_by_team(scrape)}"
    assert {d["team"] for d in decisions if d["lead_id"] in after} == {"first_inbound"}
    decided = sum(series(scrape, "decisions_total").values())
    assert decided == len(everyone), f"/metrics counts {decided} decisions of {len(everyone)}"
    h.log(f"  POST /-/reload: 202; /metrics after it: {topic_counts}, as the topic holds")


def test_reload_exactly_once(ctx):
    reload_scenario(ctx, "exactly_once")


def test_reload_at_least_once(ctx):
    reload_scenario(ctx, "at_least_once")


if __name__ == "__main__":
    h.main()
