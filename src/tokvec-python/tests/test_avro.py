"""The compiled Avro readers and the hand-written encoders against the avro package (Debian's
python3-avro), which is the reference for both directions."""

import io
import json
import os

import avro.io
import avro.schema
import numpy as np
import pytest

from conftest import ROOT
from tokvec import _avro
from tokvec._schemas import schema_text
from tokvec.model import activate_value, commit_body, record_prefix
from tokvec.writer import encode_token_event

SCHEMAS = os.path.join(ROOT, "schemas")


def avsc(name):
    with open(os.path.join(SCHEMAS, name + ".avsc")) as f:
        return f.read()


def avro_bytes(schema, datum):
    buf = io.BytesIO()
    avro.io.DatumWriter(avro.schema.parse(schema)).write(datum, avro.io.BinaryEncoder(buf))
    return buf.getvalue()


def plain(v):
    """Compiled-reader values in the generic reader's types (lists, bytes)."""
    if isinstance(v, _avro.Packed):
        return v.tolist()
    if isinstance(v, memoryview):
        return bytes(v)
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def enriched(rng, length=7, dim=3, pooled=True, dtype="float32"):
    ids = rng.integers(-(2**31), 2**31 - 1, length)
    ids[:3] = [0, 1, 63]  # one-byte varints next to five-byte ones
    return {
        "id": "ev-\u00e9\u6f22", "table": "glove", "table_version": int(rng.integers(1, 2**40)),
        "ids": [int(x) for x in ids], "mask": [bool(x) for x in rng.integers(0, 2, length)],
        "length": length, "truncated": bool(rng.integers(0, 2)), "dim": dim,
        "embeddings": rng.standard_normal(length * dim).astype("<f4").tobytes(),
        "timestamp_ms": int(rng.integers(0, 2**50)), "metadata": {"k": "v", "\u00fc": ""},
        "pooled": rng.standard_normal(dim).astype("<f4").tobytes() if pooled else None, "dtype": dtype,
    }


@pytest.mark.parametrize("seed", range(5))
def test_compiled_reader_reads_what_the_avro_package_writes_for_every_schema(seed):
    rng = np.random.default_rng(seed)
    floats = dict(enriched(rng))
    floats["embeddings"] = [float(x) for x in rng.standard_normal(21).astype(np.float32)]
    floats["pooled"] = [float(x) for x in rng.standard_normal(3).astype(np.float32)]
    del floats["dtype"]
    cases = {
        "EnrichedEvent": enriched(rng, pooled=bool(seed % 2)),
        "EnrichedEventFloats": floats,
        "DeadLetter": {"reason": "UNDECODABLE", "message": "m", "topic": "t", "partition": 3, "offset": 2**40,
                       "timestamp_ms": -1, "key": b"k\x00", "value": bytes(range(256)), "event_id": None,
                       "table": "glove", "table_version": 7},
        "TokenEvent": {"id": "e", "token_ids": None, "tokens": ["a", "", "\u00df"], "timestamp_ms": None,
                       "metadata": {}, "weights": [0.5, -1.25, 3.0]},
        "ModelRecord": {"table": "t", "version": 3, "body": {
            "rows": 10, "dim": 4, "chunks": 2, "checksum": "sha256:00", "vocab_checksum": None, "created_ms": 5,
            "metadata": {"a": "b"}, "signature": bytes(64), "key_id": "abcd"}},
    }
    for name, datum in cases.items():
        data = avro_bytes(avsc(name), datum)
        compiled = plain(_avro.compile_reader(avsc(name))(data))
        generic = _avro.generic_reader(avsc(name))(data)
        assert compiled == generic, name
        assert compiled["id" if "id" in datum else "table" if "table" in datum else "reason"] is not None


def test_arrays_in_several_blocks_and_with_negative_counts_are_read():
    # items in blocks of 2 (the second with a negative count and a byte size), then the end block
    schema = {"type": "record", "name": "R", "fields": [
        {"name": "a", "type": {"type": "array", "items": "int"}},
        {"name": "f", "type": {"type": "array", "items": "float"}},
        {"name": "s", "type": {"type": "array", "items": "string"}}]}
    ints = _avro.long_bytes(2) + _avro.encode_varints([5, -300]) + _avro.long_bytes(-1) + \
        _avro.long_bytes(len(_avro.encode_varints([2**31 - 1]))) + _avro.encode_varints([2**31 - 1]) + b"\x00"
    flts = _avro.long_bytes(1) + np.float32(1.5).tobytes() + _avro.long_bytes(2) + \
        np.array([2.5, -3], "<f4").tobytes() + b"\x00"
    strs = _avro.long_bytes(1) + _avro.string_bytes("x") + _avro.long_bytes(1) + _avro.string_bytes("yz") + b"\x00"
    value = _avro.compile_reader(json.dumps(schema))(ints + flts + strs)
    assert value["a"].array().tolist() == [5, -300, 2**31 - 1]
    assert value["a"].array().dtype == np.int32
    assert value["f"].array().tolist() == [1.5, 2.5, -3.0]
    assert value["s"] == ["x", "yz"]
    assert _avro.generic_reader(json.dumps(schema))(ints + flts + strs) == plain(value)


def test_a_recursive_schema_falls_back_to_the_generic_reader():
    schema = json.dumps({"type": "record", "name": "Node", "fields": [
        {"name": "v", "type": "int"}, {"name": "next", "type": ["null", "Node"]}]})
    with pytest.raises(_avro.Unsupported):
        _avro.compile_reader(schema)
    data = avro_bytes(schema, {"v": 1, "next": {"v": 2, "next": None}})
    assert _avro.reader_for(schema)(data) == {"v": 1, "next": {"v": 2, "next": None}}


def test_enums_fixed_doubles_and_nested_named_types_are_read():
    schema = json.dumps({"type": "record", "name": "R", "namespace": "n", "fields": [
        {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}},
        {"name": "x", "type": {"type": "fixed", "name": "F", "size": 3}},
        {"name": "d", "type": {"type": "array", "items": "double"}},
        {"name": "again", "type": "n.E"},
        {"name": "m", "type": {"type": "map", "values": {"type": "record", "name": "In", "fields": [
            {"name": "b", "type": "boolean"}, {"name": "l", "type": "long"}]}}},
        {"name": "u", "type": ["null", "string", "In"]}]})
    datum = {"e": "C", "x": b"abc", "d": [1e300, -0.0], "again": "A",
             "m": {"k": {"b": True, "l": -(2**62)}}, "u": {"b": False, "l": 1}}
    data = avro_bytes(schema, datum)
    assert plain(_avro.compile_reader(schema)(data)) == _avro.generic_reader(schema)(data) == datum


@pytest.mark.parametrize("cut", [1, 10, 100, -1])
def test_truncated_or_padded_records_raise_a_decode_error(cut):
    data = avro_bytes(avsc("EnrichedEvent"), enriched(np.random.default_rng(1)))
    bad = data + b"\x00" if cut == -1 else data[:len(data) - cut]
    with pytest.raises(_avro.DecodeError):
        _avro.compile_reader(avsc("EnrichedEvent"))(bad)
    with pytest.raises(_avro.DecodeError):
        _avro.generic_reader(avsc("EnrichedEvent"))(bad)


def test_varints_encode_as_the_avro_package_writes_ints_and_longs():
    rng = np.random.default_rng(2)
    values = np.concatenate([np.arange(-300, 300), rng.integers(-(2**63), 2**63 - 1, 1000),
                             [0, -1, 2**63 - 1, -(2**63), 2**31 - 1, -(2**31)]]).astype(np.int64)
    schema = json.dumps({"type": "array", "items": "long"})
    expected = avro_bytes(schema, [int(v) for v in values])
    assert expected == _avro.long_bytes(len(values)) + _avro.encode_varints(values) + b"\x00"
    assert _avro.decode_varints(np.frombuffer(_avro.encode_varints(values), np.uint8), len(values)).tolist() \
        == values.tolist()
    assert all(_avro.long_bytes(int(v)) == avro_bytes('"long"', int(v)) for v in values[:700])


@pytest.mark.parametrize("kind", ["ids", "tokens"])
def test_token_events_encode_as_the_avro_package_writes_them(kind):
    rng = np.random.default_rng(3)
    ids = [int(x) for x in rng.integers(0, 2**31 - 1, 50)] + [0, 1]
    datum = {"id": "ev-\u00e9", "token_ids": ids if kind == "ids" else None,
             "tokens": None if kind == "ids" else ["the", "", "\u00e9t\u00e9"] * 5,
             "timestamp_ms": 1700000000000 if kind == "ids" else None, "metadata": {"src": "x"} if kind == "ids" else {},
             "weights": [float(w) for w in rng.standard_normal(52).astype(np.float32)] if kind == "ids" else None}
    ours = encode_token_event(datum["id"], datum["token_ids"], datum["tokens"], datum["weights"],
                              datum["timestamp_ms"], datum["metadata"])
    assert ours == avro_bytes(avsc("TokenEvent"), datum)


def test_token_events_refuse_neither_or_both_and_mismatched_weights():
    with pytest.raises(ValueError, match="exactly one"):
        encode_token_event("e")
    with pytest.raises(ValueError, match="exactly one"):
        encode_token_event("e", [1], ["a"])
    with pytest.raises(ValueError, match="one weight per token"):
        encode_token_event("e", [1, 2], weights=[1.0])
    with pytest.raises(ValueError, match="32 bits"):
        encode_token_event("e", [2**31])


def test_model_records_encode_as_the_avro_package_writes_them():
    schema = avsc("ModelRecord")
    commit = {"rows": 2**33, "dim": 300, "chunks": 70, "checksum": "sha256:" + "ab" * 32,
              "vocab_checksum": "sha256:" + "cd" * 32, "created_ms": 1700000000123, "metadata": {"m": "\u00e9"},
              "signature": bytes(range(64)), "key_id": "0123456789abcdef"}
    ours = record_prefix("glove", 12, 1) + commit_body(**commit)
    assert ours == avro_bytes(schema, {"table": "glove", "version": 12, "body": commit})
    unsigned = dict(commit, vocab_checksum=None, signature=None, key_id=None, metadata={})
    assert record_prefix("t", 1, 1) + commit_body(**unsigned) == avro_bytes(schema, {"table": "t", "version": 1,
                                                                                        "body": unsigned})
    assert activate_value("glove", 3, "bad model") == avro_bytes(schema, {"table": "glove", "version": 3,
                                                                          "body": {"reason": "bad model"}})
    assert activate_value("glove", 3, None) == avro_bytes(schema, {"table": "glove", "version": 3,
                                                                   "body": {"reason": None}})


def test_registered_schemas_are_the_repository_schemas_with_java_string_marks():
    for name in ("ModelRecord", "TokenEvent", "EnrichedEvent", "DeadLetter"):
        ours = avro.schema.parse(schema_text(name)).to_json()
        theirs = avro.schema.parse(avsc(name)).to_json()
        marks = json.dumps(ours).count('"avro.java.string": "String"')
        assert marks == json.dumps(schema_text(name)).count("avro.java.string") > 0
        # the same fields and types once the marks are dropped
        assert json.loads(json.dumps(ours).replace(', "avro.java.string": "String"', "")
                          .replace('{"type": "string"}', '"string"')) == theirs
