"""Delta versions without a broker: chunks, checksums and content ids as model-topic.md's recipe
computes them (numpy and hashlib), the goldens of the Java side, refusals, diff_from and the
retention of bases. Byte-for-byte agreement with ``tokvec publish --base`` is test_java_parity.py's."""

import hashlib
import io
import json
import os

import avro.io
import avro.schema
import numpy as np
import pytest

from conftest import ROOT
from tokvec import diff_from
from tokvec._catalog import Catalog
from tokvec.model import Base, DeltaPlan, delta_signed_text, full_content_id, parse_key

GOLDEN = os.path.join(ROOT, "src", "tokvec-core", "src", "test", "resources", "delta", "delta_golden.json")


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def recipe(base_cid, base_rows, ids, rows, tokens):
    """model-topic.md's recipe: the delta checksum over (id, row) in ascending id order, the tokens
    checksum, the chained content id."""
    ids = np.asarray(ids, "<i4")
    order = np.argsort(ids)
    rec = np.empty(len(ids), [("id", "<i4"), ("row", "<f4", (rows.shape[1],))])
    rec["id"], rec["row"] = ids[order], rows[order].astype("<f4")
    dsum = sha(rec.tobytes())
    tsum = sha("".join(t + "\n" for t in tokens).encode()) if tokens else None
    new_rows = base_rows + int((ids >= base_rows).sum())
    cid = sha(("tokvec-content-v1\ndelta\n" + base_cid + "\n" + str(new_rows) + "\n" + str(rows.shape[1]) + "\n"
               + dsum + "\n" + (tsum or "") + "\n").encode())
    return dsum, tsum, cid


def decode_all(plan):
    reader = avro.io.DatumReader(avro.schema.parse(open(os.path.join(ROOT, "schemas", "ModelRecord.avsc")).read()))
    out = [(key, reader.read(avro.io.BinaryDecoder(io.BytesIO(value))), n) for key, value, n in plan.chunks()]
    key, value = plan.commit(123, {"k": "v"})
    return out, (key, reader.read(avro.io.BinaryDecoder(io.BytesIO(value))))


@pytest.mark.parametrize("dtype,budget", [("<f4", 2_000), ("<f2", 2_000), (">f4", 300), ("<f4", 900 * 1024)])
def test_delta_chunks_and_commit_follow_the_recipe(dtype, budget):
    rng = np.random.default_rng(11)
    base_rows, dim = 500, 16
    base_vocab = ["", "[UNK]"] + [f"w{i}" for i in range(2, base_rows)]
    base_w = rng.standard_normal((base_rows, dim)).astype("<f4")
    base_cid = full_content_id(sha(base_w.tobytes()), sha("".join(t + "\n" for t in base_vocab).encode()))
    ids = np.concatenate([rng.choice(base_rows, 120, replace=False), np.arange(base_rows, base_rows + 30)])
    rng.shuffle(ids)
    rows = rng.standard_normal((len(ids), dim)).astype(dtype)
    tokens = [f"new{i}" + "\u00e9" * (i % 4) for i in range(30)]
    plan = DeltaPlan("t", 9, Base(4, base_rows, dim, base_cid, True), ids, rows, tokens, chunk_bytes=budget)
    chunks, (ckey, commit) = decode_all(plan)
    dsum, tsum, cid = recipe(base_cid, base_rows, ids, rows.astype("<f4"), tokens)

    got_ids = np.concatenate([np.frombuffer(c["body"]["ids"], "<i4") for _, c, _ in chunks])
    assert got_ids.tolist() == sorted(ids.tolist())  # strictly ascending across chunks
    got_rows = np.concatenate([np.frombuffer(c["body"]["data"], "<f4").reshape(-1, dim) for _, c, _ in chunks])
    by_id = dict(zip(ids.tolist(), rows.astype("<f4")))
    assert np.array_equal(got_rows, np.array([by_id[i] for i in got_ids.tolist()]))
    got_tokens = [t for _, c, _ in chunks for t in (c["body"]["tokens"] or [])]
    assert got_tokens == tokens
    for index, (key, c, n) in enumerate(chunks):
        assert key == f"t/9/delta/{index}" and c["body"]["index"] == index and c["body"]["dim"] == dim
        chunk_ids = np.frombuffer(c["body"]["ids"], "<i4")
        # tokens only where the chunk appends rows; payload within the budget
        assert (c["body"]["tokens"] is None) == (chunk_ids.max() < base_rows)
        size = len(chunk_ids) * (4 + dim * 4) + sum(5 + len(t.encode()) for t in c["body"]["tokens"] or [])
        assert size <= budget
    assert len(chunks) == plan.chunk_count and (budget > 100_000 or len(chunks) > 3)
    body = commit["body"]
    assert ckey == "t/9/delta-commit" and commit["version"] == 9
    assert (body["base_version"], body["base_rows"], body["rows"], body["dim"], body["delta_rows"], body["chunks"]) == \
        (4, base_rows, base_rows + 30, dim, len(ids), len(chunks))
    assert (body["delta_checksum"], body["tokens_checksum"], body["content_id"]) == (dsum, tsum, cid)
    assert body["created_ms"] == 123 and body["metadata"] == {"k": "v"} and body["signature"] is None


def test_the_java_sides_golden_chain_of_deltas():
    if not os.path.isfile(GOLDEN):
        pytest.skip(f"no {GOLDEN} (the Java side's delta goldens)")
    versions = json.load(open(GOLDEN))["versions"]
    bits = lambda b, shape: np.array(b, "<u4").view("<f4").reshape(shape)  # noqa: E731
    v1 = versions[0]
    cids = {1: full_content_id(v1["checksum"], v1["vocab_checksum"])}
    assert cids[1] == v1["content_id"]
    for v in versions[1:]:
        rows = bits(v["rows_data"], (len(v["ids"]), v["dim"]))
        plan = DeltaPlan("t", v["version"], Base(v["base"], v["base_rows"], v["dim"], cids[v["base"]], True), v["ids"],
                         rows, v["appended_tokens"], chunk_bytes=40)
        _, (_, commit) = decode_all(plan)
        body = commit["body"]
        assert (body["delta_checksum"], body["tokens_checksum"], body["content_id"], body["rows"]) == \
            (v["delta_checksum"], v["tokens_checksum"], v["content_id"], v["rows"]), v["version"]
        cids[v["version"]] = body["content_id"]


def test_a_signed_delta_commit_covers_its_twelve_lines():
    cryptography = pytest.importorskip("cryptography", reason="python3-cryptography is not installed")  # noqa: F841
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from tokvec._signing import Signer

    key = Ed25519PrivateKey.generate()
    plan = DeltaPlan("t", 3, Base(2, 5, 2, "sha256:" + "ab" * 32, False), [4, 1], np.ones((2, 2), "<f2"))
    list(plan.chunks())
    reader = avro.io.DatumReader(avro.schema.parse(open(os.path.join(ROOT, "schemas", "ModelRecord.avsc")).read()))
    body = reader.read(avro.io.BinaryDecoder(io.BytesIO(plan.commit(1, {}, Signer(key))[1])))["body"]
    text = ("tokvec-table-delta-v1\ntable=t\nversion=3\nbase_version=2\nbase_rows=5\nrows=5\ndim=2\ndelta_rows=2\n"
            f"chunks=1\ndelta_checksum={body['delta_checksum']}\ntokens_checksum=\ncontent_id={body['content_id']}\n")
    assert delta_signed_text("t", 3, 2, 5, 5, 2, 2, 1, body["delta_checksum"], None, body["content_id"]) == text.encode()
    key.public_key().verify(body["signature"], text.encode())  # raises when it does not verify
    assert body["key_id"] == Signer(key).key_id and body["tokens_checksum"] is None


BASE = Base(3, 10, 4, "sha256:" + "0" * 64, True)


@pytest.mark.parametrize("ids,tokens,message", [
    ([], None, "at least one row id"),
    ([-1, 2], None, "row id -1 is negative"),
    ([2, 5, 2], None, r"row id 2 appears twice \(at positions 0 and 2\)"),
    ([1, 11], ["a"], "row id 11 leaves a gap: appended rows continue v3's 10 rows contiguously, the next one is 10"),
    ([10, 12, 11, 14], ["a", "b", "c", "d"], "row id 14 leaves a gap"),
    ([10, 11], ["a"], "the 2 appended rows need 2 tokens .* got 1"),
    ([10], None, "the 1 appended rows need 1 tokens .* got none"),
    ([10, 11], ["a", "b", "c"], "got 3"),
    ([10, 11], ["a", "a"], "token 'a' is appended twice"),
    ([10], [""], "token of appended row 10 is empty"),
    ([10], ["a\nb"], "line break"),
    ([1, 2], ["a"], "tokens given, but the delta appends no row"),
    ([2**31], None, "beyond the int32 ids"),
])
def test_deltas_that_do_not_fit_their_base_are_refused_with_one_line(ids, tokens, message):
    with pytest.raises(ValueError, match=message):
        DeltaPlan("t", 4, BASE, np.array(ids, dtype=np.int64), np.zeros((len(ids), 4), "<f4"), tokens)


def test_other_refusals_rows_dim_version_vocabulary_budget_and_nonfinite_values():
    no_vocab = Base(3, 10, 4, BASE.content_id, False)
    with pytest.raises(ValueError, match="tokens given, but v3 has no vocabulary"):
        DeltaPlan("t", 4, no_vocab, [10], np.zeros((1, 4), "<f4"), ["a"])
    assert DeltaPlan("t", 4, no_vocab, [10], np.zeros((1, 4), "<f4")).tokens is None  # appends without tokens
    with pytest.raises(ValueError, match="dim 5 but v3 has dim 4"):
        DeltaPlan("t", 4, BASE, [1], np.zeros((1, 5), "<f4"))
    with pytest.raises(ValueError, match="2 rows for 1 ids"):
        DeltaPlan("t", 4, BASE, [1], np.zeros((2, 4), "<f4"))
    with pytest.raises(ValueError, match="delta v3 must be above its base v3"):
        DeltaPlan("t", 3, BASE, [1], np.zeros((1, 4), "<f4"))
    with pytest.raises(ValueError, match="float32 or float16, got float64"):
        DeltaPlan("t", 4, BASE, [1], np.zeros((1, 4)))
    with pytest.raises(ValueError, match="row id 10 needs 27 bytes, over the chunk budget of 26"):
        DeltaPlan("t", 4, BASE, [1, 10], np.zeros((2, 4), "<f4"), ["ab"], chunk_bytes=26)
    rows = np.zeros((3, 4), "<f4")
    rows[2, 3] = np.nan
    rows[0, 1] = np.inf
    with pytest.raises(ValueError, match="row id 5, column 3: value nan is not a finite float32"):
        DeltaPlan("t", 4, BASE, [7, 9, 5], rows)
    assert DeltaPlan("t", 4, BASE, [7, 9, 5], rows, allow_nonfinite=True).delta_rows == 3


def test_diff_from_finds_the_rows_that_differ_bit_for_bit_and_the_appended_ones():
    rng = np.random.default_rng(3)
    old = rng.standard_normal((3000, 8)).astype("<f4")
    new = np.concatenate([old, rng.standard_normal((4, 8)).astype("<f4")])
    changed = np.sort(rng.choice(3000, 40, replace=False))
    new[changed[:-2]] += 1
    new[changed[-2], 0] = -0.0 if old[changed[-2], 0] == 0 else -old[changed[-2], 0]
    old[changed[-1], 3], new[changed[-1], 3] = 0.0, -0.0  # equal as numbers, not as bits
    old[7, 2] = new[7, 2] = np.nan  # the same bits: unchanged
    ids, rows = diff_from(old, new)
    assert ids.dtype == np.int32 and ids.tolist() == changed.tolist() + [3000, 3001, 3002, 3003]
    assert np.array_equal(rows.view("<u4"), new[ids].view("<u4"))
    ids16, _ = diff_from(old.astype("<f2"), new.astype("<f2"))  # float16 compares as the float32 it widens to
    o16, n16 = old.astype("<f2").astype("<f4").view("<u4"), new[:3000].astype("<f2").astype("<f4").view("<u4")
    assert ids16.tolist() == np.flatnonzero((o16 != n16).any(axis=1)).tolist() + [3000, 3001, 3002, 3003]
    with pytest.raises(ValueError, match="is not the old one"):
        diff_from(new, old)
    assert diff_from(old, old)[0].size == 0


def test_delta_keys_parse():
    assert parse_key(b"glove/3/delta/0") == ("delta", "glove", 3, 0)
    assert parse_key("glove/12/delta-commit") == ("delta-commit", "glove", 12, -1)
    for bad in ["glove/0/delta-commit", "glove/3/delta/-1", "glove/3/delta/2147483648", "glove/3/delta", "/3/delta/0"]:
        assert parse_key(bad) is None, bad


def catalog_of(versions, activate=None):
    """A catalog of full versions (ints) and deltas ((version, base) pairs), committed in order."""
    cat = Catalog("t")
    cids = {}
    for offset, v in enumerate(versions):
        if isinstance(v, tuple):
            v, b = v
            dsum = "sha256:" + "%064x" % v
            body = {"base_version": b, "base_rows": 10, "rows": 10, "dim": 2, "delta_rows": 1, "chunks": 1,
                    "delta_checksum": dsum, "tokens_checksum": None}
            body["content_id"] = recipe_cid(cids[b], dsum)
            cat.note_chunk("delta", v, 0, 2 * offset)
            assert cat.apply_commit("delta-commit", v, body, 2 * offset + 1) is None
        else:
            cat.note_chunk("chunk", v, 0, 2 * offset)
            body = {"rows": 10, "dim": 2, "chunks": 1, "checksum": "sha256:" + "%064x" % v, "vocab_checksum": None}
            assert cat.apply_commit("commit", v, body, 2 * offset + 1) is None
        cids[v] = cat.get(v).content_id
    if activate is not None:
        cat.apply_activate(activate, 1000)
    return cat


def recipe_cid(base_cid, dsum):
    return sha(("tokvec-content-v1\ndelta\n" + base_cid + "\n10\n2\n" + dsum + "\n\n").encode())


def test_retention_keeps_the_bases_of_kept_deltas_down_to_a_full_version():
    assert catalog_of([1, (2, 1), (3, 2), 4]).victims(2, [4]) == []  # v3 needs v2 needs v1
    assert catalog_of([1, (2, 1), (3, 2), 4, (5, 4)]).victims(2, [5]) == [1, 2, 3]
    assert catalog_of([1, 2, (3, 1), 4]).victims(2, [4]) == [2]  # v3 keeps its base v1, not v2
    cat = catalog_of([1, 2, 3, (4, 3)], activate=1)  # a rollback to v1 keeps v1
    assert cat.intended() == 1 and cat.victims(2, [cat.intended()]) == [2]
    assert cat.get(4).keys("t") == ["t/4/delta/0", "t/4/delta-commit"]


def test_the_catalog_refuses_delta_commits_the_application_refuses():
    cat = catalog_of([1, (2, 1)])
    ok = dict(cat.get(2).delta)
    assert cat.apply_commit("delta-commit", 2, ok, 50) is None  # the same commit again: unchanged
    assert cat.apply_commit("delta-commit", 2, dict(ok, delta_rows=2), 51) == "DUPLICATE_VERSION"
    assert cat.apply_commit("delta-commit", 3, dict(ok, base_version=9), 52) == "UNKNOWN_BASE"
    assert cat.apply_commit("delta-commit", 3, dict(ok, base_rows=11), 53) == "BASE_MISMATCH"
    # over v2 with the content id chained from v1
    assert cat.apply_commit("delta-commit", 3, dict(ok, base_version=2), 54) == "BASE_MISMATCH"
    assert cat.apply_commit("delta-commit", 3, dict(ok, tokens_checksum="sha256:00"), 55) == "VOCAB_MISMATCH"
    cat.remove("commit", 1, -1)
    assert cat.committed_versions() == [2]
