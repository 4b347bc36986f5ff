#!/usr/bin/env python3
"""lead-router decides and routes real leads on a real broker: every lead decided
exactly once, on the right topic, for the right reasons, to a team and rep the
example config's rules allow, with a status event for marketing.

Usage: test_routing.py --binary PATH/lead-router
"""
import random

import harness as h

# The routing rules in docs/lead-router.example.yaml only use these predicates.
INF = float("inf")


def field_value(lead, field):
    if field == "email_domain":
        email = lead.get("email") or ""
        return email.rsplit("@", 1)[1].lower() if "@" in email else None
    if field.startswith("attrs."):
        return lead["attributes"].get(field[len("attrs."):])
    return lead.get(field)


def predicate_holds(pred, lead):
    value = field_value(lead, pred["field"])
    if value is None:
        return False
    if "equals" in pred:
        return str(value) == str(pred["equals"])
    if "one_of" in pred:
        return str(value) in {str(v) for v in pred["one_of"]}
    if "range" in pred:
        low, high = pred["range"].get("min", -INF), pred["range"].get("max", INF)
        return isinstance(value, (int, float)) and low <= value <= high
    raise ValueError(f"this test cannot evaluate the predicate {pred}")


def expected_rule(cfg, lead):
    """The first routing rule of `cfg` that matches `lead` (first match wins)."""
    for rule in cfg["routing"]["rules"]:
        if all(predicate_holds(p, lead) for p in rule.get("when", [])):
            return rule
    raise AssertionError(f"no routing rule matches {lead['lead_id']}")


class Problems:
    """Collects every failed check, so one run shows all that is wrong."""

    def __init__(self):
        self.items = []

    def check(self, ok, message):
        if not ok:
            self.items.append(message)
        return ok

    def assert_none(self, what):
        if self.items:
            shown = "\n  ".join(self.items[:40])
            more = f"\n  ... and {len(self.items) - 40} more" if len(self.items) > 40 else ""
            raise AssertionError(f"{len(self.items)} problems with {what}:\n  {shown}{more}")


class Outputs:
    """Decoded decisions and statuses read from the router's output topics."""

    def __init__(self, topics):
        self.topics = topics
        self.decisions = {}   # lead_id -> [(Msg, record)]
        self.statuses = {}    # lead_id -> [(Msg, record)]
        self.undecodable = []
        self._seen = 0

    def update(self, msgs):
        for m in msgs[self._seen:]:
            kind = "status" if m.topic == self.topics["status"] else "decision"
            try:
                record = h.decode(kind, m.value)
            except Exception as exc:  # reported by the checks, not here
                self.undecodable.append(f"{m.topic}[{m.partition}]@{m.offset}: {exc}")
                continue
            target = self.statuses if kind == "status" else self.decisions
            target.setdefault(record["lead_id"], []).append((m, record))
        self._seen = len(msgs)

    def complete(self, ids):
        return all(i in self.decisions and i in self.statuses for i in ids)


def run_router_on(ctx, topics, config, leads, timeout=180):
    """Start the router, prime it, produce `leads` ({id: lead}), read until every
    lead has a decision and a status (then 3 s more for late duplicates)."""
    group, _ = h.config_group(config)
    outputs = Outputs(topics)
    with ctx.router(config) as router:
        warmup = h.prime_router(ctx.broker, router, topics, group)
        producer = ctx.producer()
        for lead_id, lead in leads.items():
            producer.send(topics["leads"], h.encode("lead", lead), key=lead_id)
        producer.flush()
        out_topics = [topics["assignments"], topics["nurture"], topics["status"]]
        with ctx.reader(out_topics, watch=router) as reader:
            def done(msgs):
                outputs.update(msgs)
                return outputs.complete(list(leads) + warmup)
            reader.wait(done, timeout, settle=3.0,
                        what=f"a decision and a status for each of {len(leads)} leads")
            outputs.update(reader.messages)
    return outputs, warmup


STATUS_FOR_STAGE = {"DISQUALIFIED": "DISQUALIFIED", "NURTURE": "NURTURE",
                    "MARKETING_QUALIFIED": "NURTURE"}


def check_common(p, outputs, leads, topics, warmup=()):
    """Checks every lead's decision and status must pass, whatever its category."""
    p.check(not outputs.undecodable, f"undecodable output: {outputs.undecodable[:3]}")
    unknown = set(outputs.decisions) - set(leads) - set(warmup)
    p.check(not unknown, f"decisions for leads never sent: {sorted(unknown)[:5]}")
    for lead_id, lead in leads.items():
        found = outputs.decisions.get(lead_id, [])
        if not p.check(len(found) == 1,
                       f"{lead_id}: {len(found)} decisions, expected exactly one "
                       f"({[(m.topic, m.offset) for m, _ in found]})"):
            continue
        msg, d = found[0]
        p.check(msg.key == lead_id.encode(), f"{lead_id}: decision key {msg.key!r}")
        # a NEW decision started the lead's record: its event_time is the
        # since of every id of the lead (docs/events.md)
        since = lead["event_time"]
        p.check(d["event_id"] == f"{lead_id}:decision:{d['seq']}@{since}",
                f"{lead_id}: decision event_id {d['event_id']!r}")
        on_assignments = msg.topic == topics["assignments"]
        p.check(on_assignments == (d["stage"] == "SALES_READY"),
                f"{lead_id}: stage {d['stage']} on topic {msg.topic}")
        p.check(bool(d["router_version"]), f"{lead_id}: empty router_version")
        p.check(bool(d["reasons"]), f"{lead_id}: a decision without reasons")
        p.check(d["cause"] == "NEW", f"{lead_id}: cause {d['cause']}, expected NEW")
        p.check(d["event_time"] == lead["event_time"],
                f"{lead_id}: event_time {d['event_time']} is not the lead's {lead['event_time']}")
        p.check(d["source"] == lead["source"] and d["campaign"] == lead["campaign"],
                f"{lead_id}: source/campaign {d['source']}/{d['campaign']} not the lead's")
        if d["stage"] == "SALES_READY":
            p.check(d["attempt"] == 1, f"{lead_id}: first assignment with attempt {d['attempt']}")
            p.check(d["tier"] in ("hot", "warm"),
                    f"{lead_id}: sales-ready with tier {d['tier']!r}")
            kinds = {r["kind"] for r in d["reasons"]}
            p.check(kinds & {"CHOSEN", "OVERFLOW"},
                    f"{lead_id}: assignment reasons {sorted(kinds)} name no CHOSEN or OVERFLOW")
            if d["rep"] is not None:
                p.check(d["sla_due_at"] is not None and d["sla_due_at"] > d["decided_at"],
                        f"{lead_id}: assigned to {d['rep']} with sla_due_at {d['sla_due_at']}")
                chosen = h.reasons_of(d, "CHOSEN")
                p.check(any(r["rep"] in (None, d["rep"]) for r in chosen),
                        f"{lead_id}: rep {d['rep']} but CHOSEN reasons {chosen}")
            else:
                p.check(d["queue"], f"{lead_id}: sales-ready with neither rep nor queue")
            expected_status = "ASSIGNED" if d["rep"] is not None else "QUEUED"
        else:
            expected_status = STATUS_FOR_STAGE[d["stage"]]
        statuses = outputs.statuses.get(lead_id, [])
        if not p.check(statuses, f"{lead_id}: no status event"):
            continue
        kinds = [s["status"] for _, s in statuses]
        p.check(kinds == [expected_status],
                f"{lead_id}: statuses {kinds}, expected [{expected_status}] for stage "
                f"{d['stage']} (rep {d['rep']})")
        for smsg, s in statuses:
            p.check(smsg.key == lead_id.encode(), f"{lead_id}: status key {smsg.key!r}")
            p.check(s["event_id"] == f"{lead_id}:status:{s['seq']}@{since}",
                    f"{lead_id}: status event_id {s['event_id']!r}")
            p.check(s["seq"] != d["seq"],
                    f"{lead_id}: decision and status share seq {s['seq']} (one sequence per lead)")
            if s["status"] == "ASSIGNED":
                p.check((s["team"], s["rep"]) == (d["team"], d["rep"]),
                        f"{lead_id}: status says {s['team']}/{s['rep']}, decision "
                        f"{d['team']}/{d['rep']}")


def check_assignment(p, cfg, lead, d, always_available=False):
    """A sales-ready decision against the routing rules of `cfg`."""
    lead_id = lead["lead_id"]
    teams = {t["name"]: t for t in cfg["teams"]}
    skills = {r["id"]: set(r.get("skills", [])) for r in cfg["reps"]}
    rule = expected_rule(cfg, lead)
    team = teams[rule["team"]]
    overflow = teams.get(team.get("overflow"))
    members = {m["rep"] for m in team["members"]}
    p.check(any(r["rule"] == rule["name"] for r in h.reasons_of(d, "ROUTING_RULE")),
            f"{lead_id}: no ROUTING_RULE reason naming {rule['name']} "
            f"(reasons {[(r['kind'], r['rule']) for r in d['reasons']]})")
    has_overflow = bool(h.reasons_of(d, "OVERFLOW"))
    rep = d["rep"]
    if always_available:
        p.check((d["team"], rep in members) == (team["name"], True) and not has_overflow,
                f"{lead_id}: with every rep available expected a rep of {team['name']}, got "
                f"{d['team']}/{rep} (queue {d['queue']})")
    elif rep is None:
        queues = {team.get("queue")} | ({overflow.get("queue")} if overflow else set())
        p.check(d["queue"] in queues and has_overflow,
                f"{lead_id}: queued in {d['queue']!r} (allowed {sorted(queues)}) "
                f"with OVERFLOW reason: {has_overflow}")
    elif d["team"] == team["name"]:
        p.check(rep in members, f"{lead_id}: rep {rep} is not a member of {team['name']}")
    elif overflow is not None and d["team"] == overflow["name"]:
        p.check(rep in {m["rep"] for m in overflow["members"]} and has_overflow,
                f"{lead_id}: overflow to {d['team']}/{rep} without an OVERFLOW reason "
                f"or with a rep who is no member")
    else:
        p.check(False, f"{lead_id}: routed to {d['team']}/{rep}; rule {rule['name']} "
                       f"allows {team['name']} (overflow {team.get('overflow')})")
    if rep is not None and rule.get("require_skills"):
        p.check(set(rule["require_skills"]) <= skills.get(rep, set()),
                f"{lead_id}: {rep} lacks the skills {rule['require_skills']}")
    return rule


def override_named(d, name):
    return any(r["rule"] == name for r in h.reasons_of(d, "OVERRIDE"))


def test_example_config_routes_a_realistic_mix(ctx):
    """The example config as it is: reps have working hours, so which rep (or
    overflow, or queue) gets a lead depends on when this runs. The checks hold
    at any hour: team and queue membership, never a particular rep."""
    cfg = h.load_example_config()
    counts = {"enterprise_eu": 30, "na": 45, "demo": 30, "student": 25, "no_consent": 25,
              "blocked": 5, "apac": 25, "german": 15}
    mix = h.lead_mix(counts, ctx.unique("route"), seed=11)
    leads = {lead["lead_id"]: lead for _, lead in mix}
    category = {lead["lead_id"]: cat for cat, lead in mix}
    topics = ctx.router_topics(partitions=3)
    config = ctx.config(topics)
    outputs, warmup = run_router_on(ctx, topics, config, leads)

    p = Problems()
    # Warm-up leads are real leads too; check them with what we know of them.
    for lead_id in warmup:
        found = outputs.decisions.get(lead_id, [])
        p.check(len(found) == 1, f"{lead_id}: {len(found)} decisions, expected one")
        if found:
            p.check(found[0][1]["stage"] == "NURTURE",
                    f"{lead_id}: a lead scoring 0 got stage {found[0][1]['stage']}")
    check_common(p, outputs, leads, topics, warmup)
    sales_ready = 0
    for lead_id, lead in leads.items():
        found = outputs.decisions.get(lead_id)
        if not found or len(found) != 1:
            continue
        d = found[0][1]
        cat = category[lead_id]
        if cat == "demo":
            p.check((d["stage"], d["tier"]) == ("SALES_READY", "hot"),
                    f"{lead_id}: demo request decided {d['stage']}/{d['tier']}, "
                    "expected SALES_READY/hot")
            p.check(override_named(d, "demo_request_fast_lane"),
                    f"{lead_id}: no OVERRIDE reason naming demo_request_fast_lane")
        elif cat == "no_consent":
            p.check(d["stage"] == "DISQUALIFIED" and override_named(d, "no_consent"),
                    f"{lead_id}: consent false decided {d['stage']} "
                    f"(OVERRIDE no_consent: {override_named(d, 'no_consent')})")
        elif cat == "blocked":
            p.check(d["stage"] == "DISQUALIFIED" and override_named(d, "blocked_domain"),
                    f"{lead_id}: mailinator.com decided {d['stage']}")
        elif cat == "student":
            # fit: student -30, free mail -20; engagement: one email open (1 point)
            p.check(d["stage"] == "DISQUALIFIED" and d["tier"] is None,
                    f"{lead_id}: free-mail student (score about -49) decided "
                    f"{d['stage']}/{d['tier']} with score {d['score']}")
        elif cat == "enterprise_eu":
            # fit alone: 1000+ 30, industry 15, decision maker 20, EU 5, phone 5
            p.check(d["stage"] == "SALES_READY",
                    f"{lead_id}: EU enterprise lead (fit >= 75) decided {d['stage']} "
                    f"with score {d['score']}")
        if d["stage"] == "SALES_READY":
            sales_ready += 1
            rule = check_assignment(p, cfg, lead, d)
            if rule["name"] == "enterprise_emea":
                # greta (emea_commercial, the overflow) has no working hours:
                # an EU enterprise lead always finds a rep.
                p.check(d["rep"] is not None,
                        f"{lead_id}: EU enterprise lead queued in {d['queue']}")
    p.check(sales_ready >= counts["demo"] + counts["enterprise_eu"],
            f"only {sales_ready} sales-ready leads")
    p.assert_none(f"{len(leads)} routed leads")
    stages = {}
    for found in outputs.decisions.values():
        d = found[0][1]
        key = d["stage"] if d["stage"] != "SALES_READY" else f"SALES_READY/{d['team']}"
        stages[key] = stages.get(key, 0) + 1
    h.log(f"decisions: {dict(sorted(stages.items()))}")


def demo_lead(rng, category, lead_id, **fields):
    """A lead of `category` with a fresh demo request (so it is sales-ready)."""
    lead = h.sample_lead(rng, category, lead_id)
    lead.update(fields)
    lead["activities"] = lead["activities"] + [
        h.activity("DEMO_REQUEST", h.now_ms() - 120_000, "https://example.com/demo")]
    return lead


def test_always_available_reps_route_by_rules_accounts_and_strategy(ctx):
    """Every rep available around the clock, no caps: routing no longer depends
    on the hour, so the exact team, the account owners and the fairness of the
    strategies can be checked."""
    cfg_edit = h.reps_always_available
    cfg = h.load_example_config()
    cfg_edit(cfg)
    rng = random.Random(23)
    run = ctx.unique("avail")
    leads = {}

    def add(category, n, tag, **fields):
        for i in range(n):
            lead_id = f"{run}-{tag}-{i:02d}"
            leads[lead_id] = demo_lead(rng, category, lead_id, **fields)

    add("enterprise_eu", 12, "ent")                                   # emea_enterprise
    add("demo", 9, "eu", region="EU", country="FR", language="fr",
        company_size=300)                                             # emea_commercial
    add("german", 3, "de")                                            # emea_commercial
    add("demo", 6, "apac", region="APAC", country="JP", language="ja")  # global_inbound
    add("demo", 6, "na", region="NA", country="US", language="en")    # na_commercial
    # Account owners win over the rules when available: both leads would
    # otherwise go to na_commercial, where dieter is no member.
    leads[f"{run}-acct-megabank"] = demo_lead(
        rng, "na", f"{run}-acct-megabank", email="jo.kim@megabank.de",
        company_domain="megabank.de")
    leads[f"{run}-acct-bigcorp"] = demo_lead(
        rng, "na", f"{run}-acct-bigcorp", email="sam.lee@bigcorp.com",
        company_domain="bigcorp.com", country="US")
    owners = {f"{run}-acct-megabank": "dieter", f"{run}-acct-bigcorp": "alice"}

    topics = ctx.router_topics(partitions=3)
    config = ctx.config(topics, edit=cfg_edit)
    outputs, warmup = run_router_on(ctx, topics, config, leads)

    p = Problems()
    check_common(p, outputs, leads, topics, warmup)
    per_rep = {}
    for lead_id, lead in leads.items():
        found = outputs.decisions.get(lead_id)
        if not found or len(found) != 1:
            continue
        d = found[0][1]
        if not p.check(d["stage"] == "SALES_READY" and d["rep"] is not None,
                       f"{lead_id}: demo request with every rep available decided "
                       f"{d['stage']} rep {d['rep']} queue {d['queue']}"):
            continue
        if lead_id in owners:
            p.check(d["rep"] == owners[lead_id] and h.reasons_of(d, "ACCOUNT_OWNER"),
                    f"{lead_id}: account lead went to {d['rep']}, expected "
                    f"{owners[lead_id]} with an ACCOUNT_OWNER reason")
            continue
        check_assignment(p, cfg, lead, d, always_available=True)
        per_rep.setdefault(d["team"], {}).setdefault(d["rep"], 0)
        per_rep[d["team"]][d["rep"]] += 1
    h.log(f"assignments per team and rep: {per_rep}")
    for team in ("emea_commercial", "global_inbound"):  # round robin
        members = next(t for t in cfg["teams"] if t["name"] == team)["members"]
        counts = [per_rep.get(team, {}).get(m["rep"], 0) for m in members]
        p.check(max(counts) - min(counts) <= 1,
                f"round robin in {team} is unfair: {dict(zip([m['rep'] for m in members], counts))}")
    ent = per_rep.get("emea_enterprise", {})
    p.check(ent.get("dieter", 0) > ent.get("emma", 0) >= 1,
            f"weighted 2:1 (dieter:emma) over 12 leads gave {ent}")
    p.assert_none(f"{len(leads)} leads routed with every rep available")


if __name__ == "__main__":
    h.main()
