#!/usr/bin/env python3
"""The test broker itself: it starts, stores and serves messages, keeps Kafka's
transaction guarantees (what librdkafka's mock cluster cannot), survives a restart,
and a broker that cannot start is reported as a failure. Needs no router binary."""
import os
import subprocess
import tempfile
import uuid
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition

import harness as h


def test_produce_and_consume(ctx):
    topic = ctx.unique("smoke-plain")
    ctx.broker.create_topics([topic], partitions=3)
    sent = h.produce(ctx.bootstrap, topic,
                     [(f"k{i}", f"v{i}".encode(), [("n", str(i).encode())]) for i in range(30)])
    assert {d.partition for d in sent} <= {0, 1, 2}
    msgs = h.consume(ctx.bootstrap, [topic], 30, timeout=30, settle=0.5)
    assert len(msgs) == 30, f"read {len(msgs)} messages, sent 30"
    by_key = {m.key: m for m in msgs}
    for i in range(30):
        m = by_key[f"k{i}".encode()]
        assert m.value == f"v{i}".encode()
        assert h.header(m, "n") == str(i).encode()


def test_avro_framing_round_trip(ctx):
    topic = ctx.unique("smoke-avro")
    ctx.broker.create_topics([topic], partitions=1)
    lead = h.make_lead("smoke-1", email="ana@acme.example", company_size=1200,
                       consent=True, activities=[h.activity("demo_request", h.now_ms())],
                       attributes={"plan": "enterprise"})
    value = h.encode("lead", lead)
    assert value[0] == 0 and value[1:5] == b"\x00\x00\x00\x01"
    h.produce(ctx.bootstrap, topic, [("smoke-1", value)])
    (msg,) = h.consume(ctx.bootstrap, [topic], 1, timeout=30)
    assert h.decode("lead", msg.value) == lead
    try:
        h.decode("sales_activity", msg.value)
    except AssertionError as exc:
        assert "schema id 1" in str(exc)
    else:
        raise AssertionError("decode accepted a lead as a sales activity")


def _transactional_producer(ctx):
    producer = Producer({"bootstrap.servers": ctx.bootstrap,
                         "transactional.id": f"smoke-{uuid.uuid4().hex[:8]}",
                         "linger.ms": 5})
    producer.init_transactions(30)
    return producer


def test_aborted_transactions_are_invisible_to_read_committed(ctx):
    topic = ctx.unique("smoke-txn")
    ctx.broker.create_topics([topic], partitions=3)
    producer = _transactional_producer(ctx)
    for label, count, commit in (("committed-a", 10, True), ("aborted", 7, False),
                                 ("committed-b", 5, True)):
        producer.begin_transaction()
        for i in range(count):
            producer.produce(topic, key=f"{label}-{i}", value=label.encode())
        if commit:
            producer.commit_transaction(30)
        else:
            producer.flush(30)  # the aborted messages really are in the log
            producer.abort_transaction(30)
    committed = h.consume(ctx.bootstrap, [topic], 15, timeout=30, settle=1.0)
    values = sorted(m.value for m in committed)
    assert values == sorted([b"committed-a"] * 10 + [b"committed-b"] * 5), \
        f"read_committed saw {values}"
    everything = h.consume(ctx.bootstrap, [topic], 22, timeout=30, settle=1.0,
                           isolation="read_uncommitted")
    assert sum(m.value == b"aborted" for m in everything) == 7, \
        "read_uncommitted should see the aborted messages"


def test_offsets_commit_with_the_transaction(ctx):
    """Consume-transform-produce: offsets sent in a committed transaction are the
    group's committed offsets; those of an aborted one are not."""
    source, sink = ctx.unique("smoke-src"), ctx.unique("smoke-sink")
    group = ctx.unique("smoke-group")
    ctx.broker.create_topics({source: 1, sink: 1})
    h.produce(ctx.bootstrap, source, [(f"k{i}", f"in{i}".encode()) for i in range(20)])
    consumer = Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": group,
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "isolation.level": "read_committed"})
    consumer.assign([TopicPartition(source, 0)])
    producer = _transactional_producer(ctx)
    batch = []
    while len(batch) < 20:
        batch += [m for m in consumer.consume(20 - len(batch), 1.0) if m.error() is None]
    for first, commit in ((0, True), (10, False)):
        producer.begin_transaction()
        for m in batch[first:first + 10]:
            producer.produce(sink, key=m.key(), value=b"out-" + m.value())
        producer.send_offsets_to_transaction(
            [TopicPartition(source, 0, batch[first + 9].offset() + 1)],
            consumer.consumer_group_metadata(), 30)
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)
    consumer.close()
    assert ctx.broker.committed(group, source) == {0: 10}
    out = h.consume(ctx.bootstrap, [sink], 10, timeout=30, settle=1.0)
    assert [m.value for m in out] == [f"out-in{i}".encode() for i in range(10)]


def test_restart_keeps_data_and_port(ctx):
    topic = ctx.unique("smoke-restart")
    ctx.broker.create_topics([topic], partitions=1)
    h.produce(ctx.bootstrap, topic, [("before", b"1")])
    ctx.broker.restart()
    h.produce(ctx.bootstrap, topic, [("after-restart", b"2")])
    ctx.broker.restart(hard=True)
    h.produce(ctx.bootstrap, topic, [("after-kill", b"3")])
    msgs = h.consume(ctx.bootstrap, [topic], 3, timeout=60, settle=0.5)
    assert [m.key for m in msgs] == [b"before", b"after-restart", b"after-kill"]


def test_broker_that_cannot_start_fails(ctx):
    """broker.sh exits non-zero with the reason, and the harness raises: a test
    whose broker cannot start fails instead of being skipped."""
    with tempfile.TemporaryDirectory(prefix="lr-kafka-bad-") as state:
        env = dict(os.environ, LR_KAFKA_STATE_DIR=state, LR_KAFKA_START_TIMEOUT="0")
        script = str(h.BROKER_SH)
        proc = subprocess.run([script, "start"], env=env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode != 0, "broker.sh start succeeded with no time to start"
        assert "did not answer" in proc.stderr, proc.stderr
        assert "KAFKA_BOOTSTRAP" not in proc.stdout
        status = subprocess.run([script, "status"], env=env, capture_output=True, text=True)
        assert status.returncode == 3, status.stdout
        subprocess.run([script, "stop"], env=env, capture_output=True, timeout=60)
        assert not any(Path(state).glob("data.*")), "stop left the data directory"
    broker = h.Broker(own=True, env={"LR_KAFKA_START_TIMEOUT": "0"})
    try:
        broker.start()
    except h.BrokerError as exc:
        assert "exit code" in str(exc)
    else:
        raise AssertionError("Broker.start() returned for a broker that cannot start")
    finally:
        broker.stop()


if __name__ == "__main__":
    h.main(needs_binary=False)
