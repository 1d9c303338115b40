#!/usr/bin/env python3
"""The numpy reference for tokvec's `bench` core row: per-event embedding gather.

Same workload shape as the Java bench (not the same random numbers): a rows x dim float32 table of
gaussians, events of uniform length in [1, max_event_len] with ids uniform in [2, rows), padded and
truncated as Keras pad_sequences(padding='pre', truncating='pre') does. Padding is done up front
(untimed); the timed loop is exactly the per-event gather a Python consumer would run:
W[ids].tobytes() (the same little-endian float32 [max_len, dim] bytes tokvec emits).

Prints one line: numpy_gather events_per_s=<x> cpu_events_per_s=<c> mb_per_s=<y> numpy=<version>
(events per wall-clock second, per CPU second of this process, MB of embeddings per wall second).
"""
import argparse
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--max-event-len", type=int, default=256)
    ap.add_argument("--events", type=int, default=10_000, help="distinct events, cycled")
    ap.add_argument("--warmup", type=float, default=1.0, help="seconds")
    ap.add_argument("--seconds", type=float, default=4.0, help="timed seconds")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()

    rng = np.random.default_rng(a.seed)
    W = rng.standard_normal((a.rows, a.dim), dtype=np.float32)
    lengths = rng.integers(1, a.max_event_len + 1, size=a.events)
    padded = []
    for n in lengths:
        ids = rng.integers(2, a.rows, size=n, dtype=np.int64)[-a.max_len:]  # truncating='pre'
        p = np.zeros(a.max_len, dtype=np.int64)
        p[a.max_len - len(ids):] = ids  # padding='pre'
        padded.append(p)

    # Bound each pass: with many events, check the clock per block of 1000.
    if len(padded) > 1000:
        blocks = [padded[i:i + 1000] for i in range(0, len(padded), 1000)]
    else:
        blocks = [padded]

    def run_blocks(seconds):
        done = 0
        sink = 0
        t0 = time.perf_counter()
        c0 = time.process_time()
        deadline = t0 + seconds
        i = 0
        while True:
            for ids in blocks[i % len(blocks)]:
                b = W[ids].tobytes()
                sink += len(b)
            done += len(blocks[i % len(blocks)])
            i += 1
            now = time.perf_counter()
            if now >= deadline:
                return done, now - t0, time.process_time() - c0, sink

    run_blocks(a.warmup)
    done, secs, cpu, _ = run_blocks(a.seconds)
    eps = done / secs
    print("numpy_gather events_per_s=%.0f cpu_events_per_s=%.0f mb_per_s=%.1f numpy=%s" % (
        eps, done / cpu, eps * a.max_len * a.dim * 4 / 1e6, np.__version__), flush=True)


if __name__ == "__main__":
    main()
