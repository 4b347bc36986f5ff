#!/usr/bin/env python3
"""The CRM feed's real parts, without the router: a Python producer writes
Confluent-framed Avro (confluent-kafka's AvroSerializer, schemas registered in
Apicurio Registry through its Confluent-compatible API) to a compacted topic
keyed by lead id, and Kafka Connect's Debezium JDBC sink, reading it with
Apicurio's converter, keeps one PostgreSQL row per key: inserts, upserts,
deletes on a tombstone, and adds a column when the producer's schema gains a
field. Proves the parts and the sink configuration (crmparts.jdbc_sink_config)
that the router's end-to-end test and docs/crm-feed.md build on."""
import json

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

import crmparts
import harness as h

ROW_V1 = {
    "type": "record", "name": "CrmRow", "namespace": "dev.leadrouter.tests",
    "fields": [
        {"name": "stage", "type": "string"},
        {"name": "score", "type": "int"},
        {"name": "owner", "type": ["null", "string"], "default": None},
        {"name": "updated_at", "type": "long"},
    ],
}
# Version 2 adds an optional field, as a compatible producer would.
ROW_V2 = dict(ROW_V1, fields=ROW_V1["fields"] + [
    {"name": "tier", "type": ["null", "string"], "default": None}])


class RowProducer:
    """Produces CrmRow values with the registry's framing, string keys."""

    def __init__(self, bootstrap, registry, topic, schema):
        self.topic = topic
        self.client = SchemaRegistryClient({"url": registry.ccompat_url})
        self.serializer = AvroSerializer(self.client, json.dumps(schema))
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5,
                                  "enable.idempotence": True})
        self.errors = []

    def send(self, key, row):
        value = None
        if row is not None:
            value = self.serializer(row, SerializationContext(self.topic, MessageField.VALUE))
        self.producer.produce(self.topic, key=key.encode(), value=value,
                              on_delivery=lambda err, _msg: err and self.errors.append(err))

    def flush(self):
        assert self.producer.flush(30) == 0, "messages left undelivered"
        assert not self.errors, f"delivery failed: {self.errors}"


def _rows(db, table, columns):
    return lambda: db.query(f"select {', '.join(columns)} from {table}")


def test_jdbc_sink_mirrors_a_compacted_topic(ctx):
    topic = ctx.unique("crm-rows")
    table = "crm_rows_" + ctx.run_id.replace("-", "_")
    ctx.broker.create_topics([topic], partitions=3, config={"cleanup.policy": "compact"})
    with crmparts.crm_parts(ctx.bootstrap) as (registry, db, connect):
        rows = RowProducer(ctx.bootstrap, registry, topic, ROW_V1)
        t = h.now_ms()
        rows.send("lead-1", {"stage": "NEW", "score": 10, "owner": None, "updated_at": t})
        rows.send("lead-2", {"stage": "ASSIGNED", "score": 55, "owner": "rep-7", "updated_at": t})
        rows.send("lead-3", {"stage": "ASSIGNED", "score": 80, "owner": "rep-2", "updated_at": t})
        rows.flush()
        # The serializer registered the schema under the topic's subject.
        latest = rows.client.get_latest_version(f"{topic}-value")
        assert json.loads(latest.schema.schema_str)["name"] == "CrmRow"

        name = ctx.unique("crm-sink")
        connect.put_connector(name, crmparts.jdbc_sink_config(topic, table, registry, db))
        connect.wait_running(name)
        query = f"select id, stage, score, owner from {table}"
        db.wait_rows(query, {("lead-1", "NEW", "10", None),
                             ("lead-2", "ASSIGNED", "55", "rep-7"),
                             ("lead-3", "ASSIGNED", "80", "rep-2")})

        # An update upserts the row in place; a tombstone deletes it.
        rows.send("lead-1", {"stage": "ASSIGNED", "score": 12, "owner": "rep-7",
                             "updated_at": t + 1000})
        rows.send("lead-2", None)
        rows.flush()
        db.wait_rows(query, {("lead-1", "ASSIGNED", "12", "rep-7"),
                             ("lead-3", "ASSIGNED", "80", "rep-2")})
        connect.check_running(name)

        # A producer with a newer schema: the sink adds the column, old rows keep NULL.
        rows_v2 = RowProducer(ctx.bootstrap, registry, topic, ROW_V2)
        rows_v2.send("lead-4", {"stage": "NEW", "score": 40, "owner": None,
                                "updated_at": t + 2000, "tier": "A"})
        rows_v2.flush()
        versions = rows_v2.client.get_versions(f"{topic}-value")
        assert len(versions) == 2, f"subject versions {versions}, expected 2"
        db.wait_rows(f"select id, stage, tier from {table}",
                     {("lead-1", "ASSIGNED", None), ("lead-3", "ASSIGNED", None),
                      ("lead-4", "NEW", "A")})
        connect.check_running(name)
        connect.delete_connector(name)
        h.log(f"parts: {registry.status()}\n       {db.status()}\n       {connect.status()}")


if __name__ == "__main__":
    h.main(needs_binary=False)
