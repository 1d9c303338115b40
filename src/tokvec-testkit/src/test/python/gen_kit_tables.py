"""Writes the tables TokvecTestKitTest publishes, with numpy: a float32 and a float16 .npy file with
their vocabulary, a GloVe text file, and kit-tables.json with the rows each file holds (as numpy reads
them back, float32 values widened from float16 where the file is float16), which the test expects the
enriched records to carry.

    /usr/bin/python3 src/tokvec-testkit/src/test/python/gen_kit_tables.py
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "kit")

rng = np.random.default_rng(23)
vocab = ["", "[UNK]", "hello", "world", "kafka", "streams"]
f32 = rng.standard_normal((len(vocab), 4)).astype(np.float32)
f16 = f32.astype(np.float16)
np.save(os.path.join(OUT, "table-f4.npy"), f32)
np.save(os.path.join(OUT, "table-f2.npy"), f16)
with open(os.path.join(OUT, "vocab.txt"), "w", encoding="utf-8") as f:
    f.write("".join(t + "\n" for t in vocab))

glove_words = ["the", "national", "day"]
glove = rng.standard_normal((len(glove_words), 3)).astype(np.float32)
with open(os.path.join(OUT, "glove.txt"), "w", encoding="utf-8") as f:
    for w, row in zip(glove_words, glove):
        f.write(w + " " + " ".join(repr(float(v)) for v in row) + "\n")

expected = {
    "vocabulary": vocab,
    "f4": [[float(v) for v in row] for row in np.load(os.path.join(OUT, "table-f4.npy"))],
    "f2": [[float(v) for v in row] for row in np.load(os.path.join(OUT, "table-f2.npy")).astype(np.float32)],
    "glove_words": glove_words,
    # what the GloVe file's text parses to as float32 (the values were written with repr of the doubles)
    "glove": [[float(np.float32(v)) for v in row] for row in glove],
}
with open(os.path.join(OUT, "kit-tables.json"), "w", encoding="utf-8") as f:
    json.dump(expected, f, indent=1)
