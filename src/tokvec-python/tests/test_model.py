"""The model-topic protocol pieces that need no broker: chunks, checksums, vocabulary checks,
signatures and keys. Byte-for-byte agreement with the Java publisher is test_java_parity.py's."""

import hashlib

import avro.io
import avro.schema
import io
import numpy as np
import pytest

from conftest import ROOT
from tokvec import _avro
from tokvec.model import TablePlan, check_vocabulary, chunk_ranges, parse_key, signed_text, vocabulary_checksum


def vocab_of(rows, rng):
    words = ["", "[UNK]"] + ["w%d" % i + "\u00e9" * int(rng.integers(0, 40)) for i in range(2, rows)]
    return words


@pytest.mark.parametrize("rows,dim,budget,with_vocab", [
    (1, 1, 4, False), (1000, 64, 50_000, True), (1000, 64, 50_000, False), (7, 3, 12, False),
    (5000, 8, 900 * 1024, True), (300, 25, 1000, True)])
def test_chunks_tile_the_rows_greedily_within_the_budget(rows, dim, budget, with_vocab):
    rng = np.random.default_rng(rows)
    vocab = vocab_of(rows, rng) if with_vocab else None
    cost = [dim * 4 + (5 + len(t.encode()) if vocab else 0) for t in (vocab or [""] * rows)]
    ranges = chunk_ranges(rows, dim, None if vocab is None else [len(t.encode()) for t in vocab], budget)
    assert ranges[0][0] == 0 and sum(n for _, n in ranges) == rows
    for (s, n), (s2, _) in zip(ranges, ranges[1:]):
        assert s + n == s2
    for s, n in ranges:
        assert n >= 1 and sum(cost[s:s + n]) <= budget
        if s + n < rows:  # greedy: the next row would not have fitted
            assert sum(cost[s:s + n + 1]) > budget


def test_a_row_over_the_budget_is_refused_naming_it():
    with pytest.raises(ValueError, match="row 0 needs 400 bytes, over the chunk budget of 399"):
        chunk_ranges(3, 100, None, 399)
    with pytest.raises(ValueError, match="row 2 needs 420 bytes"):
        chunk_ranges(3, 100, [0, 5, 15], 419)


@pytest.mark.parametrize("dtype", ["<f4", ">f4", "<f2"])
def test_the_commit_checksums_cover_the_rows_as_little_endian_float32_and_the_vocabulary(dtype):
    rng = np.random.default_rng(4)
    w = rng.standard_normal((500, 17)).astype(dtype)
    vocab = vocab_of(500, rng)
    plan = TablePlan("t", 1, w, vocab, chunk_bytes=4000)
    chunks = list(plan.chunks())
    assert len(chunks) == plan.chunk_count > 10
    assert plan.checksum() == "sha256:" + hashlib.sha256(w.astype("<f4").tobytes()).hexdigest()
    assert plan.vocab_checksum() == "sha256:" + hashlib.sha256("".join(t + "\n" for t in vocab).encode()).hexdigest()
    assert plan.vocab_checksum() == vocabulary_checksum(vocab)
    # each chunk decodes (avro package) to its rows and tokens
    reader = avro.io.DatumReader(avro.schema.parse(open(ROOT + "/schemas/ModelRecord.avsc").read()))
    rows = []
    for key, body, n in chunks:
        rec = reader.read(avro.io.BinaryDecoder(io.BytesIO(body)))
        c = rec["body"]
        assert key == f"t/1/chunk/{c['index']}" and c["row_count"] == n and c["dim"] == 17
        assert c["tokens"] == vocab[c["row_offset"]:c["row_offset"] + n]
        rows.append(np.frombuffer(c["data"], "<f4").reshape(n, 17))
    assert np.array_equal(np.concatenate(rows), w.astype("<f4"))


def test_a_table_is_never_copied_whole_while_its_chunks_are_built():
    w = np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), (10_000_000, 64), (0, 0))  # 2.5 GB of zeros, 4 bytes
    plan = TablePlan("t", 1, w, None, chunk_bytes=900 * 1024)
    first = next(iter(plan.chunks()))
    assert first[2] == 900 * 1024 // 256


@pytest.mark.parametrize("vocab,message", [
    (["", "[UNK]", "a"], None),
    (["", "[UNK]", "[UNK]", "[UNK]", "a"], None),  # OOV buckets: copies of row 1 right after it
    (["", "[UNK]", "a", "[UNK]"], "appears twice"),
    (["", "[UNK]", "a", "b", "a"], "appears twice"),
    (["", "", "a"], "empty token"),
    (["", "a\nb", "c"], "line break"),
    (["", 3, "c"], "not a string"),
    (["", "a"], "2 tokens but the table has 3 rows"),
])
def test_vocabularies_the_application_would_refuse_are_refused(vocab, message):
    if message is None:
        check_vocabulary(vocab, len(vocab))
    else:
        with pytest.raises(ValueError, match=message):
            check_vocabulary(vocab, 3 if message.startswith("2 tokens") else len(vocab))


def test_non_finite_values_are_refused_unless_allowed_and_other_dtypes_always():
    w = np.ones((10, 4), np.float32)
    w[7, 2] = np.nan
    with pytest.raises(ValueError, match="row 7, column 2: value nan is not a finite float32"):
        TablePlan("t", 1, w)
    TablePlan("t", 1, w, allow_nonfinite=True)
    with pytest.raises(ValueError, match="float32 or float16, got float64"):
        TablePlan("t", 1, np.ones((3, 2)))
    with pytest.raises(ValueError, match="2-D"):
        TablePlan("t", 1, np.ones(3, np.float32))
    with pytest.raises(ValueError, match="version must be an integer >= 1"):
        TablePlan("t", 0, w)
    with pytest.raises(ValueError, match="without '/'"):
        TablePlan("a/b", 1, w)


def test_a_signature_verifies_with_the_public_key_over_the_documented_text():
    crypto = pytest.importorskip("cryptography", reason="python3-cryptography is not installed")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from tokvec._signing import Signer

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    signer = Signer(pem)
    plan = TablePlan("glove", 3, np.ones((5, 2), np.float32), ["", "[UNK]", "a", "b", "c"])
    list(plan.chunks())
    _, body = plan.commit(123, {}, signer)
    commit = _avro.compile_reader(open(ROOT + "/schemas/ModelRecord.avsc").read())(body)["body"]
    text = (b"tokvec-table-commit-v1\ntable=glove\nversion=3\nrows=5\ndim=2\nchunks=1\n"
            + f"checksum={commit['checksum']}\nvocab_checksum={commit['vocab_checksum']}\n".encode())
    assert signed_text("glove", 3, 5, 2, 1, commit["checksum"], commit["vocab_checksum"]) == text
    key.public_key().verify(bytes(commit["signature"]), text)  # raises if it does not verify
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert commit["key_id"] == hashlib.sha256(der).hexdigest()[:16] == signer.key_id
    assert crypto is not None


def test_model_keys_parse_as_the_java_side_parses_them():
    assert parse_key(b"glove/3/chunk/0") == ("chunk", "glove", 3, 0)
    assert parse_key("glove/12/commit") == ("commit", "glove", 12, -1)
    assert parse_key("glove/activate") == ("activate", "glove", -1, -1)
    for bad in ["glove/0/commit", "glove/x/commit", "/1/commit", "glove/1/chunk/-1", "glove", "glove/1/chunk",
                "glove/\u0661/commit", None, b"\xff"]:
        assert parse_key(bad) is None, bad


def test_client_settings_take_underscores_for_dots_but_keep_confluent_kafkas_callbacks():
    from tokvec._kafka import client_config

    def cb(err):
        return None
    conf = client_config("b:1", {"security_protocol": "SSL", "sasl.mechanism": "PLAIN", "error_cb": cb}, {"acks": "all"})
    assert conf["bootstrap.servers"] == "b:1" and conf["acks"] == "all"
    assert conf["security.protocol"] == "SSL" and conf["sasl.mechanism"] == "PLAIN" and conf["error_cb"] is cb
