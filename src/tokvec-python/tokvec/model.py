"""The model-topic protocol (``src/site/markdown/model-topic.md``), as the Java side speaks it.

A table version is a run of chunk records (whole rows, little-endian float32, each payload within a
byte budget so that every record fits Kafka's default 1 MiB limit), then one commit record naming the
row count, dimension, chunk count and the SHA-256 checksums of the rows and of the vocabulary,
optionally signed with Ed25519. Keys are ``<table>/<version>/chunk/<index>``,
``<table>/<version>/commit`` and ``<table>/activate``.

Everything here is byte for byte what ``io.tokvec.model.ModelChunker``, ``ModelKey``,
``TableChecksum`` and ``CommitSignature`` produce for the same input; ``tests/test_java_parity.py``
publishes the same tables both ways and compares the records.
"""

import hashlib

import numpy as np

from ._avro import bytes_header, long_bytes, string_bytes

__all__ = [
    "DEFAULT_CHUNK_BYTES", "SIGNED_TEXT_TAG", "chunk_key", "commit_key", "activate_key", "parse_key",
    "check_table_name", "check_vocabulary", "vocabulary_checksum", "chunk_ranges", "signed_text", "TablePlan",
]

#: Default payload budget of one chunk (rows plus tokens); leaves room for framing under 1 MiB.
DEFAULT_CHUNK_BYTES = 900 * 1024
#: First line of the text a commit signature covers.
SIGNED_TEXT_TAG = "tokvec-table-commit-v1"
CHECKSUM_PREFIX = "sha256:"

# union branches of ModelRecord.body
_CHUNK, _COMMIT, _ACTIVATE = 0, 1, 2


# ---------------------------------------------------------------------------------------------
# keys

def check_table_name(table):
    if not isinstance(table, str) or not table or "/" in table:
        raise ValueError(f"table name must be a non-empty string without '/': {table!r}")
    return table


def chunk_key(table, version, index):
    return f"{table}/{version}/chunk/{index}"


def commit_key(table, version):
    return f"{table}/{version}/commit"


def activate_key(table):
    return f"{table}/activate"


def parse_key(key):
    """``(kind, table, version, index)`` of a model-topic key (kind ``chunk``, ``commit`` or ``activate``), or None."""
    if isinstance(key, (bytes, bytearray)):
        try:
            key = key.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not key:
        return None
    p = key.split("/")
    try:
        if len(p) == 2 and p[1] == "activate" and p[0]:
            return "activate", p[0], -1, -1
        if len(p) == 3 and p[2] == "commit" and p[0]:
            v = _positive(p[1])
            return "commit", p[0], v, -1
        if len(p) == 4 and p[2] == "chunk" and p[0]:
            v, i = _positive(p[1]), _decimal(p[3])
            return "chunk", p[0], v, i
    except ValueError:
        pass
    return None


def _decimal(s):
    # Java's Long.parseLong: an optional sign and ASCII digits only
    body = s[1:] if s[:1] in ("+", "-") else s
    if not body or not all("0" <= c <= "9" for c in body):
        raise ValueError(s)
    v = int(s)
    if v < 0 or v > 2**63 - 1:
        raise ValueError(s)
    return v


def _positive(s):
    v = _decimal(s)
    if v < 1:
        raise ValueError(s)
    return v


# ---------------------------------------------------------------------------------------------
# vocabulary

def check_vocabulary(tokens, rows):
    """Refuses what the application refuses: a length other than ``rows``, a non-string, ``''`` anywhere
    but row 0, a token twice (except further copies of row 1's OOV token right after it, which are
    more OOV rows), a line break (vocabulary files are one token per line)."""
    if len(tokens) != rows:
        raise ValueError(f"vocabulary has {len(tokens)} tokens but the table has {rows} rows; token i must name row i")
    seen = {}
    oov = tokens[1] if rows > 1 else None
    oov_run = True
    for i, t in enumerate(tokens):
        if not isinstance(t, str):
            raise ValueError(f"vocabulary entry {i} is not a string: {t!r}")
        if t == "" and i != 0:
            raise ValueError(f"vocabulary entry {i} is the empty token, which only row 0 (padding) may be")
        if "\n" in t or "\r" in t:
            raise ValueError(f"vocabulary entry {i} holds a line break: {t!r}")
        if i >= 2:
            if oov_run and t == oov:
                continue
            oov_run = False
        prev = seen.setdefault(t, i)
        if prev != i:
            raise ValueError(f"vocabulary token {t!r} appears twice (rows {prev} and {i})")
        try:
            t.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ValueError(f"vocabulary entry {i} is not valid Unicode text: {e}") from None


def vocabulary_checksum(tokens):
    """``'sha256:' + sha256(token_0 + '\\n' + token_1 + '\\n' + ...)``, tokens UTF-8 encoded."""
    md = hashlib.sha256()
    for t in tokens:
        md.update(t.encode("utf-8"))
        md.update(b"\n")
    return CHECKSUM_PREFIX + md.hexdigest()


# ---------------------------------------------------------------------------------------------
# chunks

def chunk_ranges(rows, dim, vocab_utf8_lengths, chunk_bytes):
    """``[(first_row, row_count), ...]`` as ``ModelChunker`` cuts them: whole rows, each chunk's
    ``row_count * dim * 4`` bytes plus ``5 + len(token)`` per token within ``chunk_bytes``."""
    row_bytes = dim * 4
    if vocab_utf8_lengths is None:
        if row_bytes > chunk_bytes:
            raise ValueError(f"row 0 needs {row_bytes} bytes, over the chunk budget of {chunk_bytes} bytes "
                             f"(dim {dim} is too large for one record)")
        per = chunk_bytes // row_bytes
        return [(s, min(per, rows - s)) for s in range(0, rows, per)] or [(0, 0)]
    cost = np.asarray(vocab_utf8_lengths, dtype=np.int64) + (row_bytes + 5)
    over = np.flatnonzero(cost > chunk_bytes)
    if over.size:
        r = int(over[0])
        raise ValueError(f"row {r} needs {int(cost[r])} bytes, over the chunk budget of {chunk_bytes} bytes "
                         f"(dim {dim} is too large for one record)")
    ends = np.cumsum(cost)  # ends[i]: bytes of rows 0..i
    ranges = []
    start = 0
    before = 0
    while start < rows:
        stop = int(np.searchsorted(ends, before + chunk_bytes, side="right"))
        ranges.append((start, stop - start))
        before = int(ends[stop - 1])
        start = stop
    return ranges or [(0, 0)]


def _tokens_bytes(tokens, md):
    """The Avro ``["null", array<string>]`` value of a chunk's tokens (branch 1), adding them to ``md``."""
    if tokens is None:
        return b"\x00"
    enc = [t.encode("utf-8") for t in tokens]
    for e in enc:
        md.update(e)
        md.update(b"\n")
    if not enc:
        return b"\x02\x00"
    parts = [b"\x02", long_bytes(len(enc))]
    small = _SMALL_LENGTHS
    for e in enc:
        n = len(e)
        parts.append(small[n] if n < len(small) else long_bytes(n))
        parts.append(e)
    parts.append(b"\x00")
    return b"".join(parts)


_SMALL_LENGTHS = [long_bytes(n) for n in range(1024)]


def signed_text(table, version, rows, dim, chunks, checksum, vocab_checksum):
    """The UTF-8 bytes an Ed25519 commit signature covers (``CommitSignature.signedBytes``)."""
    for field, value in (("table", table), ("checksum", checksum), ("vocab_checksum", vocab_checksum or "")):
        if "\n" in value or "\r" in value:
            raise ValueError(f"{field} holds a line break and cannot be signed")
    return (f"{SIGNED_TEXT_TAG}\ntable={table}\nversion={version}\nrows={rows}\ndim={dim}\nchunks={chunks}\n"
            f"checksum={checksum}\nvocab_checksum={vocab_checksum or ''}\n").encode("utf-8")


def _metadata_bytes(metadata):
    if not metadata:
        return b"\x00"
    parts = [long_bytes(len(metadata))]
    for k, v in metadata.items():
        parts.append(string_bytes(str(k)))
        parts.append(string_bytes(str(v)))
    parts.append(b"\x00")
    return b"".join(parts)


def _optional(value, encode):
    return b"\x00" if value is None else b"\x02" + encode(value)


def record_prefix(table, version, branch):
    """``ModelRecord``'s ``table``, ``version`` and the union branch of ``body``."""
    return string_bytes(table) + long_bytes(version) + long_bytes(branch)


def commit_body(rows, dim, chunks, checksum, vocab_checksum, created_ms, metadata, signature=None, key_id=None):
    """Avro binary of a ``TableCommit``."""
    return b"".join((
        long_bytes(rows), long_bytes(dim), long_bytes(chunks), string_bytes(checksum),
        _optional(vocab_checksum, string_bytes), long_bytes(created_ms), _metadata_bytes(metadata),
        _optional(signature, lambda s: bytes_header(len(s)) + bytes(s)), _optional(key_id, string_bytes),
    ))


def activate_value(table, version, reason):
    """Avro binary of the ``ModelRecord`` of an activate record."""
    return record_prefix(table, version, _ACTIVATE) + _optional(reason, string_bytes)


class TablePlan:
    """One version of a whole table cut into chunks, as ``ModelChunker`` does: chunks are built one
    at a time from ``weights`` (converted to little-endian float32 block by block, never as a whole)
    and the row checksum is computed on the way, so the commit needs no second pass.

    ``weights``: a 2-D array of float32 or float16 (any byte order), or anything whose row slices
    ``np.asarray`` turns into one (a ``np.memmap``, a CPU ``torch.Tensor`` without grad).
    """

    def __init__(self, table, version, weights, vocab=None, chunk_bytes=DEFAULT_CHUNK_BYTES, allow_nonfinite=False):
        self.table = check_table_name(table)
        if not isinstance(version, (int, np.integer)) or isinstance(version, bool) or version < 1:
            raise ValueError(f"version must be an integer >= 1, got {version!r}")
        self.version = int(version)
        shape = tuple(weights.shape)
        if len(shape) != 2:
            raise ValueError(f"weights must be 2-D [rows, dim], got shape {shape}")
        self.rows, self.dim = int(shape[0]), int(shape[1])
        if self.rows < 1:
            raise ValueError("a table needs at least one row (row 0 is padding), got 0")
        if self.dim < 1:
            raise ValueError(f"dim must be >= 1, got {self.dim}")
        if self.rows > 2**31 - 1:
            raise ValueError(f"{self.rows} rows: tokvec tables have fewer than 2^31 rows")
        self._weights = weights
        dtype = np.asarray(weights[0:1]).dtype
        if dtype.kind != "f" or dtype.itemsize not in (2, 4):
            raise ValueError(f"weights must be float32 or float16, got {dtype} (convert explicitly, e.g. "
                             "weights.astype(np.float32), so that rounding is your choice)")
        self.vocab = None
        lengths = None
        if vocab is not None:
            vocab = list(vocab)
            check_vocabulary(vocab, self.rows)
            self.vocab = vocab
            lengths = [len(t.encode("utf-8")) for t in vocab]
        self.ranges = chunk_ranges(self.rows, self.dim, lengths, chunk_bytes)
        if not allow_nonfinite:
            self._check_finite()
        self._digest = hashlib.sha256()
        self._vocab_digest = hashlib.sha256() if vocab is not None else None
        self._digested = 0
        self.data_bytes = 0

    @property
    def chunk_count(self):
        return len(self.ranges)

    def _block(self, start, count):
        return np.ascontiguousarray(np.asarray(self._weights[start:start + count]), dtype="<f4")

    def _check_finite(self):
        step = max(1, (1 << 22) // (self.dim * 4))
        for start in range(0, self.rows, step):
            block = np.asarray(self._weights[start:start + step])
            ok = np.isfinite(block)
            if not ok.all():
                r, c = np.argwhere(~ok)[0]
                raise ValueError(f"row {start + int(r)}, column {int(c)}: value {block[r, c]} is not a finite "
                                 f"float{block.dtype.itemsize * 8} (pass allow_nonfinite=True to publish it)")

    def chunks(self, header=b""):
        """``(key, value, row_count)`` of every chunk, in index order; each value starts with ``header``
        (the wire-format header), so that a chunk is assembled in one copy."""
        prefix = header + record_prefix(self.table, self.version, _CHUNK)
        for index, (start, count) in enumerate(self.ranges):
            data = self._block(start, count)
            view = memoryview(data).cast("B")
            self._digest.update(view)
            self.data_bytes += view.nbytes
            tokens = None if self.vocab is None else self.vocab[start:start + count]
            body = b"".join((
                prefix, long_bytes(index), long_bytes(start), long_bytes(count), long_bytes(self.dim),
                bytes_header(view.nbytes), view,
                _tokens_bytes(tokens, self._vocab_digest) if tokens is not None else b"\x00",
            ))
            self._digested = index + 1
            yield chunk_key(self.table, self.version, index), body, count

    def checksum(self):
        if self._digested != len(self.ranges):
            raise RuntimeError("the commit checksum is known once every chunk was built")
        return CHECKSUM_PREFIX + self._digest.hexdigest()

    def vocab_checksum(self):
        return None if self._vocab_digest is None else CHECKSUM_PREFIX + self._vocab_digest.hexdigest()

    def commit(self, created_ms, metadata, signer=None):
        """``(key, value without the wire header)`` of the commit; signed when ``signer`` is given."""
        checksum, vocab_sum = self.checksum(), self.vocab_checksum()
        signature = key_id = None
        if signer is not None:
            signature = signer.sign(signed_text(self.table, self.version, self.rows, self.dim, self.chunk_count,
                                                checksum, vocab_sum))
            key_id = signer.key_id
        body = commit_body(self.rows, self.dim, self.chunk_count, checksum, vocab_sum, created_ms, metadata,
                           signature, key_id)
        return commit_key(self.table, self.version), record_prefix(self.table, self.version, _COMMIT) + body
