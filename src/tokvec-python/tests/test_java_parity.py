"""The same tables and delta versions published by ``tokvec publish`` (Java) and by
``tokvec.Publisher`` (Python), each to a model topic of its own: the records are the same bytes
(keys, chunk boundaries, checksums, content ids, signatures, tombstones, activate records), the
commits' ``created_ms`` and ``metadata`` aside."""

import os

import numpy as np

import tokvec
from conftest import ROOT, read_all, run_java, unique
from tokvec import _avro


def write_config(path, kafka, topic, table):
    with open(path, "w") as f:
        f.write(f"bootstrap.servers={kafka.bootstrap}\nschema.registry.url={kafka.registry}\n"
                f"tokvec.topic.model={topic}\ntokvec.table={table}\ntokvec.retain.versions=2\n")
    return path


def signing_key(scratch):
    """A new Ed25519 key file, or None without python3-cryptography (the versions are then unsigned)."""
    try:
        from cryptography.hazmat.primitives import serialization
    except ImportError:
        return None
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = os.path.join(scratch, "trainer.key")
    with open(path, "wb") as f:
        f.write(Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return path


def assert_same_records(kafka, java_topic, python_topic):
    java, python = read_all(kafka, java_topic), read_all(kafka, python_topic)
    assert [k for k, _ in python] == [k for k, _ in java]
    read = _avro.compile_reader(open(os.path.join(ROOT, "schemas", "ModelRecord.avsc")).read())
    commits = 0
    for (key, jv), (_, pv) in zip(java, python):
        if key.endswith(b"commit") and jv is not None:  # a commit or a delta-commit
            commits += 1
            assert pv[:5] == jv[:5], key  # the same schema id
            j, p = read(jv, 5), read(pv, 5)
            for rec in (j, p):
                rec["body"]["created_ms"] = 0
                rec["body"]["metadata"] = {}
            assert plain(p) == plain(j), key
        else:
            assert pv == jv, key
    return java, commits


def plain(v):
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return bytes(v) if isinstance(v, memoryview) else v


def test_signed_float32_and_float16_versions_their_retention_and_a_rollback_match_tokvec_publish(jar, kafka, scratch):
    rng = np.random.default_rng(7)
    rows, dim = 3000, 24
    vocab = ["", "[UNK]"] + [f"w{i}" + "\u00e9\u6f22"[: i % 3] for i in range(2, rows)]
    key = signing_key(scratch)
    java_topic, python_topic = unique("parity-java"), unique("parity-py")
    conf = write_config(os.path.join(scratch, "java.properties"), kafka, java_topic, "glove")
    vocab_file = os.path.join(scratch, "vocab.txt")
    with open(vocab_file, "w", encoding="utf-8") as f:
        f.writelines(t + "\n" for t in vocab)
    with tokvec.Publisher(kafka.bootstrap, kafka.registry, python_topic, "glove", signing_key=key,
                          chunk_bytes=20_000) as publisher:
        for version, dtype in ((1, "<f4"), (2, "<f2"), (3, "<f4")):  # float16 is published widened to float32
            npy = os.path.join(scratch, f"w{version}.npy")
            np.save(npy, (rng.standard_normal((rows, dim)) * 3).astype(dtype))
            out = run_java(jar, "publish", "--config", conf, "--version", str(version), "--file", npy, "--format", "npy",
                           "--vocab", vocab_file, "--chunk-bytes", "20000", *(["--sign-key", key] if key else []))
            result = publisher.publish(version, np.load(npy, mmap_mode="r"), vocab)
            assert f"in {result.chunks} chunks" in out and (key is None or f"signed with key {publisher.key_id}" in out)
        assert result.removed_versions == [1] and "removed old versions [1]" in out
        run_java(jar, "publish", "--config", conf, "--activate", "2", "--reason", "r\u00e9")
        publisher.activate(2, "r\u00e9")
    records, commits = assert_same_records(kafka, java_topic, python_topic)
    assert commits == 3 and result.chunks > 5
    assert sum(1 for _, v in records if v is None) == result.chunks + 1  # v1's chunks and commit tombstoned


def test_signed_delta_versions_over_full_and_delta_bases_and_their_retention_match_tokvec_publish_base(jar, kafka, scratch):
    rng = np.random.default_rng(26)
    rows, dim = 600, 12
    vocab = ["", "[UNK]"] + [f"w{i}" for i in range(2, rows)]
    key = signing_key(scratch)
    sign = ["--sign-key", key] if key else []
    java_topic, python_topic = unique("delta-java"), unique("delta-py")
    conf = write_config(os.path.join(scratch, "java.properties"), kafka, java_topic, "glove")

    def path(name):
        return os.path.join(scratch, name)

    def tokens_file(name, tokens):
        with open(path(name), "w", encoding="utf-8") as f:
            f.writelines(t + "\n" for t in tokens)
        return ["--tokens", path(name)]

    with open(path("vocab.txt"), "w", encoding="utf-8") as f:
        f.writelines(t + "\n" for t in vocab)
    w1 = rng.standard_normal((rows, dim)).astype("<f4")
    np.save(path("w1.npy"), w1)
    # v2 over v1: replaced rows in any order and three appended rows with their words, float16 rows
    ids2 = np.concatenate([rng.choice(rows, 250, replace=False), np.arange(rows, rows + 3)]).astype("<i8")
    rng.shuffle(ids2)
    rows2 = rng.standard_normal((len(ids2), dim)).astype("<f2")
    tokens2 = ["kafka", "stre\u00e4ms", "\u6f22\u5b57"]
    np.save(path("ids2.npy"), ids2)
    np.save(path("rows2.npy"), rows2)
    w2 = np.concatenate([w1, np.zeros((3, dim), "<f4")])
    w2[ids2] = rows2
    # v3 over v2 from two full arrays: some rows changed bit for bit (a sign of zero among them), one appended
    w3 = np.concatenate([w2, rng.standard_normal((1, dim)).astype("<f4")])
    w3[rng.choice(rows + 3, 40, replace=False)] += 1
    w3[5, 0] = -w3[5, 0]
    np.save(path("w2.npy"), w2)
    np.save(path("w3.npy"), w3)
    tokens3 = ["delta"]
    # v4 a full version, v5 a delta over it (no appended rows): retention then drops v1, v2 and v3 together
    w4 = rng.standard_normal((rows, dim)).astype("<f4")
    np.save(path("w4.npy"), w4)
    ids5 = np.array([7, 3, 599], "<i4")
    rows5 = rng.standard_normal((3, dim)).astype("<f4")
    np.save(path("ids5.npy"), ids5)
    np.save(path("rows5.npy"), rows5)

    budget = ["--chunk-bytes", "3000"]
    run_java(jar, "publish", "--config", conf, "--version", "1", "--file", path("w1.npy"), "--format", "npy",
             "--vocab", path("vocab.txt"), *budget, *sign)
    out2 = run_java(jar, "publish", "--config", conf, "--version", "2", "--base", "1", "--ids", path("ids2.npy"),
                    "--file", path("rows2.npy"), *tokens_file("t2.txt", tokens2), *budget, *sign)
    out3 = run_java(jar, "publish", "--config", conf, "--version", "3", "--base", "2", "--diff-from", path("w2.npy"),
                    "--file", path("w3.npy"), *tokens_file("t3.txt", tokens3), *budget, *sign)
    run_java(jar, "publish", "--config", conf, "--version", "4", "--file", path("w4.npy"), "--format", "npy",
             "--vocab", path("vocab.txt"), *budget, *sign)
    out5 = run_java(jar, "publish", "--config", conf, "--version", "5", "--base", "4", "--ids", path("ids5.npy"),
                    "--file", path("rows5.npy"), *budget, *sign)
    run_java(jar, "publish", "--config", conf, "--activate", "4", "--reason", "back")

    with tokvec.Publisher(kafka.bootstrap, kafka.registry, python_topic, "glove", signing_key=key,
                          chunk_bytes=3000) as publisher:
        publisher.publish(1, w1, vocab)
        r2 = publisher.publish_delta(2, 1, ids2, rows2, tokens2)
        r3 = publisher.publish_delta(3, 2, *tokvec.diff_from(w2, w3), tokens=tokens3)
        r4 = publisher.publish(4, w4, vocab)
        r5 = publisher.publish_delta(5, 4, ids5, rows5)
        publisher.activate(4, "back")
    for r, out in ((r2, out2), (r3, out3), (r5, out5)):
        assert f"in {r.chunks} chunks" in out and f"content id {r.content_id}" in out, out
        assert r.summary().split(", ")[0] == out.split(", ")[0]
    assert (r2.rows, r2.delta_rows, r2.appended, r3.rows, r3.appended) == (rows + 3, 253, 3, rows + 4, 1)
    assert r2.chunks > 3 and r3.delta_rows > 40 and r4.removed_versions == []
    assert r5.removed_versions == [1, 2, 3] and "removed old versions [1, 2, 3]" in out5
    records, commits = assert_same_records(kafka, java_topic, python_topic)
    assert commits == 5
    tombstoned = [k for k, v in records if v is None]
    dropped = [k for k, v in records if v is not None and k.split(b"/")[1] in (b"1", b"2", b"3")]
    assert sorted(tombstoned) == sorted(dropped) and any(k.endswith(b"/delta-commit") for k in tombstoned)
