#!/usr/bin/python3
"""Golden files for "parity beyond pad_sequences" (issue 11), computed with the real libraries.

Run from the repository root with Debian's python3 and packages (apt-get install -y python3-torch
python3-numpy python3-keras-preprocessing libfarmhash-dev g++):

    /usr/bin/python3 src/tokvec-core/src/test/python/gen_beyond_golden.py src/tokvec-core/src/test/resources/golden

Writes, into the output directory:

* torch-pooling.json  pooled vectors (with the numpy gather W[padded] as 'embeddings'): Keras pad_sequences(maxlen, padding, truncating, value=0) of the
  events, then torch.nn.EmbeddingBag.from_pretrained(W, mode=sum|mean|max, padding_idx=0) applied to
  the padded [batch, max_len] ids (padding_idx=0 leaves id 0 out of every bag and out of mean's
  count), with per_sample_weights padded the same way for the weighted sum cases; sqrtn is the same
  EmbeddingBag sum divided by torch.sqrt(count) in float32 (zeros when count is 0).
* torch-preset.json   the PyTorch preset: each event truncated to max_len first (seq[:max_len] for
  truncating=post, seq[-max_len:] for pre), torch.nn.utils.rnn.pad_sequence(batch_first=True,
  padding_value=0) of the batch, then zero-padded on the right up to max_len
  (torch.nn.functional.pad), because pad_sequence pads only to the longest sequence of the batch;
  then torch.nn.Embedding(rows, dim, padding_idx=0) whose rows 1.. are set to the table's rows 1..
  (row 0 stays the zeros that padding_idx initialises; the table's own row 0 is not zero).
* keras-oov-buckets.json  StringLookup(mask_token='', num_oov_indices=5) semantics: '' -> 0, a
  vocabulary token -> its row, any other token -> 1 + (Fingerprint64(token) mod 5), i.e.
  tf.strings.to_hash_bucket_fast(token, 5) + 1 (keras index_lookup._lookup_dense); then Keras
  pad_sequences and a numpy gather. Vocabulary: '', '[UNK]' x 5 (as get_vocabulary() lists it), words.
* keras-hashing.json  Hashing(num_bins=11) (fingerprint mod 11) and Hashing(num_bins=11,
  mask_value='') ('' -> 0, else 1 + fingerprint mod 10) (keras hashing._hash_values_to_bins), then
  Keras pad_sequences and a numpy gather; the table has 11 rows and no vocabulary.
* farmhash-fingerprint64.json  FarmHash Fingerprint64 of tokens of many lengths (0..1000 bytes,
  ASCII and UTF-8) from Google's FarmHash, as unsigned decimal strings, with their buckets mod N.
* shards/  numpy shards of torch-pooling.json's table (mod: W[p::n]; div: np.array_split(W, n),
  whose first rows % n parts are one row longer, as TF's "div" strategy) and of a 13-row table
  whose row i is (i, -i) split across 5 shards, the example of tf.compat.v1.nn.embedding_lookup's
  documentation; shards.json names them with their strategy.

FarmHash: TensorFlow's to_hash_bucket_fast is Fingerprint64(s) mod n with the fingerprint taken as
unsigned 64-bit (tensorflow/core/platform/fingerprint.h calls FarmHash's util::Fingerprint64);
TensorFlow itself is not packaged for Debian, so the fingerprints come from Google's FarmHash library
as Debian packages it (libfarmhash-dev), through farmhash_fingerprint64.cc beside this script,
compiled with g++ on each run; the documentation examples
(to_hash_bucket_fast(["Hello", "TensorFlow", "2.x"], 3) = [0, 2, 2], Hashing(num_bins=3) and
Hashing(num_bins=3, mask_value='') on A..E) are checked below before anything is written.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from keras_preprocessing.sequence import pad_sequences

HERE = os.path.dirname(os.path.abspath(__file__))
OPTION_SETS = [(1, "pre", "pre"), (5, "pre", "pre"), (5, "post", "post"), (12, "pre", "post"),
               (12, "post", "pre"), (40, "post", "pre")]


def floats(a):
    """float32 values as Python floats (doubles): printing and parsing back is exact."""
    return [float(x) for x in np.asarray(a, dtype=np.float32).reshape(-1)]


def table_json(W, tokens=None):
    return {"rows": int(W.shape[0]), "dim": int(W.shape[1]), "vectors": floats(W), "tokens": tokens}


def keras_pad(seqs, max_len, padding, truncating, dtype="int64", value=0):
    return pad_sequences(seqs, maxlen=max_len, padding=padding, truncating=truncating, value=value, dtype=dtype)


def base_expected(ev_id, padded_row, n, max_len):
    return {"id": ev_id, "ids": [int(x) for x in padded_row], "mask": [bool(x != 0) for x in padded_row],
            "length": min(n, max_len), "truncated": n > max_len}


def pooling_table(rng):
    rows, dim = 30, 8
    # magnitudes from 1e-4 to 1e4 so that the order of float32 additions shows in the result
    W = (rng.standard_normal((rows, dim)) * 10.0 ** rng.uniform(-4, 4, size=(rows, 1))).astype(np.float32)
    W[3, :4] = 0.0
    W[4, :4] = -0.0          # signed zeros: max keeps the first of equal values, sums of -0.0
    W[5, 4:] = W[6, 4:]      # exact ties for max
    W[7] = -W[8]             # cancellation
    W[9] = np.float32(1e30)  # large values next to small ones
    W[10] = np.float32(1e-30)
    return W


def pooling_events(rng, rows, count, with_weights):
    events = []
    for k in range(count):
        if k == 0:
            ids = []
        elif k == 1:
            ids = [0, 0, 0]
        elif k == 2:
            ids = [int(rng.integers(1, rows))]
        elif k == 3:
            ids = [9, 10, 10, 10, 9, 3, 4, 4, 3]
        elif k == 4:
            ids = [5, 6, 6, 5, 0, 7, 8]
        else:
            n = int(rng.integers(1, 26))
            ids = [int(x) for x in rng.integers(0, rows, size=n)]
            ids = [0 if rng.random() < 0.1 else i for i in ids]
        ev = {"id": "e%d" % k, "token_ids": ids}
        if with_weights:
            w = rng.standard_normal(len(ids)).astype(np.float32) * np.float32(3)
            w[rng.random(len(ids)) < 0.1] = 0.0
            ev["weights"] = floats(w)
        events.append(ev)
    return events


def torch_pool(W, padded, mode, weights=None):
    bag = torch.nn.EmbeddingBag.from_pretrained(torch.from_numpy(W), mode=mode, padding_idx=0)
    with torch.no_grad():
        if weights is not None:
            return bag(torch.from_numpy(padded), per_sample_weights=torch.from_numpy(weights)).numpy()
        return bag(torch.from_numpy(padded)).numpy()


def gen_pooling(rng):
    W = pooling_table(rng)
    cases = []
    for mode in ["sum", "mean", "max", "sqrtn", "sum-weighted"]:
        for (max_len, padding, truncating) in OPTION_SETS:
            weighted = mode == "sum-weighted"
            events = pooling_events(rng, W.shape[0], 14, weighted)
            seqs = [e["token_ids"] for e in events]
            P = keras_pad(seqs, max_len, padding, truncating)
            if mode == "sqrtn":
                s = torch_pool(W, P, "sum")
                n = torch.from_numpy((P != 0).sum(axis=1).astype(np.float32))
                pooled = torch.where(n.unsqueeze(1) > 0, torch.from_numpy(s) / torch.sqrt(n).unsqueeze(1),
                                     torch.zeros_like(torch.from_numpy(s))).numpy()
            elif weighted:
                Wt = keras_pad([e["weights"] for e in events], max_len, padding, truncating, dtype="float32", value=0.0)
                pooled = torch_pool(W, P, "sum", Wt)
            else:
                pooled = torch_pool(W, P, mode)
            E = W[P]  # what Embedding(mask_zero=True) gives at every position (pad_vector table)
            expected = []
            for e, row, p, emb in zip(events, P, pooled, E):
                x = base_expected(e["id"], row, len(e["token_ids"]), max_len)
                x["embeddings"] = floats(emb)
                x["pooled"] = floats(p)
                expected.append(x)
            cases.append({"name": "%s-max%d-%s-%s" % (mode, max_len, padding, truncating),
                          "options": {"max_len": max_len, "padding": padding, "truncating": truncating,
                                      "pad_vector": "table", "pooling": "sum" if weighted else mode},
                          "events": events, "expected": expected})
    return W, {"about": "pad_sequences(maxlen, padding, truncating, value=0) then "
                        "torch.nn.EmbeddingBag.from_pretrained(W, mode, padding_idx=0) on the padded ids "
                        "(per_sample_weights padded alike); sqrtn = EmbeddingBag sum / torch.sqrt(count); "
                        "'pooled' is float32 [dim]; torch " + torch.__version__,
               "table": table_json(W), "cases": cases}


def gen_preset(rng):
    rows, dim = 30, 6
    W = rng.standard_normal((rows, dim)).astype(np.float32)
    emb = torch.nn.Embedding(rows, dim, padding_idx=0)
    with torch.no_grad():
        assert torch.count_nonzero(emb.weight[0]) == 0, "padding_idx row must start as zeros"
        emb.weight[1:] = torch.from_numpy(W[1:])
    cases = []
    for max_len in [1, 4, 9]:
        for truncating in ["post", "pre"]:
            events = []
            for k in range(12):
                n = 0 if k == 0 else int(rng.integers(1, 15))
                ids = [int(x) for x in rng.integers(0, rows, size=n)]
                ids = [0 if rng.random() < 0.1 else i for i in ids]
                events.append({"id": "p%d" % k, "token_ids": ids})
            kept = [e["token_ids"][:max_len] if truncating == "post" else e["token_ids"][-max_len:]
                    for e in events]
            batch = torch.nn.utils.rnn.pad_sequence([torch.tensor(s, dtype=torch.int64) for s in kept],
                                                    batch_first=True, padding_value=0)
            P = torch.nn.functional.pad(batch, (0, max_len - batch.shape[1]), value=0)
            with torch.no_grad():
                out = emb(P).numpy()
            expected = []
            for e, row, o in zip(events, P.numpy(), out):
                x = base_expected(e["id"], row, len(e["token_ids"]), max_len)
                x["embeddings"] = floats(o)
                expected.append(x)
            cases.append({"name": "torch-max%d-post-%s-zeros" % (max_len, truncating),
                          "options": {"max_len": max_len, "padding": "post", "truncating": truncating,
                                      "pad_vector": "zeros"},
                          "events": events, "expected": expected})
    return {"about": "seq[:max_len] (truncating=post) or seq[-max_len:] (pre), "
                     "torch.nn.utils.rnn.pad_sequence(batch_first=True, padding_value=0), zero-padded on the "
                     "right to max_len, then torch.nn.Embedding(rows, dim, padding_idx=0) with rows 1.. = the "
                     "table's rows 1.. (its row 0 stays zeros; the table's row 0 is not zero); torch "
                     + torch.__version__,
            "table": table_json(W), "cases": cases}


_FP64 = []


def fingerprints(tokens):
    """util::Fingerprint64 of each token's UTF-8 bytes, from Google's FarmHash (libfarmhash-dev)."""
    if not _FP64:
        exe = os.path.join(tempfile.mkdtemp(prefix="fp64-"), "farmhash_fingerprint64")
        subprocess.run(["g++", "-O2", "-o", exe, os.path.join(HERE, "farmhash_fingerprint64.cc"), "-lfarmhash"],
                       check=True)
        _FP64.append(exe)
    lines = "".join(t.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t") + "\n" for t in tokens)
    out = subprocess.run([_FP64[0]], input=lines.encode("utf-8"), capture_output=True, check=True)
    values = [int(s) for s in out.stdout.decode("ascii").split()]
    assert len(values) == len(tokens)
    return values


def check_documented_examples():
    # tf.strings.to_hash_bucket_fast documentation
    assert [f % 3 for f in fingerprints(["Hello", "TensorFlow", "2.x"])] == [0, 2, 2]
    # tf.keras.layers.Hashing documentation: Hashing(num_bins=3) on A..E, and with mask_value=''
    assert [f % 3 for f in fingerprints(["A", "B", "C", "D", "E"])] == [1, 0, 1, 1, 2]
    masked = [0 if t == "" else 1 + f % 2 for t, f in zip(["A", "B", "", "C", "D"],
                                                          fingerprints(["A", "B", "", "C", "D"]))]
    assert masked == [1, 1, 0, 2, 2], masked


def fingerprint_tokens():
    tokens = ["", "Hello", "TensorFlow", "2.x", "A", "B", "C", "D", "E", "[UNK]", "café", "naïve", "日本語",
              "🙂", "Ünïcödé tökén", "tab\tand\nnewline"]
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    for n in list(range(1, 70)) + [70, 71, 95, 96, 97, 127, 128, 129, 150, 191, 192, 193, 256, 1000]:
        tokens.append("".join(alphabet[(i * 7 + n) % len(alphabet)] for i in range(n)))
    tokens.append("é" * 40)          # 80 UTF-8 bytes
    tokens.append("語" * 30)          # 90 UTF-8 bytes
    return tokens


def gen_fingerprints():
    tokens = fingerprint_tokens()
    fps = fingerprints(tokens)
    ns = [2, 3, 5, 7, 10, 11, 1000, 2 ** 31 - 1]
    return {"about": "FarmHash util::Fingerprint64 of each token's UTF-8 bytes (Debian libfarmhash), unsigned; "
                     "buckets[n][i] = fingerprint mod n = tf.strings.to_hash_bucket_fast(token, n)",
            "tokens": tokens, "fingerprint64": [str(f) for f in fps],
            "buckets": {str(n): [f % n for f in fps] for n in ns}}


def string_events(rng, vocab_words, unseen, count):
    events = []
    for k in range(count):
        if k == 0:
            toks = []
        elif k == 1:
            toks = ["", "[UNK]", unseen[0], ""]
        else:
            n = int(rng.integers(1, 16))
            toks = []
            for _ in range(n):
                r = rng.random()
                toks.append("" if r < 0.08 else (unseen[int(rng.integers(0, len(unseen)))] if r < 0.45
                                                 else vocab_words[int(rng.integers(0, len(vocab_words)))]))
        events.append({"id": "s%d" % k, "tokens": toks})
    return events


UNSEEN = ["Hello", "TensorFlow", "2.x", "A", "B", "C", "D", "E", "café", "日本語", "🙂", "never-seen",
          "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "[unk]", "w", "w1x"]


def gather_cases(rng, W, to_id, name, options_extra, vocab_words, option_sets):
    cases = []
    for (max_len, padding, truncating) in option_sets:
        for pad_vector in ["table", "zeros"]:
            events = string_events(rng, vocab_words, UNSEEN, 12)
            seqs = [[to_id(t) for t in e["tokens"]] for e in events]
            P = keras_pad(seqs, max_len, padding, truncating)
            E = W[P]
            if pad_vector == "zeros":
                E[P == 0] = 0.0
            expected = []
            for e, row, emb in zip(events, P, E):
                x = base_expected(e["id"], row, len(e["tokens"]), max_len)
                x["embeddings"] = floats(emb)
                expected.append(x)
            options = {"max_len": max_len, "padding": padding, "truncating": truncating, "pad_vector": pad_vector}
            options.update(options_extra)
            cases.append({"name": "%s-max%d-%s-%s-pad%s" % (name, max_len, padding, truncating, pad_vector),
                          "options": options, "events": events, "expected": expected})
    return cases


def gen_oov_buckets(rng):
    n_oov = 5
    words = ["w%d" % i for i in range(20)]
    vocab = [""] + ["[UNK]"] * n_oov + words
    W = rng.standard_normal((len(vocab), 4)).astype(np.float32)
    index = {t: i for i, t in enumerate(words, start=1 + n_oov)}
    all_tokens = sorted(set(UNSEEN + ["[UNK]"]))
    fp = dict(zip(all_tokens, fingerprints(all_tokens)))

    def to_id(t):
        if t == "":
            return 0
        if t in index:
            return index[t]
        return 1 + fp[t] % n_oov

    cases = gather_cases(rng, W, to_id, "oov%d" % n_oov, {"oov_buckets": n_oov}, words,
                         [(4, "pre", "pre"), (6, "post", "post"), (20, "post", "pre")])
    return {"about": "StringLookup(mask_token='', num_oov_indices=%d): '' -> 0, vocabulary token -> its row, "
                     "other tokens -> 1 + Fingerprint64(token) mod %d; then pad_sequences and a numpy gather "
                     "(pad_vector zeros: rows of id 0 zeroed)" % (n_oov, n_oov),
            "table": table_json(W, vocab), "cases": cases}


def gen_hashing(rng):
    bins = 11
    W = rng.standard_normal((bins, 4)).astype(np.float32)
    words = ["w%d" % i for i in range(20)]
    all_tokens = sorted(set(UNSEEN + words + ["[UNK]", ""]))
    fp = dict(zip(all_tokens, fingerprints(all_tokens)))
    cases = []
    for mask in [True, False]:
        def to_id(t, mask=mask):
            if mask:
                return 0 if t == "" else 1 + fp[t] % (bins - 1)
            return fp[t] % bins
        cases += gather_cases(rng, W, to_id, "hashing%d-%s" % (bins, "mask" if mask else "nomask"),
                              {"hashing_bins": bins, "hashing_mask": mask}, words,
                              [(4, "pre", "pre"), (9, "post", "post")])
    return {"about": "Hashing(num_bins=%d) (fingerprint mod %d) and Hashing(num_bins=%d, mask_value='') "
                     "('' -> 0, else 1 + fingerprint mod %d) of the tokens; then pad_sequences and a numpy "
                     "gather (pad_vector zeros: rows of id 0 zeroed)" % (bins, bins, bins, bins - 1),
            "table": table_json(W), "cases": cases}


def write_npy(path, a):
    np.save(path, np.ascontiguousarray(a, dtype="<f4"))


def gen_shards(out_dir, W):
    d = os.path.join(out_dir, "shards")
    os.makedirs(d, exist_ok=True)
    sets = []

    def emit(name, table, strategy, n):
        parts = [table[p::n] for p in range(n)] if strategy == "mod" else np.array_split(table, n)
        files = []
        for p, part in enumerate(parts):
            f = "%s-%s-%d-%d.npy" % (name, strategy, n, p)
            write_npy(os.path.join(d, f), part)
            files.append(f)
        sets.append({"table": name, "strategy": strategy, "shards": files, "rows": [int(x.shape[0]) for x in parts]})

    write_npy(os.path.join(d, "pooling.npy"), W)
    for strategy in ["mod", "div"]:
        for n in [1, 3, 4]:
            emit("pooling", W, strategy, n)
    doc = np.array([[i, -i] for i in range(13)], dtype=np.float32)
    write_npy(os.path.join(d, "doc13.npy"), doc)
    for strategy in ["mod", "div"]:
        emit("doc13", doc, strategy, 5)
    with open(os.path.join(d, "shards.json"), "w") as f:
        json.dump({"about": "numpy shards: mod = W[p::n], div = np.array_split(W, n); <table>.npy is the whole "
                            "table in global id order", "sets": sets}, f, indent=1)
        f.write("\n")


def dump(out_dir, name, obj):
    with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False)
        f.write("\n")


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    check_documented_examples()
    rng = np.random.default_rng(20261202)
    W, pooling = gen_pooling(rng)
    dump(out_dir, "torch-pooling.json", pooling)
    dump(out_dir, "torch-preset.json", gen_preset(rng))
    dump(out_dir, "keras-oov-buckets.json", gen_oov_buckets(rng))
    dump(out_dir, "keras-hashing.json", gen_hashing(rng))
    dump(out_dir, "farmhash-fingerprint64.json", gen_fingerprints())
    gen_shards(out_dir, W)


if __name__ == "__main__":
    main()
