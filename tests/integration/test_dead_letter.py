#!/usr/bin/env python3
"""lead-router dead-letters what it cannot decode or what breaks the contract:
each bad message lands on the dead-letter topic exactly once, with its original
key, value and headers plus the lr.* headers that say why and where it came
from, while the good leads around it are routed as usual.

Usage: test_dead_letter.py --binary PATH/lead-router
"""
import random

import harness as h

MAX_MESSAGE_BYTES = 4096  # set in the config, so that an oversized lead is cheap to make


def bad_messages(run, topics):
    """[(name, topic, key, value, headers)] of messages the router must dead-letter."""
    def lead(lead_id, **fields):
        return h.make_lead(lead_id, email="kim.berg@northriver.example", source="web",
                           consent=True, company_size=500, **fields)
    payload = h.avro_bytes("lead", lead(f"{run}-framed-wrong"))
    truncated = h.encode("lead", lead(f"{run}-truncated",
                                      activities=[h.activity("PRICING_PAGE", h.now_ms())]))
    truncated = truncated[:len(truncated) - 12]
    try:
        h.avro_record("lead", truncated[5:])
    except Exception:
        pass
    else:
        raise AssertionError("test setup: the truncated lead still decodes")
    leads, activities = topics["leads"], topics["sales_activity"]
    return [
        ("garbage", leads, f"{run}-garbage", b"\xde\xad\xbe\xef this is no Avro lead",
         [("trace-id", b"t-1")]),
        ("garbage_without_key", leads, None, b'{"lead_id": "json, not Avro"}', []),
        ("shorter_than_framing", leads, f"{run}-short", b"\x00\x00\x00", []),
        ("unknown_magic_byte", leads, f"{run}-magic", h.frame(1, payload, magic=1),
         [("content-type", b"application/vnd.other+avro")]),
        ("unknown_schema_id", leads, f"{run}-schema99", h.frame(99, payload), []),
        ("truncated_avro", leads, f"{run}-truncated", truncated, []),
        ("empty_lead_id", leads, f"{run}-empty-id", h.encode("lead", lead("")),
         [("trace-id", b"t-2"), ("trace-id", b"t-2-again")]),
        ("lead_id_over_64_bytes", leads, f"{run}-long-id", h.encode("lead", lead("L" * 65)), []),
        ("larger_than_max_message_bytes", leads, f"{run}-big",
         h.encode("lead", lead(f"{run}-big", attributes={"notes": "x" * 6000})), []),
        ("garbage_sales_activity", activities, f"{run}-sa-garbage",
         b"\x00\x00\x00\x00\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
         [("trace-id", b"t-3")]),
    ]


def test_bad_messages_are_dead_lettered_once_and_good_ones_routed(ctx):
    run = ctx.unique("dlq")
    topics = ctx.router_topics(partitions=3)
    config = ctx.config(topics, overrides={"kafka": {"max_message_bytes": MAX_MESSAGE_BYTES}})
    group, _ = h.config_group(config)
    rng = random.Random(5)
    good = {}
    for i, category in enumerate(("enterprise_eu", "na", "demo", "student", "no_consent",
                                  "apac", "german", "na", "demo", "blocked", "na", "apac")):
        lead_id = f"{run}-good-{i:02d}"
        good[lead_id] = h.sample_lead(rng, category, lead_id)
    bad = bad_messages(run, topics)
    never_decided = {f"{run}-framed-wrong", f"{run}-truncated", "", "L" * 65, f"{run}-big"}

    with ctx.router(config) as router:
        warmup = h.prime_router(ctx.broker, router, topics, group)
        producer = ctx.producer()
        sent_bad = []   # (name, index in the producer's results)
        good_ids = list(good)
        for i, (name, topic, key, value, headers) in enumerate(bad):
            # Interleave: good leads before, between and after the bad messages.
            for lead_id in good_ids[i:i + 1]:
                producer.send(topics["leads"], h.encode("lead", good[lead_id]), key=lead_id)
            sent_bad.append((name, producer.send(topic, value, key=key, headers=headers)))
        for lead_id in good_ids[len(bad):]:
            producer.send(topics["leads"], h.encode("lead", good[lead_id]), key=lead_id)
        delivered = producer.flush()

        out = [topics["dead_letter"], topics["assignments"], topics["nurture"], topics["status"]]
        with ctx.reader(out, watch=router) as reader:
            def done(msgs):
                decided = {m.key for m in msgs
                           if m.topic in (topics["assignments"], topics["nurture"])}
                dead = sum(1 for m in msgs if m.topic == topics["dead_letter"])
                return dead >= len(bad) and all(i.encode() in decided for i in good)
            reader.wait(done, timeout=120, settle=3.0,
                        what=f"{len(bad)} dead letters and decisions for {len(good)} good leads")
            msgs = list(reader.messages)

    problems = []

    def check(ok, message):
        if not ok:
            problems.append(message)

    dead = [m for m in msgs if m.topic == topics["dead_letter"]]
    by_source = {}
    for m in dead:
        source = (h.header(m, "lr.source.topic"), h.header(m, "lr.source.partition"),
                  h.header(m, "lr.source.offset"))
        by_source.setdefault(source, []).append(m)
    expected_sources = set()
    for name, index in sent_bad:
        sent = delivered[index]
        source = (sent.topic.encode(), str(sent.partition).encode(), str(sent.offset).encode())
        expected_sources.add(source)
        found = by_source.get(source, [])
        if not found:
            check(False, f"{name}: not on the dead-letter topic (sent to {sent.topic} "
                         f"[{sent.partition}] @{sent.offset})")
            continue
        check(len(found) == 1, f"{name}: dead-lettered {len(found)} times")
        m = found[0]
        check(m.key == sent.key, f"{name}: key {m.key!r}, original {sent.key!r}")
        check(m.value == sent.value, f"{name}: the value was changed")
        original = [(k, v) for k, v in m.headers if not k.startswith("lr.")]
        check(original == list(sent.headers),
              f"{name}: original headers {list(sent.headers)} came back as {original}")
        for name_ in h.DLQ_HEADERS:
            values = [v for k, v in m.headers if k == name_]
            check(len(values) == 1 and values[0],
                  f"{name}: header {name_} is {values} (want exactly one, non-empty)")
        h.log(f"  {name}: lr.error.code={h.header(m, 'lr.error.code')!r} "
              f"lr.error.reason={h.header(m, 'lr.error.reason')!r}")
    extra = [(k, len(v)) for k, v in by_source.items() if k not in expected_sources]
    check(not extra, f"unexpected dead letters (source topic, partition, offset): {extra}")

    decided = {}
    for m in msgs:
        if m.topic in (topics["assignments"], topics["nurture"]):
            d = h.decode("decision", m.value)
            decided.setdefault(d["lead_id"], []).append(d)
    for lead_id in list(good) + warmup:
        n = len(decided.get(lead_id, []))
        check(n == 1, f"good lead {lead_id}: {n} decisions, expected 1")
    for lead_id in never_decided:
        check(lead_id not in decided, f"dead-lettered lead {lead_id!r} was decided too")
    statused = {h.decode("status", m.value)["lead_id"] for m in msgs
                if m.topic == topics["status"]}
    check(not (statused & never_decided),
          f"dead-lettered leads got status events: {statused & never_decided}")
    if problems:
        raise AssertionError(f"{len(problems)} problems:\n  " + "\n  ".join(problems))


if __name__ == "__main__":
    h.main()
