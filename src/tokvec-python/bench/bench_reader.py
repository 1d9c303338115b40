"""How fast EnrichedReader decodes enriched records, against the avro package's generic reader.

    /usr/bin/python3 src/tokvec-python/bench/bench_reader.py [--records 4000] [--max-len 128] [--dim 128]

Records are written with the avro package under the EnrichedEvent schema as the application
registers it, framed in the Confluent wire format, and decoded in memory (no broker: the fetch is the
same for every decoder) in batches of 256:

- ``tokvec``: EnrichedReader's decoder (a reader compiled for the writer schema) into a Batch;
- ``tokvec, generic``: the same with ``compiled=False`` (the avro package's reader, then a Batch);
- ``avro``: the avro package's ``DatumReader`` per record, then numpy arrays as a user would build
  them (``np.array`` of ids and mask, ``np.frombuffer`` of the embeddings), stacked per batch;
- ``avro, decode only``: the ``DatumReader`` alone.

Prints records per second of CPU time (the process's, best of ``--repeat`` runs: steadier than wall
time on a shared machine) and tokvec's speed-up over each.
"""

import argparse
import io
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import avro.io  # noqa: E402
import avro.schema  # noqa: E402

from tokvec._schemas import schema_text  # noqa: E402
from tokvec.readers import EnrichedDecoder  # noqa: E402


class Message:
    """What the decoder reads of a confluent_kafka Message."""

    def __init__(self, value, offset):
        self._value, self._offset = value, offset

    def value(self):
        return self._value

    def topic(self):
        return "bench"

    def partition(self):
        return 0

    def offset(self):
        return self._offset


def records(n, max_len, dim, rows=400_000, seed=0):
    rng = np.random.default_rng(seed)
    schema = avro.schema.parse(schema_text("EnrichedEvent"))
    writer = avro.io.DatumWriter(schema)
    table = rng.standard_normal((1000, dim)).astype("<f4")
    out = []
    for i in range(n):
        length = int(rng.integers(1, max_len + 1))
        ids = np.zeros(max_len, np.int32)
        ids[max_len - length:] = rng.integers(1, rows, length)
        buf = io.BytesIO()
        buf.write(b"\x00\x00\x00\x00\x01")
        writer.write({"id": f"event-{i}", "table": "glove", "table_version": 3, "ids": ids.tolist(),
                      "mask": (ids != 0).tolist(), "length": length, "truncated": False, "dim": dim,
                      "embeddings": table[ids % 1000].tobytes(), "timestamp_ms": 1700000000000 + i,
                      "metadata": {}, "pooled": None, "dtype": "float32"}, avro.io.BinaryEncoder(buf))
        out.append(Message(buf.getvalue(), i))
    return out


def decode_tokvec(msgs, batch, compiled):
    decoder = EnrichedDecoder(lambda sid: schema_text("EnrichedEvent"), "bench", compiled=compiled)
    out = []
    for start in range(0, len(msgs), batch):
        chunk = msgs[start:start + batch]
        while chunk:
            b, used = decoder.take_batch(chunk)
            out.append(b)
            chunk = chunk[used:]
    return out


def decode_avro(msgs, batch, arrays=True):
    reader = avro.io.DatumReader(avro.schema.parse(schema_text("EnrichedEvent")))
    out = []
    for start in range(0, len(msgs), batch):
        recs = [reader.read(avro.io.BinaryDecoder(io.BytesIO(m.value()[5:]))) for m in msgs[start:start + batch]]
        if arrays:
            out.append((np.array([r["ids"] for r in recs], np.int32), np.array([r["mask"] for r in recs], np.bool_),
                        np.stack([np.frombuffer(r["embeddings"], "<f4").reshape(len(r["ids"]), r["dim"])
                                  for r in recs])))
    return out


def best(fn, repeat):
    """The least CPU time of this process over ``repeat`` runs (steadier than wall time on a shared machine)."""
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        result = fn()
        times.append(time.process_time() - t0)
    return min(times), result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=4000)
    p.add_argument("--max-len", type=int, default=128)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args(argv)
    msgs = records(a.records, a.max_len, a.dim)
    runs = {
        "tokvec": lambda: decode_tokvec(msgs, a.batch, True),
        "tokvec, generic": lambda: decode_tokvec(msgs, a.batch, False),
        "avro": lambda: decode_avro(msgs, a.batch),
        "avro, decode only": lambda: decode_avro(msgs, a.batch, arrays=False),
    }
    results = {name: best(fn, a.repeat) for name, fn in runs.items()}
    ours = np.concatenate([b.embeddings for b in results["tokvec"][1]])
    theirs = np.concatenate([e for _, _, e in results["avro"][1]])
    assert np.array_equal(ours, theirs) and np.array_equal(
        np.concatenate([b.ids for b in results["tokvec"][1]]), np.concatenate([i for i, _, _ in results["avro"][1]]))
    print(f"{a.records} records, max_len {a.max_len}, dim {a.dim}, batches of {a.batch}, CPU time, best of {a.repeat}:")
    t_ours = results["tokvec"][0]
    for name, (t, _) in results.items():
        speedup = "" if name == "tokvec" else f"  (tokvec {t / t_ours:.1f}x as fast)"
        print(f"  {name:20s} {a.records / t:10.0f} records/s  {t * 1e6 / a.records:8.1f} us/record{speedup}")
    return results


if __name__ == "__main__":
    main()
