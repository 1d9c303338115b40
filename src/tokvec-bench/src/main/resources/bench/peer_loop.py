#!/usr/bin/env python3
"""The peer of tokvec's `bench`: what a user would write in Python instead of running tokvec.

A consume -> enrich -> produce loop with confluent-kafka (librdkafka, its default producer
settings), the `avro` package to decode TokenEvent records (Confluent wire format: magic byte,
4-byte schema id, Avro binary), Keras' own pad_sequences and a numpy gather W[padded] per polled
batch. At least once: offsets are committed only after the producer has flushed every output of
the events they cover (every --commit-interval seconds and at the end).

--output embeddings (the default) writes each event's W[padded].tobytes() as the record value:
65,536 bytes for max_len 128 x dim 128, about 500 fewer than tokvec's EnrichedEvent, and no Avro
encoding at all. --output avro writes an EnrichedEvent in the Confluent wire format, as tokvec
does, with the `avro` package's writer (slower: it encodes the ids and the mask value by value).

Prints `peer: ready` once partitions are assigned, then, after --events events, one line:
peer events=<n> seconds=<s> events_per_s=<x> cpu_s=<c> (its own clock, from the first record polled;
CPU seconds of the whole process).
"""
import argparse
import io
import struct
import sys
import time

import avro.io
import avro.schema
import numpy as np
from confluent_kafka import Consumer, KafkaException, Producer
from keras_preprocessing.sequence import pad_sequences


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--table", required=True, help=".npy file of the float32 table")
    ap.add_argument("--input-schema", required=True, help="TokenEvent .avsc")
    ap.add_argument("--events", type=int, required=True, help="stop after this many events")
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--commit-interval", type=float, default=1.0, help="seconds between offset commits")
    ap.add_argument("--output-format", choices=["embeddings", "avro"], default="embeddings")
    ap.add_argument("--output-schema", help="EnrichedEvent .avsc (with --output-format avro)")
    ap.add_argument("--output-schema-id", type=int, help="its registry id (with --output-format avro)")
    ap.add_argument("--table-name", default="embeddings")
    a = ap.parse_args()

    W = np.load(a.table)
    reader = avro.io.DatumReader(avro.schema.parse(open(a.input_schema).read()))
    writer = None
    if a.output_format == "avro":
        writer = avro.io.DatumWriter(avro.schema.parse(open(a.output_schema).read()))
        header = struct.pack(">bI", 0, a.output_schema_id)

    consumer = Consumer({"bootstrap.servers": a.bootstrap, "group.id": a.group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    producer = Producer({"bootstrap.servers": a.bootstrap})

    def on_assign(c, parts):
        print("peer: ready", flush=True)

    consumer.subscribe([a.input], on_assign=on_assign)
    done = 0
    t0 = None
    last_commit = time.monotonic()
    while done < a.events:
        msgs = consumer.consume(num_messages=500, timeout=0.1)
        if not msgs:
            continue
        if t0 is None:
            t0 = time.monotonic()
        events = []
        for m in msgs:
            if m.error():
                raise KafkaException(m.error())
            events.append(reader.read(avro.io.BinaryDecoder(io.BytesIO(m.value()[5:]))))
        padded = pad_sequences([e["token_ids"] for e in events], maxlen=a.max_len, padding="pre", truncating="pre")
        vectors = W[padded]  # [batch, max_len, dim]
        for i, (m, e) in enumerate(zip(msgs, events)):
            if writer is None:
                value = vectors[i].tobytes()
            else:
                ids = padded[i]
                n = min(len(e["token_ids"]), a.max_len)
                buf = io.BytesIO()
                buf.write(header)
                writer.write({"id": e["id"], "table": a.table_name, "table_version": 1, "ids": ids.tolist(),
                              "mask": (ids != 0).tolist(), "length": n, "truncated": len(e["token_ids"]) > a.max_len,
                              "dim": W.shape[1], "embeddings": vectors[i].tobytes(), "timestamp_ms": None,
                              "metadata": {}, "pooled": None, "dtype": "float32"}, avro.io.BinaryEncoder(buf))
                value = buf.getvalue()
            while True:
                try:
                    producer.produce(a.output, value, key=m.key())
                    break
                except BufferError:  # the local queue is full: let deliveries drain
                    producer.poll(0.05)
        producer.poll(0)
        done += len(msgs)
        if time.monotonic() - last_commit >= a.commit_interval or done >= a.events:
            producer.flush()
            consumer.commit(asynchronous=False)
            last_commit = time.monotonic()
    seconds = time.monotonic() - t0
    consumer.close()
    print("peer events=%d seconds=%.3f events_per_s=%.0f cpu_s=%.3f" % (done, seconds, done / seconds, time.process_time()),
          flush=True)


if __name__ == "__main__":
    sys.exit(main())
