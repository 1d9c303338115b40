"""A Python client of a multi-broker tokvec deployment (Debian: python3-confluent-kafka python3-avro).

    cluster_client.py produce BOOTSTRAP REGISTRY TOPIC FIRST COUNT   # TokenEvents py-FIRST .. py-(FIRST+COUNT-1)
    cluster_client.py consume BOOTSTRAP REGISTRY TOPIC COUNT         # prints "id table version ids" per output

Records use the Confluent wire format (magic byte 0, 4-byte schema id, Avro binary); BOOTSTRAP lists every broker,
so the clients go on when one of them is down.
"""
import io
import json
import struct
import sys
import urllib.request

import avro.io
import avro.schema
from confluent_kafka import Consumer, Producer

WORDS = ["the", "national", "day", "country", "second", "unknown-word"]


def produce(bootstrap, registry, topic, first, count):
    schema_text = open("schemas/TokenEvent.avsc").read()
    req = urllib.request.Request(f"{registry}/subjects/{topic}-value/versions",
                                 data=json.dumps({"schema": schema_text}).encode(),
                                 headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    header = struct.pack(">bI", 0, json.load(urllib.request.urlopen(req))["id"])
    writer = avro.io.DatumWriter(avro.schema.parse(schema_text))
    failures = []
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all"})
    for i in range(first, first + count):
        buf = io.BytesIO()
        buf.write(header)
        tokens = [WORDS[(i + k) % len(WORDS)] for k in range(i % 5)]
        writer.write({"id": f"py-{i}", "token_ids": None, "tokens": tokens, "timestamp_ms": None, "metadata": {},
                      "weights": None}, avro.io.BinaryEncoder(buf))
        p.produce(topic, key=f"py-{i}".encode(), value=buf.getvalue(),
                  on_delivery=lambda err, msg: err and failures.append(str(err)))
    left = p.flush(60)
    if left or failures:
        sys.exit(f"{left} events not delivered, failures: {failures}")
    print(f"produced {count}")


def consume(bootstrap, registry, topic, count):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "py-cluster-reader", "auto.offset.reset": "earliest",
                  "isolation.level": "read_committed", "enable.auto.commit": False})
    c.subscribe([topic])
    readers, seen, idle = {}, 0, 0
    while seen < count and idle < 60:
        msg = c.poll(1.0)
        if msg is None or msg.error():
            idle += 1
            continue
        idle = 0
        value = msg.value()
        _, schema_id = struct.unpack(">bI", value[:5])
        if schema_id not in readers:
            schema = json.load(urllib.request.urlopen(f"{registry}/schemas/ids/{schema_id}"))["schema"]
            readers[schema_id] = avro.io.DatumReader(avro.schema.parse(schema))
        rec = readers[schema_id].read(avro.io.BinaryDecoder(io.BytesIO(value[5:])))
        print(rec["id"], rec["table"], rec["table_version"], ",".join(str(i) for i in rec["ids"]))
        seen += 1
    c.close()


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "produce":
        produce(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    else:
        consume(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
