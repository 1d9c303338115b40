#!/usr/bin/python3
"""Golden delta versions for tokvec (src/site/markdown/model-topic.md, "Delta versions"), computed
with numpy and hashlib exactly as that page tells a trainer to:

    /usr/bin/python3 src/tokvec-core/src/test/python/gen_delta_golden.py \
        src/tokvec-core/src/test/resources/delta/delta_golden.json

A full version v1 (a vocabulary of 7 tokens, 7 x 4 float32) and a chain over it:
  v2 over v1: replaces rows 5, 1, 3 (ids in that order) and appends rows 7, 8 with tokens 'kafka', 'streams';
  v3 over v2: replaces rows 7 and 0, appends row 9 with token 'delta';
  v4 over v2 (a branch: another delta of v2): replaces row 2 only.
For each: the ids and rows as published (the caller's order), the tokens, delta_checksum,
tokens_checksum, content_id, and W (the whole version, numpy: W_N = W_B with rows replaced and
appended), all float32 values written as uint32 bit patterns.
"""
import hashlib
import json
import os
import sys

import numpy as np


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def full_content_id(checksum, vocab_checksum):
    return sha(("tokvec-content-v1\nfull\n" + checksum + "\n" + (vocab_checksum or "") + "\n").encode("utf-8"))


def delta_records(W_base, base_content_id, ids, rows, tokens):
    """What a trainer computes for a delta: checksums in ascending id order, and the new table."""
    ids = np.asarray(ids, dtype="<i4")
    rows = np.asarray(rows, dtype="<f4")
    order = np.argsort(ids, kind="stable")
    k, dim = rows.shape
    rec = np.empty(k, dtype=[("id", "<i4"), ("row", "<f4", (dim,))])
    rec["id"] = ids[order]
    rec["row"] = rows[order]
    delta_checksum = sha(rec.tobytes())
    tokens_checksum = sha("".join(t + "\n" for t in tokens).encode("utf-8")) if tokens else None
    base_rows = W_base.shape[0]
    new_rows = base_rows + int((ids >= base_rows).sum())
    content_id = sha(("tokvec-content-v1\ndelta\n" + base_content_id + "\n" + str(new_rows) + "\n" + str(dim) + "\n"
                      + delta_checksum + "\n" + (tokens_checksum or "") + "\n").encode("utf-8"))
    W = np.zeros((new_rows, dim), dtype="<f4")
    W[:base_rows] = W_base
    W[ids] = rows
    return delta_checksum, tokens_checksum, content_id, W


def bits(a):
    return np.ascontiguousarray(a, dtype="<f4").view("<u4").ravel().tolist()


def main(out):
    rng = np.random.default_rng(20260601)
    dim = 4
    vocab1 = ["", "[UNK]", "the", "national", "day", "of", "jazz"]
    W1 = rng.standard_normal((len(vocab1), dim)).astype("<f4")
    checksum1 = sha(W1.tobytes())
    vocab_checksum1 = sha("".join(t + "\n" for t in vocab1).encode("utf-8"))
    cid1 = full_content_id(checksum1, vocab_checksum1)
    versions = [{"version": 1, "rows": len(vocab1), "dim": dim, "tokens": vocab1, "checksum": checksum1,
                 "vocab_checksum": vocab_checksum1, "content_id": cid1, "W": bits(W1)}]

    def delta(version, base, W_base, cid_base, ids, tokens, vocab_base):
        rows = rng.standard_normal((len(ids), dim)).astype("<f4")
        dsum, tsum, cid, W = delta_records(W_base, cid_base, ids, rows, tokens)
        versions.append({"version": version, "base": base, "base_rows": W_base.shape[0], "rows": W.shape[0], "dim": dim,
                         "ids": [int(i) for i in ids], "rows_data": bits(rows), "appended_tokens": tokens,
                         "delta_checksum": dsum, "tokens_checksum": tsum, "content_id": cid, "W": bits(W),
                         "vocab": vocab_base + tokens})
        return W, cid, vocab_base + tokens

    W2, cid2, vocab2 = delta(2, 1, W1, cid1, [5, 1, 8, 3, 7], ["kafka", "streams"], vocab1)
    delta(3, 2, W2, cid2, [7, 9, 0], ["delta"], vocab2)
    delta(4, 2, W2, cid2, [2], [], vocab2)

    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"versions": versions}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
