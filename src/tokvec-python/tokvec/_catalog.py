"""What the model topic holds of one table, read once by the publisher's rules: a small port of
``VersionCatalog`` (the records a publish-side catalog keeps), ``ActivationPolicy.intended`` and
``RetentionPolicy``, so that :class:`tokvec.Publisher` checks a delta's base and tombstones the
versions ``tokvec publish`` tombstones.

Like ``tokvec publish`` without trusted keys, it does not verify signatures; it applies the rules
that decide which commits count: versions only increase, commits are immutable, a delta commit
needs its base committed, of its shape and vocabulary, with a content id chained from the base's.
"""

from .model import delta_content_id, full_content_id

__all__ = ["Catalog", "Version"]


class Version:
    """One version of the table: its chunk keys of both kinds and its accepted commit (full or delta)."""

    __slots__ = ("version", "chunks", "delta_chunks", "commit", "delta", "commit_seq", "content_id", "vocabulary")

    def __init__(self, version):
        self.version = version
        self.chunks = set()
        self.delta_chunks = set()
        self.commit = None  # the TableCommit body (dict) of a full version
        self.delta = None  # the TableDeltaCommit body (dict) of a delta version
        self.commit_seq = -1
        self.content_id = None
        self.vocabulary = False

    @property
    def committed(self):
        return self.commit is not None or self.delta is not None

    @property
    def is_delta(self):
        return self.delta is not None

    @property
    def base(self):
        return self.delta["base_version"] if self.delta is not None else -1

    @property
    def rows(self):
        body = self.commit if self.commit is not None else self.delta
        return body["rows"] if body is not None else 0

    @property
    def dim(self):
        body = self.commit if self.commit is not None else self.delta
        return body["dim"] if body is not None else 0

    def dependencies(self):
        return (self.delta["base_version"],) if self.delta is not None else ()

    def keys(self, table):
        """Every model-topic key of it, in the order ``tokvec publish`` tombstones them."""
        out = [f"{table}/{self.version}/chunk/{i}" for i in sorted(self.chunks)]
        out += [f"{table}/{self.version}/delta/{i}" for i in sorted(self.delta_chunks)]
        if self.commit is not None:
            out.append(f"{table}/{self.version}/commit")
        if self.delta is not None:
            out.append(f"{table}/{self.version}/delta-commit")
        return out


_SIGNED = {
    "commit": ("rows", "dim", "chunks", "checksum", "vocab_checksum"),
    "delta-commit": ("base_version", "base_rows", "rows", "dim", "delta_rows", "chunks", "delta_checksum",
                     "tokens_checksum", "content_id"),
}


class Catalog:
    """The versions of one table on the model topic, and its latest activate record."""

    def __init__(self, table, token_probe=None):
        self.table = table
        self.versions = {}
        self.activate_version = -1
        self.activate_seq = -1
        self.token_probe = set(token_probe) if token_probe else None
        self.tokens_found = {}  # version -> probed tokens its chunks hold
        self._next_seq = 0

    def get(self, version):
        return self.versions.get(version)

    def committed_versions(self):
        return sorted(v for v, x in self.versions.items() if x.committed)

    def newest_committed(self):
        c = self.committed_versions()
        return c[-1] if c else -1

    def _seq(self, offset):
        seq = max(offset, self._next_seq) if offset is not None and offset >= 0 else self._next_seq
        self._next_seq = seq + 1
        return seq

    def _state(self, version):
        v = self.versions.get(version)
        if v is None:
            v = self.versions[version] = Version(version)
        return v

    # ---- records ----

    def note_chunk(self, kind, version, index, offset, tokens=None):
        """A chunk key seen (its record is not checked: every chunk key of a dropped version is tombstoned)."""
        self._seq(offset)
        v = self._state(version)
        (v.chunks if kind == "chunk" else v.delta_chunks).add(index)
        if tokens and self.token_probe:
            hits = self.token_probe.intersection(tokens)
            if hits:
                self.tokens_found.setdefault(version, set()).update(hits)

    def apply_commit(self, kind, version, body, offset):
        """Applies a commit (``kind`` ``commit`` or ``delta-commit``, ``body`` its decoded fields); returns
        the reason it is refused (nothing kept), or None."""
        known = self.versions.get(version)
        if known is not None and known.committed:
            mine_kind = "commit" if known.commit is not None else "delta-commit"
            mine = known.commit if known.commit is not None else known.delta
            if mine_kind == kind and all(mine.get(f) == body.get(f) for f in _SIGNED[kind]):
                return None  # an identical commit: unchanged
            return "DUPLICATE_VERSION"
        newest = self.newest_committed()
        if newest >= 0 and version < newest:
            return "VERSION_NOT_NEWER"
        if kind == "delta-commit":
            reason = self._check_base(body)
            if reason:
                return reason
        seq = self._seq(offset)
        v = self._state(version)
        v.commit_seq = seq
        if kind == "commit":
            v.commit = body
            v.content_id = full_content_id(body["checksum"], body.get("vocab_checksum"))
            v.vocabulary = body.get("vocab_checksum") is not None
        else:
            v.delta = body
            v.content_id = body["content_id"].lower()
            v.vocabulary = self.versions[body["base_version"]].vocabulary
        return None

    def _check_base(self, d):
        base = self.versions.get(d["base_version"])
        if base is None or not base.committed:
            return "UNKNOWN_BASE"
        if base.rows != d["base_rows"] or base.dim != d["dim"]:
            return "BASE_MISMATCH"
        appends = d["rows"] > d["base_rows"]
        if d.get("tokens_checksum") is not None and (not base.vocabulary or not appends):
            return "VOCAB_MISMATCH"
        if d.get("tokens_checksum") is None and base.vocabulary and appends:
            return "VOCAB_MISMATCH"
        expected = delta_content_id(base.content_id, d["rows"], d["dim"], d["delta_checksum"], d.get("tokens_checksum"))
        if expected != d["content_id"].lower():
            return "BASE_MISMATCH"
        return None

    def apply_activate(self, version, offset):
        self.activate_seq = self._seq(offset)
        self.activate_version = version

    def remove(self, kind, version, index):
        """A tombstone."""
        if kind == "activate":
            self.activate_version = self.activate_seq = -1
            return
        v = self.versions.get(version)
        if v is None:
            return
        if kind == "chunk":
            v.chunks.discard(index)
        elif kind == "delta":
            v.delta_chunks.discard(index)
        elif (kind == "commit" and v.commit is not None) or (kind == "delta-commit" and v.delta is not None):
            v.commit = v.delta = v.content_id = None
            v.commit_seq = -1
        if not v.committed and not v.chunks and not v.delta_chunks:
            del self.versions[version]

    def drop(self, version):
        self.versions.pop(version, None)

    # ---- policies ----

    def intended(self):
        """The version the application should serve (``ActivationPolicy.intended`` without a pin), or -1."""
        committed = sorted((self.versions[n] for n in self.committed_versions()), key=lambda x: -x.commit_seq)
        candidates = []
        act = self.activate_version
        if act >= 0 and (not committed or self.activate_seq > committed[0].commit_seq) and act in self.versions:
            candidates.append(act)
        candidates += [v.version for v in committed]
        for c in candidates:
            if self.versions[c].committed:
                return c
        return -1

    def victims(self, retain, keep=()):
        """``RetentionPolicy.victims``: the versions to drop, ascending."""
        committed = self.committed_versions()
        if len(committed) <= retain:
            return []
        kept = set(keep)
        kept.update(committed[-retain:])
        oldest_kept = committed[-retain]
        todo = list(kept)
        while todo:
            v = self.versions.get(todo.pop())
            for d in (v.dependencies() if v is not None else ()):
                if d not in kept:
                    kept.add(d)
                    todo.append(d)
        return sorted(v for v in self.versions if v < oldest_kept and v not in kept)
