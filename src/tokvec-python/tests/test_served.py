"""End to end with ``tokvec run``: tables published from Python are served exactly, events written
from Python are enriched, the enriched topic reads back as numpy batches equal to numpy's gather,
and junk on the input reaches the DeadLetterReader."""

import itertools

import numpy as np
import pytest
from confluent_kafka import Producer

import tokvec
from conftest import unique, wait_for

try:  # Keras' own padding (Debian: python3-keras-preprocessing) when it is installed
    from keras_preprocessing.sequence import pad_sequences
except ImportError:  # the same arithmetic in numpy
    def pad_sequences(seqs, maxlen, padding="pre", truncating="pre", value=0):
        out = np.full((len(seqs), maxlen), value, dtype=np.int32)
        for i, s in enumerate(seqs):
            s = list(s)[-maxlen:] if truncating == "pre" else list(s)[:maxlen]
            if s and padding == "pre":
                out[i, maxlen - len(s):] = s
            elif s:
                out[i, :len(s)] = s
        return out


_versions = {}


def next_version(app):
    """Versions only go up on an application's model topic, whichever test publishes first."""
    _versions[app.table + app.model] = _versions.get(app.table + app.model, 0) + 1
    return _versions[app.table + app.model]


def table(rows, dim, seed):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((rows, dim)).astype(np.float32)
    vocab = ["", "[UNK]"] + [f"tok{i}" for i in range(2, rows)]
    return w, vocab


def events(prefix, rows, vocab, rng, n=40):
    """A mix of id and string events: empty, shorter and longer than max_len, a 0 inside, unknown tokens."""
    out = []
    for i in range(n):
        length = int(rng.integers(0, 10))
        if i % 3 == 2:
            toks = [vocab[int(j)] if j < rows else f"unknown{j}" for j in rng.integers(2, rows + 5, length)]
            out.append((f"{prefix}-{i}", None, toks))
        else:
            ids = [int(j) for j in rng.integers(0, rows, length)]
            out.append((f"{prefix}-{i}", ids, None))
    return out


def expected_ids(evs, vocab, maxlen, padding="pre", truncating="pre"):
    index = {t: i for i, t in enumerate(vocab)}
    index.pop("[UNK]")  # the OOV token is out of vocabulary (StringLookup(mask_token=''))
    seqs = [ids if ids is not None else [0 if t == "" else index.get(t, 1) for t in toks] for _, ids, toks in evs]
    return {eid: row for (eid, _, _), row in zip(evs, pad_sequences(seqs, maxlen=maxlen, padding=padding,
                                                                    truncating=truncating, value=0))}


def send(app, evs):
    with tokvec.EventWriter(app.kafka.bootstrap, app.kafka.registry, app.input) as writer:
        for eid, ids, toks in evs:
            writer.send(eid, token_ids=ids, tokens=toks)
        writer.flush()


def collect(app, wanted, timeout=120):
    """The records of the events ``wanted`` (by id) from the output topic, one dict of arrays each, and
    every batch they came in."""
    found, batches = {}, []
    with tokvec.EnrichedReader(app.kafka.bootstrap, app.kafka.registry, app.output, unique("py-test")) as reader:
        def more():
            for batch in itertools.islice(reader.batches(max_records=64, timeout=0.5, max_idle=0.5), 1):
                batches.append(batch)
                for i, eid in enumerate(batch.event_ids):
                    if eid in wanted:
                        found[eid] = {f: getattr(batch, f)[i] for f in
                                      ("ids", "mask", "embeddings", "pooled", "versions", "lengths", "truncated")
                                      if getattr(batch, f) is not None}
            return wanted <= found.keys()
        wait_for(more, timeout, f"{len(wanted)} enriched records on {app.output} (got {len(found)})", 0)
    return found, batches


def test_a_table_published_from_python_serves_events_written_from_python_exactly(apps):
    app = apps["f32"]
    w, vocab = table(50, 8, seed=1)
    with tokvec.Publisher(app.kafka.bootstrap, app.kafka.registry, app.model, app.table) as publisher:
        version = next_version(app)
        publisher.publish(version, w, vocab)
    app.wait_active(version)
    evs = events(unique("ev"), 50, vocab, np.random.default_rng(2))
    send(app, evs)
    found, batches = collect(app, {e for e, _, _ in evs})
    expected = expected_ids(evs, vocab, 6)
    for eid, rec in found.items():
        assert rec["ids"].tolist() == expected[eid].tolist(), eid
        assert np.array_equal(rec["mask"], expected[eid] != 0), eid
        assert rec["embeddings"].dtype == np.float32 and np.array_equal(rec["embeddings"], w[expected[eid]]), eid
        assert rec["versions"] == version and "pooled" not in rec
    kept = {eid: min(len(ids if ids is not None else toks), 6) for eid, ids, toks in evs}
    assert {eid: int(found[eid]["lengths"]) for eid in kept} == kept
    assert {eid for eid in kept if found[eid]["truncated"]} == {eid for eid, ids, toks in evs
                                                               if len(ids if ids is not None else toks) > 6}
    # whole batches: the embeddings are numpy's gather of the batch's ids from the table, for every record
    for batch in batches:
        mine = batch.versions == version
        assert batch.ids.dtype == np.int32 and batch.mask.dtype == np.bool_ and batch.versions.dtype == np.int64
        assert np.array_equal(batch.embeddings[mine], w[batch.ids[mine]])
        assert np.array_equal(batch.mask, batch.ids != 0)
        assert batch.offsets.tolist() == sorted(batch.offsets.tolist())


def test_float16_output_and_pooled_vectors_read_as_float16_arrays(apps):
    app = apps["f16"]
    w, vocab = table(30, 5, seed=3)
    with tokvec.Publisher(app.kafka.bootstrap, app.kafka.registry, app.model, app.table) as publisher:
        version = next_version(app)
        publisher.publish(version, w.astype(np.float16), vocab)  # a float16 table, published widened
    app.wait_active(version)
    evs = events(unique("ev16"), 30, vocab, np.random.default_rng(4), n=20)
    send(app, evs)
    found, batches = collect(app, {e for e, _, _ in evs})
    expected = expected_ids(evs, vocab, 6, padding="post", truncating="post")
    w16 = w.astype(np.float16)
    for eid, rec in found.items():
        ids = expected[eid]
        assert rec["ids"].tolist() == ids.tolist(), eid
        assert rec["embeddings"].dtype == np.float16 and np.array_equal(rec["embeddings"], w16[ids]), eid
        assert rec["pooled"].dtype == np.float16 and rec["pooled"].shape == (5,)
        rows = w16[ids[ids != 0]].astype(np.float32)
        mean = rows.mean(axis=0) if len(rows) else np.zeros(5, np.float32)
        np.testing.assert_allclose(rec["pooled"].astype(np.float32), mean, rtol=2e-3, atol=2e-3)
    assert all(b.embeddings.dtype == np.float16 and b.pooled.shape == (len(b), 5) for b in batches)


def test_junk_and_bad_ids_on_the_input_reach_the_dead_letter_reader(apps):
    app = apps["f32"]
    status, tables = app.get("/tables")
    if tables is None or tables.get("active_version", -1) < 1:
        w, vocab = table(50, 8, seed=1)
        with tokvec.Publisher(app.kafka.bootstrap, app.kafka.registry, app.model, app.table) as publisher:
            version = next_version(app)
            publisher.publish(version, w, vocab)
        app.wait_active(version)
    junk_key = unique("junk").encode()
    delivered = []
    p = Producer({"bootstrap.servers": app.kafka.bootstrap})
    p.produce(app.input, key=junk_key, value=b"not avro at all",
              on_delivery=lambda err, msg: delivered.append((err, msg.partition(), msg.offset())))
    p.flush(30)
    assert delivered and delivered[0][0] is None
    bad = unique("bad-id")
    send(app, [(bad, [1, 2, 10_000], None)])
    got = {}
    with tokvec.DeadLetterReader(app.kafka.bootstrap, app.kafka.registry, app.dlq, unique("py-dlq")) as reader:
        def more():
            for letters in itertools.islice(reader.batches(max_records=50, timeout=0.5, max_idle=0.5), 1):
                for d in letters:
                    if d.key == junk_key:
                        got["junk"] = d
                    elif d.event_id == bad:
                        got["bad"] = d
            return len(got) == 2
        wait_for(more, 120, f"two dead letters on {app.dlq} (got {list(got)})", 0)
    junk = got["junk"]
    assert junk.reason == "BAD_MAGIC" and junk.value == b"not avro at all" and junk.topic == app.input
    assert (junk.partition, junk.offset) == delivered[0][1:]
    assert got["bad"].reason == "ID_OUT_OF_RANGE" and "10000" in got["bad"].message
    assert got["bad"].value[0] == 0  # the original wire-format bytes


def test_a_delta_published_from_python_is_served_exactly_with_its_new_words(apps):
    app = apps["f32"]
    rng = np.random.default_rng(22)
    w, vocab = table(50, 8, seed=21)
    new_tokens = [unique("fresh"), unique("word")]
    ids = np.concatenate([rng.choice(50, 12, replace=False), [51, 50]])  # replaced rows and two appended, any order
    rows = rng.standard_normal((len(ids), 8)).astype(np.float32)
    with tokvec.Publisher(app.kafka.bootstrap, app.kafka.registry, app.model, app.table) as publisher:
        base = next_version(app)
        publisher.publish(base, w, vocab)
        app.wait_active(base)
        version = next_version(app)
        result = publisher.publish_delta(version, base, ids, rows, new_tokens)
    assert (result.rows, result.delta_rows, result.appended) == (52, 14, 2)
    app.wait_active(version)
    # numpy's W_N: the base with the rows replaced and appended; the vocabulary with the new words
    w_n = np.concatenate([w, np.zeros((2, 8), np.float32)])
    w_n[ids] = rows
    vocab_n = vocab + new_tokens
    evs = events(unique("evd"), 52, vocab_n, rng) + [(unique("new-words"), None, [new_tokens[1], "tok3", new_tokens[0]]),
                                                     (unique("new-ids"), [50, 51, int(ids[0])], None)]
    send(app, evs)
    found, _ = collect(app, {e for e, _, _ in evs})
    expected = expected_ids(evs, vocab_n, 6)
    assert expected[evs[-2][0]][-3:].tolist() == [51, 3, 50]
    for eid, rec in found.items():
        assert rec["versions"] == version, eid
        assert rec["ids"].tolist() == expected[eid].tolist(), eid
        assert np.array_equal(rec["embeddings"], w_n[expected[eid]]), eid
