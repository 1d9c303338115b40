"""EnrichedReader on records written with the avro package (the reference encoder) under the
schemas the application registers, and under schemas it does not know: batches equal the records,
shapes split batches, compiled and generic decoding agree, offsets commit."""

import io
import itertools
import json
import os

import avro.io
import avro.schema
import numpy as np
import pytest
from confluent_kafka import Producer

import tokvec
from conftest import ROOT, unique, wait_for
from tokvec._registry import SchemaRegistry
from tokvec._schemas import schema_text


def record(rng, eid, length, dim, dtype="float32", pooled=False, version=1):
    ids = rng.integers(0, 100_000, length).astype(np.int32)
    ids[: int(rng.integers(0, length + 1))] = 0
    emb = rng.standard_normal((length, dim)).astype("<f2" if dtype == "float16" else "<f4")
    pool = rng.standard_normal(dim).astype(emb.dtype) if pooled else None
    return {"id": eid, "table": "t", "table_version": version, "ids": [int(x) for x in ids],
            "mask": [bool(x) for x in ids != 0], "length": int((ids != 0).sum()), "truncated": False, "dim": dim,
            "embeddings": emb.tobytes(), "timestamp_ms": None, "metadata": {"n": eid}, "dtype": dtype,
            "pooled": None if pool is None else pool.tobytes()}


class Topic:
    """A topic of its own and a producer writing Confluent wire-format values with the avro package."""

    def __init__(self, kafka):
        self.kafka = kafka
        self.name = unique("enriched")
        self.registry = SchemaRegistry(kafka.registry)
        self.producer = Producer({"bootstrap.servers": kafka.bootstrap})

    def write(self, schema, datums):
        sid = self.registry.register(self.name + "-value", schema)
        writer = avro.io.DatumWriter(avro.schema.parse(schema))
        for d in datums:
            buf = io.BytesIO()
            buf.write(b"\x00" + sid.to_bytes(4, "big"))
            writer.write(d, avro.io.BinaryEncoder(buf))
            self.producer.produce(self.name, value=buf.getvalue())
        assert self.producer.flush(30) == 0

    def raw(self, value):
        self.producer.produce(self.name, value=value)
        assert self.producer.flush(30) == 0

    def reader(self, group=None, **kw):
        return tokvec.EnrichedReader(self.kafka.bootstrap, self.kafka.registry, self.name, group or unique("g"), **kw)


def read_n(reader, n, timeout=90):
    batches = []

    def more():
        batches.extend(itertools.islice(reader.batches(max_records=500, timeout=0.3, max_idle=0.3), 1))
        return sum(len(b) for b in batches) >= n
    wait_for(more, timeout, f"{n} records", 0)
    return batches


def floats_schema():
    return schema_text("EnrichedEventFloats")


def newer_schema():
    """An EnrichedEvent with two more fields, one of them recursive (which the compiler leaves to the
    generic reader) and the record renamed: a writer schema the reader has never seen."""
    s = json.loads(open(os.path.join(ROOT, "schemas", "EnrichedEvent.avsc")).read())
    s["name"] = "EnrichedEventV9"
    s["fields"].insert(3, {"name": "trace", "type": ["null", {"type": "record", "name": "Span", "fields": [
        {"name": "name", "type": "string"}, {"name": "child", "type": ["null", "Span"]}]}], "default": None})
    s["fields"].append({"name": "score", "type": "double", "default": 0})
    return json.dumps(s)


def test_batches_hold_every_record_exactly_and_split_where_the_shape_changes(kafka):
    rng = np.random.default_rng(11)
    topic = Topic(kafka)
    groups = [  # (schema, records): float32, float16 + pooled, another max_len, array<float>, an unknown schema
        (schema_text("EnrichedEvent"), [record(rng, f"a{i}", 6, 4) for i in range(7)]),
        (schema_text("EnrichedEvent"), [record(rng, f"b{i}", 6, 4, "float16", pooled=True) for i in range(5)]),
        (schema_text("EnrichedEvent"), [record(rng, f"c{i}", 9, 4, version=2) for i in range(3)]),
        (floats_schema(), [dict(record(rng, f"d{i}", 6, 4, pooled=True), dtype=None) for i in range(4)]),
        (newer_schema(), [dict(record(rng, f"e{i}", 6, 4), trace={"name": "x", "child": {"name": "y", "child": None}},
                               score=0.5) for i in range(4)]),
    ]
    for schema, recs in groups:
        if schema == floats_schema():
            for r in recs:
                r["embeddings"] = [float(x) for x in np.frombuffer(r["embeddings"], "<f4")]
                r["pooled"] = [float(x) for x in np.frombuffer(r["pooled"], "<f4")]
                del r["dtype"]
        topic.write(schema, recs)
    expected = [r for _, recs in groups for r in recs]
    results = {}
    for compiled in (True, False):
        with topic.reader(compiled=compiled) as reader:
            batches = read_n(reader, len(expected))
        results[compiled] = batches
        got = [(b, i) for b in batches for i in range(len(b))]
        assert [b.event_ids[i] for b, i in got] == [r["id"] for r in expected]
        for (b, i), r in zip(got, expected):
            dtype = np.float16 if r.get("dtype") == "float16" else np.float32
            emb = np.asarray(r["embeddings"] if isinstance(r["embeddings"], list)
                             else np.frombuffer(r["embeddings"], dtype), dtype).reshape(len(r["ids"]), 4)
            assert b.ids[i].tolist() == r["ids"] and b.mask[i].tolist() == r["mask"]
            assert b.embeddings.dtype == dtype and np.array_equal(b.embeddings[i], emb)
            if r["pooled"] is None:
                assert b.pooled is None
            else:
                pooled = r["pooled"] if isinstance(r["pooled"], list) else np.frombuffer(r["pooled"], dtype)
                assert np.array_equal(b.pooled[i], np.asarray(pooled, dtype))
            assert (b.versions[i], b.lengths[i], b.metadata[i], b.tables[i]) == (r["table_version"], r["length"],
                                                                                 r["metadata"], "t")
            assert b.timestamps_ms[i] == -1 and b.partitions[i] == 0
        # a batch is one shape: float32/6, float16+pooled, 9 tokens, array<float>+pooled, then the new schema
        assert all(len({e[0] for e in b.event_ids}) == 1 for b in batches) and len(batches) >= 5
        assert [int(o) for b in batches for o in b.offsets] == list(range(len(expected)))
    assert [b.event_ids for b in results[True]] == [b.event_ids for b in results[False]]


def test_commit_stores_the_position_after_the_last_batch(kafka):
    rng = np.random.default_rng(12)
    topic = Topic(kafka)
    topic.write(schema_text("EnrichedEvent"), [record(rng, f"first{i}", 4, 2) for i in range(3)])
    group = unique("g")
    with topic.reader(group) as reader:
        assert [e for b in read_n(reader, 3) for e in b.event_ids] == ["first0", "first1", "first2"]
        reader.commit()
    topic.write(schema_text("EnrichedEvent"), [record(rng, f"then{i}", 4, 2) for i in range(2)])
    with topic.reader(group) as reader:
        assert [e for b in read_n(reader, 2) for e in b.event_ids] == ["then0", "then1"]


def test_a_record_that_is_not_enriched_raises_saying_where_it_is_or_is_skipped_and_counted(kafka):
    rng = np.random.default_rng(13)
    topic = Topic(kafka)
    topic.raw(b"\x01junk")
    topic.write(schema_text("EnrichedEvent"), [record(rng, "after", 4, 2)])
    topic.write(schema_text("DeadLetter"), [{"reason": "R", "message": "m", "topic": "x", "partition": 0, "offset": 1,
                                              "timestamp_ms": -1, "key": None, "value": None, "event_id": None,
                                              "table": None, "table_version": None}])
    topic.write(schema_text("EnrichedEvent"), [record(rng, "last", 4, 2)])
    topic.raw(b"\x00\x7f\xff\xff\xf0" + b"a schema id the registry does not have")
    errors, read = [], []
    with topic.reader() as reader:
        def more():
            try:
                for b in itertools.islice(reader.batches(timeout=0.3, max_idle=0.3), 1):
                    read.extend(b.event_ids)
            except tokvec.RecordError as e:
                errors.append(str(e))
            return len(errors) == 3
        wait_for(more, 90, "three records that are not enriched", 0)
    assert read == ["after", "last"]
    assert errors[0] == f"{topic.name}[0]@0: magic byte 1, not 0: not the Confluent wire format"
    assert errors[1].startswith(f"{topic.name}[0]@2: schema id ") and "is not an enriched record" in errors[1]
    assert errors[2].startswith(f"{topic.name}[0]@4: ") and "HTTP 404" in errors[2]
    with topic.reader(skip_invalid=True) as reader:
        assert [e for b in read_n(reader, 2) for e in b.event_ids] == ["after", "last"]
        wait_for(lambda: next(reader.batches(timeout=0.3, max_idle=0.3), None) is None and reader.skipped == 3, 60,
                 "the three records skipped and counted")


def test_the_dead_letter_reader_raises_for_what_is_not_a_dead_letter_and_goes_on_after_it(kafka):
    topic = Topic(kafka)
    letter = {"reason": "ID_OUT_OF_RANGE", "message": "id 99 at 2", "topic": "in", "partition": 2, "offset": 41,
              "timestamp_ms": 5, "key": b"k", "value": b"\x00\x00\x00\x00\x01v", "event_id": "e1", "table": "t",
              "table_version": 3}
    topic.raw(b"junk, not avro")
    topic.write(schema_text("DeadLetter"), [letter])
    topic.write(schema_text("EnrichedEvent"), [record(np.random.default_rng(14), "x", 4, 2)])
    topic.write(schema_text("DeadLetter"), [dict(letter, event_id="e2", key=None)])
    with tokvec.DeadLetterReader(kafka.bootstrap, kafka.registry, topic.name, unique("g")) as reader:
        got, errors = [], []

        def more():
            try:
                for letters in itertools.islice(reader.batches(timeout=0.3, max_idle=0.3), 1):
                    got.extend(letters)
            except tokvec.RecordError as e:
                errors.append(str(e))
            return len(got) == 2
        wait_for(more, 90, "two dead letters", 0)
    assert errors == [f"{topic.name}[0]@0: magic byte 106, not 0: not the Confluent wire format",
                      f"{topic.name}[0]@2: schema id {topic.registry.register(topic.name + '-value', schema_text('EnrichedEvent'))} "
                      "is not a dead letter (no field 'reason')"]
    first = got[0]
    assert (first.reason, first.message, first.topic, first.partition, first.offset, first.timestamp_ms) == \
        ("ID_OUT_OF_RANGE", "id 99 at 2", "in", 2, 41, 5)
    assert (first.key, first.value, first.event_id, first.table, first.table_version) == \
        (b"k", b"\x00\x00\x00\x00\x01v", "e1", "t", 3)
    assert (first.dlq_partition, first.dlq_offset) == (0, 1)
    assert (got[1].event_id, got[1].key, got[1].dlq_offset) == ("e2", None, 3)
