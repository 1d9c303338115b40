"""The same tables published by ``tokvec publish`` (Java) and by ``tokvec.Publisher`` (Python), each
to a model topic of its own: the records are the same bytes (keys, chunk boundaries, checksums,
signatures, tombstones, activate records), the commits' ``created_ms`` and ``metadata`` aside."""

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
        if key.endswith(b"/commit") and jv is not None:
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
