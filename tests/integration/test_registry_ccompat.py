#!/usr/bin/env python3
"""The schema registry part itself: Apicurio Registry (tests/registry/apicurio.sh)
through its Confluent-compatible API, with Confluent's own Python client. What
the router's registry client and the Connect converter rely on: registering is
idempotent, ids resolve to their schema, a compatible new version gets a new
id, a subject's BACKWARD rule refuses an incompatible one, and
AvroSerializer's framing carries the registered id through Kafka."""
import json
import struct

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

import crmparts
import harness as h

V1 = {"type": "record", "name": "Probe", "namespace": "dev.leadrouter.tests",
      "fields": [{"name": "id", "type": "string"}, {"name": "n", "type": "long"}]}
V2 = dict(V1, fields=V1["fields"] + [{"name": "note", "type": ["null", "string"],
                                      "default": None}])
# A new field without a default: readers of V2 cannot read old data.
BAD = dict(V1, fields=V2["fields"] + [{"name": "must", "type": "int"}])


def test_confluent_api_and_framing(ctx):
    topic = ctx.unique("registry-probe")
    subject = f"{topic}-value"
    ctx.broker.create_topics([topic], partitions=1)
    with crmparts.Registry() as registry:
        client = SchemaRegistryClient({"url": registry.ccompat_url})
        id1 = client.register_schema(subject, Schema(json.dumps(V1), "AVRO"))
        assert client.register_schema(subject, Schema(json.dumps(V1), "AVRO")) == id1, \
            "registering the same schema twice gave two ids"
        fetched = client.get_schema(id1)
        assert json.loads(fetched.schema_str)["fields"] == V1["fields"]
        found = client.lookup_schema(subject, Schema(json.dumps(V1), "AVRO"))
        assert (found.schema_id, found.version) == (id1, 1), found

        status, body = crmparts._request("PUT", f"{registry.ccompat_url}/config/{subject}",
                                         {"compatibility": "BACKWARD"})
        assert status == 200, f"setting BACKWARD on {subject}: {status} {body}"
        id2 = client.register_schema(subject, Schema(json.dumps(V2), "AVRO"))
        assert id2 != id1
        assert client.get_versions(subject) == [1, 2]
        try:
            client.register_schema(subject, Schema(json.dumps(BAD), "AVRO"))
        except SchemaRegistryError as exc:
            assert exc.http_status_code in (409, 422), exc
        else:
            raise AssertionError("the registry accepted a backward-incompatible schema")
        assert client.get_versions(subject) == [1, 2]

        # Confluent framing through Kafka: magic 0, the id, then Avro binary.
        serialize = AvroSerializer(client, json.dumps(V2), conf={"auto.register.schemas": False,
                                                                 "use.latest.version": True})
        record = {"id": "p-1", "n": 42, "note": "hello"}
        value = serialize(record, SerializationContext(topic, MessageField.VALUE))
        h.produce(ctx.bootstrap, topic, [("p-1", value)])
        (msg,) = h.consume(ctx.bootstrap, [topic], 1, timeout=30)
        magic, schema_id = struct.unpack(">bI", msg.value[:5])
        assert (magic, schema_id) == (0, id2), (magic, schema_id, id2)
        deserialize = AvroDeserializer(client)
        assert deserialize(msg.value, SerializationContext(topic, MessageField.VALUE)) == record


if __name__ == "__main__":
    h.main(needs_binary=False)
