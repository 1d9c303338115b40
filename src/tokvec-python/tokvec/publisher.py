"""Publishes table versions and activate records on the model topic, as ``tokvec publish`` does."""

import logging
import time
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from . import _kafka
from ._avro import DecodeError, reader_for
from ._catalog import Catalog
from ._registry import SchemaRegistry
from ._schemas import schema_text
from .model import DEFAULT_CHUNK_BYTES, Base, DeltaPlan, TablePlan, activate_key, activate_value, changed_rows, \
    check_table_name, parse_key

__all__ = ["Publisher", "PublishResult", "DeltaResult", "Refused", "diff_from"]

log = logging.getLogger("tokvec.publisher")


@dataclass
class PublishResult:
    """What one :meth:`Publisher.publish` did."""

    table: str
    version: int
    rows: int
    dim: int
    bytes: int
    chunks: int
    seconds: float
    removed_versions: List[int] = field(default_factory=list)
    key_id: Optional[str] = None

    def summary(self):
        removed = f", removed old versions {self.removed_versions}" if self.removed_versions else ""
        signed = f", signed with key {self.key_id}" if self.key_id else ""
        return (f"publish: {self.table} v{self.version}: {self.rows} rows x {self.dim} dim, "
                f"{self.bytes / 1048576:.1f} MiB in {self.chunks} chunks, {self.seconds:.2f} s{removed}{signed}")


@dataclass
class DeltaResult(PublishResult):
    """What one :meth:`Publisher.publish_delta` did: ``rows`` is the new version's row count,
    ``delta_rows`` the rows sent (``appended`` of them new), ``bytes`` their ids and rows."""

    base: int = 0
    delta_rows: int = 0
    appended: int = 0
    content_id: str = ""

    def summary(self):
        removed = f", removed old versions {self.removed_versions}" if self.removed_versions else ""
        signed = f", signed with key {self.key_id}" if self.key_id else ""
        return (f"publish: {self.table} v{self.version}: delta over v{self.base}: {self.delta_rows} rows "
                f"({self.delta_rows - self.appended} replaced, {self.appended} appended) x {self.dim} dim, "
                f"{self.bytes / 1048576:.1f} MiB in {self.chunks} chunks, {self.seconds:.2f} s, content id "
                f"{self.content_id}{removed}{signed}")


class Refused(ValueError):
    """A publish refused before anything was sent, because the application would reject it (one line,
    naming the reason the application would give)."""


def diff_from(old, new):
    """``(ids, rows)`` of the delta that turns table ``old`` into table ``new`` (both ``[rows, dim]``
    float32 or float16; ``new`` may have more rows): the rows of ``new`` that differ from ``old`` bit
    for bit, then the rows it appends, as ``tokvec publish --diff-from OLD.npy --file NEW.npy`` finds
    them. ``ids`` is ascending int32; ``rows`` is ``new[ids]``. Pass them to
    :meth:`Publisher.publish_delta`."""
    ids = changed_rows(old, new)
    return ids, np.asarray(new)[ids]


class Publisher:
    """Publishes versions of one table on the model topic.

    Each :meth:`publish` streams the table in chunks (built one at a time, never a second copy of
    the table), awaits every chunk, then writes the commit (signed with ``signing_key`` when given),
    then tombstones the chunks and commits of versions beyond ``retain_versions`` (the application's
    ``tokvec.retain.versions``), as ``tokvec publish`` does; the records are byte for byte the ones
    ``tokvec publish`` writes for the same table (``created_ms`` and ``metadata`` aside).

    ``producer_config``: more librdkafka settings (security, ``client.id``, ...; ``security_protocol``
    is taken as ``security.protocol``). The producer is idempotent with ``acks=all``.
    """

    def __init__(self, bootstrap_servers, schema_registry_url, topic="tokvec-model", table="embeddings",
                 signing_key=None, retain_versions=2, chunk_bytes=DEFAULT_CHUNK_BYTES, replication_factor=-1,
                 auto_register_schemas=True, timeout=120.0, **producer_config):
        self.table = check_table_name(table)
        self.topic = topic
        if retain_versions < 1:
            raise ValueError(f"retain_versions must be >= 1, got {retain_versions}")
        self.retain_versions = retain_versions
        self.chunk_bytes = int(chunk_bytes)
        self.replication_factor = replication_factor
        self.timeout = timeout
        self._bootstrap = bootstrap_servers
        self._extra = dict(producer_config)
        self._registry = SchemaRegistry(schema_registry_url)
        self._auto_register = auto_register_schemas
        self._signer = None
        if signing_key is not None:
            from ._signing import Signer
            self._signer = Signer(signing_key)
        self._producer = _kafka.new_producer(bootstrap_servers, self._extra, {
            "enable.idempotence": True, "acks": "all", "linger.ms": 5, "client.id": "tokvec-publish",
            # bounds what waits in the producer's queue (as the Java producer's buffer.memory): sending
            # blocks on a full queue rather than holding a copy of the table
            "queue.buffering.max.kbytes": 32768,
        })
        self._header = None
        self._topic_checked = False

    @property
    def key_id(self):
        """The id of the signing key, or None when commits are not signed."""
        return self._signer.key_id if self._signer else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Waits for what is still being sent (at most ``timeout`` seconds)."""
        if self._producer is not None:
            self._producer.flush(self.timeout)
            self._producer = None

    # -----------------------------------------------------------------------------------------

    def publish(self, version, weights, vocab=None, metadata=None, progress=None, allow_nonfinite=False):
        """Publishes ``weights`` (``[rows, dim]`` float32 or float16, e.g. a ``np.memmap`` of any size)
        as version ``version`` (>= 1, above every earlier one), with ``vocab`` (one token per row) or
        without. ``progress(chunks_sent, chunk_count)`` hears every chunk sent. Refuses NaN and
        infinite values unless ``allow_nonfinite``, and (:class:`Refused`, after reading the model
        topic, before sending anything) a version not above every committed one, as ``tokvec
        publish`` does. Returns a :class:`PublishResult`."""
        plan = TablePlan(self.table, version, weights, vocab, self.chunk_bytes, allow_nonfinite)
        self._ensure_topic()
        state = self._scan()
        self._check_newer(state, plan.version)
        return self._publish_plan(plan, metadata, progress, state)

    def activate(self, version, reason=None):
        """Writes an activate record: the application makes retained version ``version`` the active one.
        Raises :class:`Refused` (nothing sent) when ``version`` is not committed on the model topic."""
        if isinstance(version, bool) or not isinstance(version, (int, np.integer)) or version < 1:
            raise ValueError(f"version must be an integer >= 1, got {version!r}")
        version = int(version)
        state = self._scan()
        v = state.get(version)
        if v is None or not v.committed:
            raise Refused(f"table {self.table}: v{version} is not committed on {self.topic} (committed: "
                          f"{state.committed_versions()}); the application would reject the activate record as "
                          f"UNKNOWN_VERSION")
        sender = self._sender()
        sender.send(activate_key(self.table).encode("utf-8"), self._value(activate_value(self.table, version, reason)),
                    f"activate record {activate_key(self.table)} (version {version})")
        sender.wait(self.timeout, "activate record")

    def publish_delta(self, version, base, ids, rows, tokens=None, metadata=None, progress=None,
                      allow_nonfinite=False):
        """Publishes a delta version ``version`` over committed version ``base``: ``rows[i]`` (``[k, dim]``
        float32 or float16) is the new row ``ids[i]``; ids below the base's row count replace rows, ids
        from it up append rows, contiguously; with a vocabulary, ``tokens`` are the appended rows' new
        tokens in id order. ``diff_from(old, new)`` finds ``ids`` and ``rows`` from two full arrays.

        Reads the model topic first and raises :class:`Refused`, before sending anything, for what the
        application would reject: ``version`` not above every committed one, a base that is not
        committed (or a version under it), another dim, ids out of range, duplicated or leaving a gap,
        tokens missing, extra, empty or repeated, or already in the base's vocabulary. Then sends the
        delta chunks (each awaited), the delta commit (signed with ``signing_key`` when given) and
        retention's tombstones, byte for byte as ``tokvec publish --base`` does. Returns a
        :class:`DeltaResult`."""
        for name, value in (("version", version), ("base", base)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        version, base = int(version), int(base)
        tokens = None if tokens is None else list(tokens)
        state = self._scan(tokens)
        what = f"table {self.table}: delta v{version} over v{base}"
        self._check_newer(state, version)
        b = state.get(base)
        if b is None or not b.committed:
            raise Refused(f"{what}: v{base} is not committed on {self.topic} (committed: {state.committed_versions()}); "
                          f"the application would reject it as UNKNOWN_BASE")
        v = b
        while v.is_delta:
            under = state.get(v.base)
            if under is None or not under.committed:
                raise Refused(f"{what}: v{v.base}, the base of v{v.version}, is not committed on {self.topic}; the "
                              f"application would reject it as UNKNOWN_BASE")
            v = under
        base_info = Base(base, b.rows, b.dim, b.content_id, b.vocabulary)
        try:
            plan = DeltaPlan(self.table, version, base_info, ids, rows, tokens, self.chunk_bytes, allow_nonfinite)
        except ValueError as e:
            raise Refused(f"{what} ({b.rows} x {b.dim}{', with a vocabulary' if b.vocabulary else ''}): {e}") from None
        if plan.tokens is not None:
            v = b
            while v is not None:
                found = state.tokens_found.get(v.version)
                if found:
                    raise Refused(f"{what}: token '{sorted(found)[0]}' is in v{base}'s vocabulary already (appended "
                                  f"rows bring new tokens); the application would reject it as VOCAB_MISMATCH")
                v = state.get(v.base) if v.is_delta else None
        r = self._publish_plan(plan, metadata, progress, state)
        return DeltaResult(r.table, r.version, plan.rows, plan.dim, r.bytes, r.chunks, r.seconds, r.removed_versions,
                           r.key_id, base, plan.delta_rows, plan.appended, plan.content_id)

    # -----------------------------------------------------------------------------------------
    # a version: chunks, awaited; commit, awaited; retention. A delta version is another plan with
    # the same shape: chunk_count, chunks(header), commit(created_ms, metadata, signer), version, rows,
    # dim, data_bytes.

    def _publish_plan(self, plan, metadata, progress, state):
        t0 = time.monotonic()
        self._ensure_topic()
        sender = self._sender()
        total = plan.chunk_count
        header = self._value(b"")
        for n, (key, value, _rows) in enumerate(plan.chunks(header), 1):
            sender.send(key.encode("utf-8"), value, f"chunk {key} ({n} of {total})")
            if progress is not None:
                progress(n, total)
        sender.wait(self.timeout, f"chunks of {self.table} v{plan.version}")
        key, body = plan.commit(int(time.time() * 1000), dict(metadata or {}), self._signer)
        sender.send(key.encode("utf-8"), self._value(body), f"commit {key}")
        sender.wait(self.timeout, f"commit {key}")
        # the topic was read before the chunks were sent: the commit just sent counts as the application counts it
        state.apply_commit(key.rsplit("/", 1)[1], plan.version, self._decode(self._value(body), {})["body"], -1)
        removed = self._remove_old_versions(state)
        return PublishResult(self.table, plan.version, plan.rows, plan.dim, plan.data_bytes, total,
                             time.monotonic() - t0, removed, self.key_id)

    def _sender(self):
        if self._producer is None:
            raise RuntimeError("this Publisher is closed")
        return _kafka.Sender(self._producer, self.topic)

    def _value(self, body):
        if self._header is None:
            subject = self.topic + "-value"
            self._header = _kafka.header(self._registry.id_for(subject, schema_text("ModelRecord"), self._auto_register))
        return b"".join((self._header, body))

    def _ensure_topic(self):
        """Creates the model topic (compacted, one partition) when it is missing, as ``tokvec publish`` does."""
        if self._topic_checked:
            return
        admin = AdminClient(_kafka.client_config(self._bootstrap, self._extra, {}))
        try:
            topics = admin.list_topics(timeout=self.timeout).topics
            if self.topic not in topics:
                futures = admin.create_topics([NewTopic(self.topic, 1, self.replication_factor,
                                                        config={"cleanup.policy": "compact"})])
                try:
                    futures[self.topic].result(self.timeout)
                    log.info("created topic %s", self.topic)
                except KafkaException as e:
                    if e.args[0].code() != e.args[0].TOPIC_ALREADY_EXISTS:
                        raise _kafka.SendError(f"cannot create topic {self.topic!r}: {e.args[0].str()}") from None
            elif len(topics[self.topic].partitions) != 1:
                log.warning("model topic %s has %d partitions: tokvec expects 1, so that a commit and a later "
                            "activate record keep their order", self.topic, len(topics[self.topic].partitions))
        except KafkaException as e:
            raise _kafka.SendError(f"cannot list or create topics: {e.args[0].str()}") from None
        self._topic_checked = True

    def _check_newer(self, state, version):
        newest = state.newest_committed()
        if newest >= 0 and version <= newest:
            raise Refused(f"table {self.table}: v{version} is not above v{newest}, the newest version committed on "
                          f"{self.topic}; the application would reject it as "
                          f"{'DUPLICATE_VERSION' if version == newest else 'VERSION_NOT_NEWER'} (publish v{newest + 1} "
                          f"or higher, or roll back with activate)")

    def _scan(self, token_probe=None):
        """Reads the model topic once into a :class:`~tokvec._catalog.Catalog` of this table (noting which
        chunks hold one of ``token_probe``'s tokens)."""
        state = Catalog(self.table, token_probe)
        readers = {}
        if not self._topic_exists():
            return state

        def handle(msg):
            parsed = parse_key(msg.key())
            if parsed is None:
                return
            kind, table, version, index = parsed
            if table != self.table:
                return
            value = msg.value()
            if value is None:
                state.remove(kind, version, index)
                return
            if kind in ("chunk", "delta"):
                tokens = None
                if state.token_probe:
                    record = self._decode(value, readers)
                    body = record.get("body") if record else None
                    tokens = body.get("tokens") if isinstance(body, dict) else None
                state.note_chunk(kind, version, index, msg.offset(), tokens)
                return
            record = self._decode(value, readers)
            body = record.get("body") if record else None
            if kind == "activate":
                if record is not None:
                    state.apply_activate(record["version"], msg.offset())
            elif isinstance(body, dict) and ("checksum" if kind == "commit" else "delta_checksum") in body:
                state.apply_commit(kind, version, body, msg.offset())
            else:
                log.warning("model topic: %s does not decode as a %s; treated as absent", msg.key(), kind)

        _kafka.read_topic(self._bootstrap, self._extra, self.topic, handle, self.timeout)
        return state

    def _topic_exists(self):
        if self._topic_checked:
            return True
        admin = AdminClient(_kafka.client_config(self._bootstrap, self._extra, {}))
        try:
            return self.topic in admin.list_topics(timeout=self.timeout).topics
        except KafkaException as e:
            raise _kafka.SendError(f"cannot list topics: {e.args[0].str()}") from None

    def _remove_old_versions(self, state):
        """Tombstones every chunk (of both kinds) and commit of the versions ``RetentionPolicy`` drops
        (the newest ``retain_versions`` committed ones, every newer one, the intended one and what they
        depend on are kept), as ``ModelPublisher.removeOldVersions`` does."""
        intended = state.intended()
        victims = state.victims(self.retain_versions, [intended] if intended >= 0 else [])
        if not victims:
            return []
        sender = self._sender()
        for v in victims:
            for key in state.get(v).keys(self.table):
                sender.send(key.encode("utf-8"), None, f"tombstone {key}")
            state.drop(v)
        sender.wait(self.timeout, "tombstones")
        return victims

    def _decode(self, value, readers):
        """The ``ModelRecord`` (a dict) of a value, or None when it does not decode."""
        try:
            sid = _kafka.split_header(value)
            if sid not in readers:
                readers[sid] = reader_for(self._registry.schema(sid))
            record = readers[sid](value, 5)
            return record if isinstance(record, dict) else None
        except (ValueError, DecodeError, RuntimeError):
            return None
