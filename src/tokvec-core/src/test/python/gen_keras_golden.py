#!/usr/bin/python3
"""The Keras parity cases: pad_sequences followed by Embedding(mask_zero=True), computed with Keras'
own pad_sequences and a numpy gather (what Embedding does), with Debian's packages
(apt-get install -y python3-numpy python3-keras-preprocessing: numpy 1.24.2, keras_preprocessing 1.1.0).

Run from the repository root:

    /usr/bin/python3 src/tokvec-core/src/test/python/gen_keras_golden.py src/tokvec-core/src/test/resources/golden

writes keras-ids.json (events of token ids) and keras-strings.json (events of token strings, mapped
through the table's vocabulary as StringLookup(mask_token='') does: '' -> 0, a vocabulary token -> its
row, any other token -> the OOV row 1). Each file holds a table ('rows', 'dim', flat row-major
float32 'vectors', 'tokens': one per row, '' and '[UNK]' first) and 32 cases, one per combination of
max_len 1, 5, 16, 64, padding pre|post, truncating pre|post and pad_vector table|zeros, of 12 events
each, with what Keras computes for them:

* ids: pad_sequences(seqs, maxlen, padding, truncating, value=0) (Keras' defaults: pre, pre);
* mask: ids != 0, as Embedding(mask_zero=True) computes it (an id 0 inside an event is masked too);
* length: the number of event tokens kept; truncated: whether tokens were dropped;
* embeddings: W[ids] row-major [max_len, dim]; with pad_vector 'zeros' the rows of id 0 are zeros
  (PyTorch's padding_idx row) instead of the table's row 0, which is not zero.

    /usr/bin/python3 src/tokvec-core/src/test/python/gen_keras_golden.py --check DIR

recomputes the expected values of the cases in DIR/keras-ids.json and DIR/keras-strings.json (any
file of this layout, e.g. one made elsewhere) from their tables and events, and fails unless every
value is the same, float32 bits included.
"""
import json
import os
import sys

import numpy as np
from keras_preprocessing.sequence import pad_sequences

ABOUT = ("Keras pad_sequences(maxlen, padding, truncating, value=0) then Embedding(mask_zero=True) gather; "
         "'embeddings' is row-major [max_len, dim] float32; pad_vector 'table' keeps table row 0 at padded "
         "positions (Keras), 'zeros' writes zeros there")
MAX_LENS = [1, 5, 16, 64]
SIDES = ["pre", "post"]
PAD_VECTORS = ["table", "zeros"]
EVENTS_PER_CASE = 12


def floats(a):
    """float32 values as Python floats (doubles): printing and parsing back is exact."""
    return [float(x) for x in np.asarray(a, dtype=np.float32).reshape(-1)]


def lookup(vocab_index, tokens):
    """StringLookup(mask_token='') over the table's vocabulary: '' -> 0, known -> its row, else 1."""
    return [0 if t == "" else vocab_index.get(t, 1) for t in tokens]


def expected(W, vocab_index, options, events):
    """What Keras computes for the events: pad_sequences, then the mask and the numpy gather."""
    max_len = options["max_len"]
    seqs = [e["token_ids"] if e.get("token_ids") is not None else lookup(vocab_index, e["tokens"]) for e in events]
    padded = pad_sequences(seqs, maxlen=max_len, padding=options["padding"], truncating=options["truncating"],
                           value=0, dtype="int64")
    table = W.copy()
    if options["pad_vector"] == "zeros":
        table[0] = 0.0
    out = []
    for e, seq, row in zip(events, seqs, padded):
        out.append({"id": e["id"], "ids": [int(x) for x in row], "mask": [bool(x != 0) for x in row],
                    "length": min(len(seq), max_len), "truncated": len(seq) > max_len,
                    "embeddings": floats(table[row])})
    return out


def table(rng, rows, dim, prefix):
    W = rng.standard_normal((rows, dim)).astype(np.float32)
    tokens = ["", "[UNK]"] + ["%s%d" % (prefix, i) for i in range(2, rows)]
    return W, tokens


def id_events(rng, rows, max_len):
    events = []
    for k in range(EVENTS_PER_CASE):
        if k == 0:
            n = 0                        # an empty event: all padding, mask all false
        elif k == 1:
            n = max_len                  # exactly max_len: nothing padded, nothing dropped
        elif k == 2:
            n = max_len + 1              # one token too many
        else:
            n = int(rng.integers(0, 2 * max_len + 3))
        ids = [int(x) for x in rng.integers(1, rows, size=n)]
        ids = [0 if rng.random() < 0.08 else i for i in ids]  # id 0 inside an event is masked too
        if k == 3 and ids:
            ids[len(ids) // 2] = 0
        events.append({"id": "e%d" % k, "token_ids": ids})
    return events


def string_events(rng, tokens, max_len):
    unseen = ["never_seen_%d" % i for i in (3, 10, 17, 24, 31, 38)]
    events = []
    for k in range(EVENTS_PER_CASE):
        if k == 0:
            n = 0
        elif k == 1:
            n = max_len
        elif k == 2:
            n = max_len + 1
        else:
            n = int(rng.integers(0, 2 * max_len + 3))
        toks = []
        for _ in range(n):
            r = rng.random()
            if r < 0.05:
                toks.append("")           # the mask token: id 0
            elif r < 0.09:
                toks.append("[UNK]")      # the OOV token itself: its row, 1
            elif r < 0.25:
                toks.append(unseen[int(rng.integers(0, len(unseen)))])  # out of vocabulary: 1
            else:
                toks.append(tokens[int(rng.integers(2, len(tokens)))])
        events.append({"id": "e%d" % k, "tokens": toks})
    return events


def golden(rng, rows, dim, prefix, events_of):
    W, tokens = table(rng, rows, dim, prefix)
    index = {t: i for i, t in enumerate(tokens)}
    cases = []
    for max_len in MAX_LENS:
        for padding in SIDES:
            for truncating in SIDES:
                for pad_vector in PAD_VECTORS:
                    options = {"max_len": max_len, "padding": padding, "truncating": truncating,
                               "pad_vector": pad_vector}
                    events = events_of(rng, tokens, max_len)
                    cases.append({"name": "max%d-%s-%s-pad%s" % (max_len, padding, truncating, pad_vector),
                                  "options": options, "events": events,
                                  "expected": expected(W, index, options, events)})
    return {"about": ABOUT, "table": {"rows": rows, "dim": dim, "vectors": floats(W), "tokens": tokens},
            "cases": cases}


def bits(values):
    return np.asarray(values, dtype=np.float32).view(np.uint32).tolist()


def check(path):
    """Recomputes every expected value of a golden file from its table and events; returns the case count."""
    with open(path) as f:
        g = json.load(f)
    t = g["table"]
    W = np.asarray(t["vectors"], dtype=np.float32).reshape(t["rows"], t["dim"])
    index = {tok: i for i, tok in enumerate(t.get("tokens") or [])}
    for c in g["cases"]:
        for got, want in zip(expected(W, index, c["options"], c["events"]), c["expected"]):
            for field in ("id", "ids", "mask", "length", "truncated"):
                if got[field] != want[field]:
                    sys.exit("%s %s %s: %s %r, expected %r" % (path, c["name"], want["id"], field, got[field], want[field]))
            if bits(got["embeddings"]) != bits(want["embeddings"]):
                sys.exit("%s %s %s: embeddings differ" % (path, c["name"], want["id"]))
        if len(c["expected"]) != len(c["events"]):
            sys.exit("%s %s: %d expected for %d events" % (path, c["name"], len(c["expected"]), len(c["events"])))
    return len(g["cases"])


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        for name in ("keras-ids.json", "keras-strings.json"):
            n = check(os.path.join(argv[2], name))
            print("%s: %d cases, every value reproduced" % (os.path.join(argv[2], name), n))
        return
    if len(argv) != 2:
        sys.exit(__doc__)
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    ids = golden(np.random.default_rng(20), 50, 8, "w", lambda rng, tokens, m: id_events(rng, len(tokens), m))
    strings = golden(np.random.default_rng(21), 40, 6, "t", string_events)
    for name, g in (("keras-ids.json", ids), ("keras-strings.json", strings)):
        with open(os.path.join(out, name), "w") as f:
            json.dump(g, f)
        print("%s: %d cases" % (os.path.join(out, name), len(g["cases"])))


if __name__ == "__main__":
    main(sys.argv)
