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
    "DELTA_SIGNED_TEXT_TAG", "delta_chunk_key", "delta_commit_key", "full_content_id", "delta_content_id",
    "delta_signed_text", "Base", "DeltaPlan", "changed_rows",
]

#: Default payload budget of one chunk (rows plus tokens); leaves room for framing under 1 MiB.
DEFAULT_CHUNK_BYTES = 900 * 1024
#: First line of the text a commit signature covers.
SIGNED_TEXT_TAG = "tokvec-table-commit-v1"
#: First line of the text a delta commit signature covers.
DELTA_SIGNED_TEXT_TAG = "tokvec-table-delta-v1"
#: First line of the text a content id hashes.
CONTENT_ID_TAG = "tokvec-content-v1"
CHECKSUM_PREFIX = "sha256:"

# union branches of ModelRecord.body
_CHUNK, _COMMIT, _ACTIVATE, _DELTA_CHUNK, _DELTA_COMMIT = 0, 1, 2, 3, 4


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


def delta_chunk_key(table, version, index):
    return f"{table}/{version}/delta/{index}"


def delta_commit_key(table, version):
    return f"{table}/{version}/delta-commit"


def parse_key(key):
    """``(kind, table, version, index)`` of a model-topic key (kind ``chunk``, ``commit``, ``delta``,
    ``delta-commit`` or ``activate``), or None."""
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
        if len(p) == 3 and p[2] in ("commit", "delta-commit") and p[0]:
            v = _positive(p[1])
            return p[2], p[0], v, -1
        if len(p) == 4 and p[2] in ("chunk", "delta") and p[0]:
            v, i = _positive(p[1]), _decimal(p[3])
            if i > 2**31 - 1:  # Java's Integer.parseInt
                return None
            return p[2], p[0], v, i
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


# ---------------------------------------------------------------------------------------------
# delta versions (model-topic.md, "Delta versions"): ContentIds, DeltaChunker, CommitSignature's delta text

def full_content_id(checksum, vocab_checksum):
    """The content id of a full version: ``sha256`` of ``"tokvec-content-v1\\nfull\\n" + checksum + "\\n"
    + (vocab_checksum or "") + "\\n"`` (checksums in lower case)."""
    text = f"{CONTENT_ID_TAG}\nfull\n{checksum.lower()}\n{(vocab_checksum or '').lower()}\n"
    return CHECKSUM_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def delta_content_id(base_content_id, rows, dim, delta_checksum, tokens_checksum):
    """The content id of a delta version, chained from its base's content id."""
    text = (f"{CONTENT_ID_TAG}\ndelta\n{base_content_id.lower()}\n{rows}\n{dim}\n{delta_checksum.lower()}\n"
            f"{(tokens_checksum or '').lower()}\n")
    return CHECKSUM_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def delta_signed_text(table, version, base_version, base_rows, rows, dim, delta_rows, chunks, delta_checksum,
                      tokens_checksum, content_id):
    """The UTF-8 bytes an Ed25519 signature of a delta commit covers (twelve lines)."""
    for field, value in (("table", table), ("delta_checksum", delta_checksum),
                         ("tokens_checksum", tokens_checksum or ""), ("content_id", content_id)):
        if "\n" in value or "\r" in value:
            raise ValueError(f"{field} holds a line break and cannot be signed")
    return (f"{DELTA_SIGNED_TEXT_TAG}\ntable={table}\nversion={version}\nbase_version={base_version}\n"
            f"base_rows={base_rows}\nrows={rows}\ndim={dim}\ndelta_rows={delta_rows}\nchunks={chunks}\n"
            f"delta_checksum={delta_checksum}\ntokens_checksum={tokens_checksum or ''}\ncontent_id={content_id}\n"
            ).encode("utf-8")


class Base:
    """What a delta applies to, as the model topic holds it: the base's version, row count, dim,
    content id and whether it has a vocabulary (a delta has its base's)."""

    __slots__ = ("version", "rows", "dim", "content_id", "vocabulary")

    def __init__(self, version, rows, dim, content_id, vocabulary):
        self.version, self.rows, self.dim = int(version), int(rows), int(dim)
        self.content_id, self.vocabulary = content_id, bool(vocabulary)

    def __repr__(self):
        return (f"Base(v{self.version}, {self.rows} x {self.dim}, {self.content_id}"
                f"{', with a vocabulary' if self.vocabulary else ''})")


def _as_rows(rows):
    """A 2-D float32/float16 array view of ``rows`` (numpy, a memmap, or a CPU tensor without grad)."""
    arr = rows if isinstance(rows, np.ndarray) else np.asarray(rows)
    if arr.ndim != 2:
        raise ValueError(f"rows must be 2-D [k, dim], got shape {arr.shape}")
    if arr.dtype.kind != "f" or arr.dtype.itemsize not in (2, 4):
        raise ValueError(f"rows must be float32 or float16, got {arr.dtype} (convert explicitly, e.g. "
                         "rows.astype(np.float32), so that rounding is your choice)")
    return arr


def _as_ids(ids):
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"ids must be 1-D, got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"ids must be integers, got {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and (arr.max() > 2**31 - 1):
        raise ValueError(f"row id {int(arr.max())} is beyond the int32 ids of tokvec tables")
    return arr


def changed_rows(old, new):
    """The ids (ascending int32) of the rows of ``new`` that differ from ``old`` bit for bit (as
    float32, which float16 widens to exactly), then of the rows ``new`` appends; as ``tokvec publish
    --diff-from`` finds them. Both ``[rows, dim]`` float32 or float16 (numpy, memmaps); read a block
    of rows at a time."""
    old, new = _as_rows(old), _as_rows(new)
    if old.shape[1] != new.shape[1] or new.shape[0] < old.shape[0]:
        raise ValueError(f"the new table ({new.shape[0]} x {new.shape[1]}) is not the old one "
                         f"({old.shape[0]} x {old.shape[1]}) with rows changed or appended")
    dim = new.shape[1]
    block = max(1, (1 << 20) // (dim * 4))
    found = []
    for first in range(0, old.shape[0], block):
        stop = min(first + block, old.shape[0])
        a = np.ascontiguousarray(old[first:stop], dtype="<f4").view("<u4")
        b = np.ascontiguousarray(new[first:stop], dtype="<f4").view("<u4")
        found.append(np.flatnonzero((a != b).any(axis=1)) + first)
    found.append(np.arange(old.shape[0], new.shape[0]))
    return np.concatenate(found).astype(np.int32)


class DeltaPlan:
    """One delta version cut into delta chunks, as ``DeltaChunker`` does: rows in ascending id order,
    each chunk's ids, rows and tokens within ``chunk_bytes``; the checksums and content id computed
    on the way. Checks first, with one-line reasons (``ValueError``), what the application refuses
    and can be known from the base's commit.

    ``ids``: row ids in any order, each once; ``rows``: ``[len(ids), dim]`` float32 or float16, row i
    for ``ids[i]``; ``tokens``: with a vocabulary, one new token per appended row in id order.
    """

    def __init__(self, table, version, base, ids, rows, tokens=None, chunk_bytes=DEFAULT_CHUNK_BYTES,
                 allow_nonfinite=False):
        self.table = check_table_name(table)
        if not isinstance(version, (int, np.integer)) or isinstance(version, bool) or version < 1:
            raise ValueError(f"version must be an integer >= 1, got {version!r}")
        self.version = int(version)
        self.base = base
        if self.version <= base.version:
            raise ValueError(f"delta v{self.version} must be above its base v{base.version}")
        ids = _as_ids(ids)
        rows = _as_rows(rows)
        if rows.shape[0] != ids.size:
            raise ValueError(f"{rows.shape[0]} rows for {ids.size} ids: row i is the row of ids[i]")
        if rows.shape[1] != base.dim:
            raise ValueError(f"the rows have dim {rows.shape[1]} but v{base.version} has dim {base.dim}; "
                             f"the application would reject it as BASE_MISMATCH")
        if ids.size == 0:
            raise ValueError("a delta needs at least one row id")
        self.dim = base.dim
        order = np.lexsort((np.arange(ids.size), ids))  # by id, then position (as DeltaChunker's sort)
        sorted_ids = ids[order]
        if sorted_ids[0] < 0:
            raise ValueError(f"row id {int(sorted_ids[0])} is negative")
        dup = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1])
        if dup.size:
            i = int(dup[0]) + 1
            raise ValueError(f"row id {int(sorted_ids[i])} appears twice (at positions {int(order[i - 1])} and "
                             f"{int(order[i])})")
        appended = sorted_ids[sorted_ids >= base.rows]
        expect = np.arange(base.rows, base.rows + appended.size)
        gap = np.flatnonzero(appended != expect)
        if gap.size:
            g = int(gap[0])
            raise ValueError(f"row id {int(appended[g])} leaves a gap: appended rows continue v{base.version}'s "
                             f"{base.rows} rows contiguously, the next one is {base.rows + g}")
        self.appended = int(appended.size)
        if self.appended > 0 and base.vocabulary:
            tokens = None if tokens is None else list(tokens)
            if tokens is None or len(tokens) != self.appended:
                raise ValueError(f"v{base.version} has a vocabulary: the {self.appended} appended rows need "
                                 f"{self.appended} tokens (one per line, in id order), got "
                                 f"{'none' if tokens is None else len(tokens)}")
            seen = set()
            for i, t in enumerate(tokens):
                if not isinstance(t, str) or not t or "\n" in t:
                    raise ValueError(f"token of appended row {base.rows + i} is empty or holds a line break")
                if t in seen:
                    raise ValueError(f"token '{t}' is appended twice")
                seen.add(t)
        elif tokens is not None and len(tokens) > 0:
            raise ValueError("tokens given, but the delta appends no row" if self.appended == 0
                             else f"tokens given, but v{base.version} has no vocabulary")
        else:
            tokens = None
        self.tokens = tokens if self.appended > 0 and base.vocabulary else None
        if not allow_nonfinite:
            _check_finite_rows(rows, order, sorted_ids)
        row_bytes = 4 + self.dim * 4
        cost = np.full(ids.size, row_bytes, dtype=np.int64)
        if self.tokens is not None:
            cost[ids.size - self.appended:] += 5 + np.array([len(t.encode("utf-8")) for t in self.tokens], np.int64)
        over = np.flatnonzero(cost > chunk_bytes)
        if over.size:
            r = int(over[0])
            raise ValueError(f"row id {int(sorted_ids[r])} needs {int(cost[r])} bytes, over the chunk budget of "
                             f"{chunk_bytes} bytes (dim {self.dim} is too large for one record)")
        self.ranges = _greedy(cost, chunk_bytes)
        self._ids, self._order, self._rows = sorted_ids.astype("<i4"), order, rows
        self.rows = base.rows + self.appended
        self.delta_rows = int(ids.size)
        self._digest = hashlib.sha256()
        self._tokens_digest = hashlib.sha256()
        self._digested = 0
        self.data_bytes = 0
        self.content_id = None

    @property
    def chunk_count(self):
        return len(self.ranges)

    def sorted_ids(self):
        return self._ids.copy()

    def chunks(self, header=b""):
        """``(key, value, row_count)`` of every delta chunk, in index order, values starting with ``header``."""
        prefix = header + record_prefix(self.table, self.version, _DELTA_CHUNK)
        first_appended = self.delta_rows - self.appended
        for index, (start, count) in enumerate(self.ranges):
            ids = self._ids[start:start + count]
            data = np.ascontiguousarray(self._rows[self._order[start:start + count]], dtype="<f4")
            rec = np.empty(count, dtype=[("id", "<i4"), ("row", "<f4", (self.dim,))])
            rec["id"], rec["row"] = ids, data
            self._digest.update(memoryview(rec).cast("B"))
            tokens = None
            if self.tokens is not None and start + count > first_appended:
                lo = max(start, first_appended) - first_appended
                tokens = self.tokens[lo:start + count - first_appended]
            id_bytes, data_bytes = ids.tobytes(), memoryview(data).cast("B")
            self.data_bytes += len(id_bytes) + data_bytes.nbytes
            body = b"".join((
                prefix, long_bytes(index), bytes_header(len(id_bytes)), id_bytes, long_bytes(self.dim),
                bytes_header(data_bytes.nbytes), data_bytes,
                _tokens_bytes(tokens, self._tokens_digest),
            ))
            self._digested = index + 1
            yield delta_chunk_key(self.table, self.version, index), body, count

    def delta_checksum(self):
        if self._digested != len(self.ranges):
            raise RuntimeError("the delta checksum is known once every chunk was built")
        return CHECKSUM_PREFIX + self._digest.hexdigest()

    def tokens_checksum(self):
        return None if self.tokens is None else CHECKSUM_PREFIX + self._tokens_digest.hexdigest()

    def commit(self, created_ms, metadata, signer=None):
        """``(key, value without the wire header)`` of the delta commit; signed when ``signer`` is given."""
        dsum, tsum = self.delta_checksum(), self.tokens_checksum()
        b = self.base
        self.content_id = delta_content_id(b.content_id, self.rows, self.dim, dsum, tsum)
        signature = key_id = None
        if signer is not None:
            signature = signer.sign(delta_signed_text(self.table, self.version, b.version, b.rows, self.rows, self.dim,
                                                      self.delta_rows, self.chunk_count, dsum, tsum, self.content_id))
            key_id = signer.key_id
        body = b"".join((
            long_bytes(b.version), long_bytes(b.rows), long_bytes(self.rows), long_bytes(self.dim),
            long_bytes(self.delta_rows), long_bytes(self.chunk_count), string_bytes(dsum),
            _optional(tsum, string_bytes), string_bytes(self.content_id), long_bytes(created_ms),
            _metadata_bytes(metadata),
            _optional(signature, lambda s: bytes_header(len(s)) + bytes(s)), _optional(key_id, string_bytes),
        ))
        return (delta_commit_key(self.table, self.version),
                record_prefix(self.table, self.version, _DELTA_COMMIT) + body)


def _greedy(cost, budget):
    """``[(first, count), ...]``: consecutive items, each run as long as its cost stays within ``budget``."""
    ends = np.cumsum(cost)
    ranges, start, before = [], 0, 0
    while start < len(cost):
        stop = int(np.searchsorted(ends, before + budget, side="right"))
        ranges.append((start, stop - start))
        before = int(ends[stop - 1])
        start = stop
    return ranges


def _check_finite_rows(rows, order, sorted_ids):
    ok = np.isfinite(rows)
    if not ok.all():
        bad = np.flatnonzero(~ok.all(axis=1))
        # the smallest id with a non-finite value
        pos = int(order[np.isin(order, bad)][0])
        col = int(np.flatnonzero(~ok[pos])[0])
        raise ValueError(f"row id {int(np.asarray(sorted_ids)[np.flatnonzero(order == pos)[0]])}, column {col}: "
                         f"value {rows[pos, col]} is not a finite float{rows.dtype.itemsize * 8} "
                         f"(pass allow_nonfinite=True to publish it)")
