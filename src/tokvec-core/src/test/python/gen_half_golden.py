#!/usr/bin/python3
"""Golden values for tokvec's float16 / bfloat16 conversions (io.tokvec.core.Half), computed with
numpy (float16) and torch (bfloat16), the libraries the training pipelines use.

Run with Debian's python (python3-numpy, python3-torch):
    /usr/bin/python3 src/tokvec-core/src/test/python/gen_half_golden.py src/tokvec-core/src/test/resources/half_golden

Writes gzip'ed raw little-endian arrays:
  half_to_float32.u32.gz      65,536 x u32: bits of np.arange(65536, dtype='<u2').view('<f2').astype('<f4')
  bfloat16_to_float32.u32.gz  65,536 x u32: bits of torch bfloat16 pattern i converted to float32
  float32_inputs.u32.gz       N x u32: float32 bit patterns (ties, neighbours of ties, subnormals,
                              underflow, overflow, inf, NaN payloads, random bits)
  float32_to_half.u16.gz      N x u16: bits of inputs.view('<f4').astype('<f2')            (numpy)
  float32_to_bfloat16.u16.gz  N x u16: bits of torch.from_numpy(inputs).to(torch.bfloat16) (torch;
                              NaN inputs are not compared: see Half's javadoc for NaN handling)
  table_f2.npy                a 7 x 5 float16 table as np.save writes it ('<f2')
  table_f2_as_f4.npy          the same table as numpy widens it: W.astype(np.float32)
  table_f2_as_f4.sha256       the commit checksum of that float32 table
"""
import gzip
import hashlib
import os
import sys

import numpy as np
import torch


def write(path, arr):
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(arr.tobytes())


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20260512)

    halves = np.arange(65536, dtype=np.uint32).astype("<u2")
    write(os.path.join(out, "half_to_float32.u32.gz"), halves.view("<f2").astype("<f4").view("<u4"))

    bf = torch.from_numpy(halves.view(np.int16).copy()).view(torch.bfloat16).to(torch.float32)
    write(os.path.join(out, "bfloat16_to_float32.u32.gz"), bf.numpy().astype("<f4").view("<u4"))

    groups = []
    # every half value as float32 (exact), positive and negative, NaN and inf included
    groups.append(halves.view("<f2").astype("<f4").view("<u4"))
    # float16 ties: the midpoint of each pair of neighbouring positive halves (up to inf) and the
    # float32 just below and above it (midpoints are exact in float32)
    lo = np.arange(0, 0x7C00, dtype=np.uint32).astype("<u2").view("<f2").astype(np.float64)
    hi = np.arange(1, 0x7C01, dtype=np.uint32).astype("<u2").view("<f2").astype(np.float64)
    hi[-1] = 65520.0 * 2 - 65504.0  # inf: the next "half" after 65504 would be 65536
    mid = ((lo + hi) / 2).astype("<f4").view("<u4")
    groups += [mid, mid - 1, mid + 1]
    # negatives of a sample of the ties
    pick = rng.choice(mid.size, 8192, replace=False)
    groups += [(mid[pick] | 0x80000000).astype("<u4"), ((mid[pick] + 1) | 0x80000000).astype("<u4")]
    # bfloat16 ties: random upper halves with lower halves 0x8000 (tie), 0x7fff, 0x8001
    top = (rng.integers(0, 1 << 16, 8192, dtype=np.uint32) << 16).astype("<u4")
    groups += [top | 0x8000, top | 0x7FFF, top | 0x8001]
    specials = [
        0x00000000, 0x80000000,  # +-0
        0x33000000, 0x33000001, 0x32FFFFFF, 0x32800000, 0xB3000000, 0xB3000001,  # around 2^-25 (half underflow)
        0x00000001, 0x007FFFFF, 0x00400000, 0x80000001, 0x807FFFFF,  # float32 subnormals
        0x387FC000, 0x387FE000, 0x387FF000, 0x38800000,  # around the smallest normal half
        0x477FE000, 0x477FEFFF, 0x477FF000, 0x477FF001, 0x47800000, 0xC77FF000,  # 65504 .. 65536 (overflow)
        0x7F7FFFFF, 0xFF7FFFFF, 0x7F7F8000, 0x7F7F7FFF, 0x7F7E8000,  # float32 max, bfloat16 overflow ties
        0x7F800000, 0xFF800000,  # inf
        0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001, 0x7F801FFF, 0x7F802000, 0x7FBFFFFF,
        0x7FFFFFFF, 0xFFFFFFFF, 0x7FC00001, 0x7FA00000, 0x7F810000, 0x7F800100,  # NaN payloads
    ]
    groups.append(np.array(specials, dtype="<u4"))
    # random bit patterns (every exponent, NaNs included)
    groups.append(rng.integers(0, 1 << 32, 32768, dtype=np.uint64).astype("<u4"))
    inputs = np.concatenate(groups).astype("<u4")

    with np.errstate(over="ignore", invalid="ignore"):
        to_half = inputs.view("<f4").astype("<f2").view("<u2")
    to_bf16 = torch.from_numpy(inputs.view("<f4").copy()).to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").view("<u2")

    write(os.path.join(out, "float32_inputs.u32.gz"), inputs)
    write(os.path.join(out, "float32_to_half.u16.gz"), to_half)
    write(os.path.join(out, "float32_to_bfloat16.u16.gz"), to_bf16)
    w = (rng.standard_normal((7, 5)) * 100).astype("<f2")
    np.save(os.path.join(out, "table_f2.npy"), w)
    np.save(os.path.join(out, "table_f2_as_f4.npy"), w.astype("<f4"))
    with open(os.path.join(out, "table_f2_as_f4.sha256"), "w") as f:
        f.write("sha256:" + hashlib.sha256(w.astype("<f4").tobytes()).hexdigest() + "\n")
    print(f"{inputs.size} float32 inputs, numpy {np.__version__}, torch {torch.__version__} -> {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "half_golden")
