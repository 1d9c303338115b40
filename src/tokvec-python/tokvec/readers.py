"""Readers of tokvec's output topics: enriched records as numpy batches, dead letters as objects."""

import logging
import time
from dataclasses import dataclass
from typing import List, Optional

import numpy as np
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from . import _kafka
from ._avro import DecodeError, Packed, packed_array, reader_for
from ._registry import SchemaRegistry, SchemaRegistryError

__all__ = ["Batch", "EnrichedReader", "EnrichedDecoder", "DeadLetter", "DeadLetterReader", "RecordError"]

log = logging.getLogger("tokvec.readers")

_DTYPES = {"float32": np.dtype("<f4"), "float16": np.dtype("<f2")}


class RecordError(ValueError):
    """A record on the topic is not what the reader expects; the message says where it is."""


class _Records:
    """Decodes Confluent wire-format values with their writer's schema (looked up by id, one reader per id)."""

    def __init__(self, schema_of, compiled, skip_invalid, required=()):
        self.schema_of = schema_of
        self.compiled = compiled
        self.skip_invalid = skip_invalid
        self.required = required
        self.skipped = 0
        self._readers = {}

    def decode(self, m):
        """The record of a message as a dict (bytes fields as memoryviews), or None when skipped."""
        value = m.value()
        try:
            sid = _kafka.split_header(value)
            reader = self._readers.get(sid)
            if reader is None:
                reader = self._readers[sid] = reader_for(self.schema_of(sid), self.compiled)
            rec = reader(value, 5)
            missing = [f for f in self.required if f not in rec] if isinstance(rec, dict) else ["a record"]
            if missing:
                raise DecodeError(f"schema id {sid} is not {self.kind} (no field {missing[0]!r})")
            return rec
        except (ValueError, DecodeError) as e:
            return self.invalid(m, e)
        except SchemaRegistryError as e:
            if e.status == 404:  # the registry has no such schema: the record's fault, not the registry's
                return self.invalid(m, e)
            raise

    def invalid(self, m, reason):
        """None (counted in ``skipped``) with ``skip_invalid``, else raises :class:`RecordError` saying where."""
        where = f"{m.topic()}[{m.partition()}]@{m.offset()}"
        if self.skip_invalid:
            self.skipped += 1
            log.warning("%s: skipped: %s", where, reason)
            return None
        raise RecordError(f"{where}: {reason}") from None


class _Reader:
    """A consumer of one topic whose values decode into items (a :class:`Batch`, a list of dead letters).

    ``_take(msgs)`` returns ``(item or None, messages used)`` and raises :class:`RecordError` only for
    ``msgs[0]`` (items before a bad record are handed out first).
    """

    def __init__(self, bootstrap_servers, schema_registry_url, topic, group_id, consumer_config):
        self.topic = topic
        self._registry = SchemaRegistry(schema_registry_url)
        self._positions = {}
        self._pending = []  # messages consumed but not yet handed out (a caller stopped after an item)
        conf = _kafka.client_config(bootstrap_servers, consumer_config, {
            "isolation.level": "read_committed", "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "enable.partition.eof": False,
        })
        conf["group.id"] = group_id
        try:
            self._consumer = Consumer(conf)
        except KafkaException as e:
            raise ValueError(f"cannot create a Kafka consumer: {e.args[0].str()}") from None
        self._consumer.subscribe([topic], on_revoke=self._revoked)

    @property
    def skipped(self):
        """Records skipped as invalid (with ``skip_invalid=True``)."""
        return self._records.skipped

    def _revoked(self, consumer, partitions):
        for tp in partitions:
            self._positions.pop((tp.topic, tp.partition), None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

    def commit(self):
        """Commits the consumer group's offsets up to the end of the last batch yielded (synchronously)."""
        if self._consumer is None:
            raise RuntimeError("this reader is closed")
        if not self._positions:
            return
        offsets = [TopicPartition(t, p, o) for (t, p), o in self._positions.items()]
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as e:
            if e.args[0].code() != KafkaError._NO_OFFSET:
                raise

    def _items(self, max_records, timeout, max_idle):
        for msgs in self._poll(max_records, timeout, max_idle):
            while msgs:
                try:
                    item, used = self._take(msgs)
                except RecordError:
                    self._pending = msgs[1:]  # a caller that catches the error goes on after it
                    raise
                self._advance(msgs[:used])
                msgs = msgs[used:]
                if item is not None:
                    self._pending = msgs  # for the next call if the caller stops after this item
                    yield item
                    self._pending = []

    def _poll(self, max_records, timeout, max_idle):
        """Lists of messages (tombstones and errors handled), starting with those a previous call left
        unread; ends after ``max_idle`` seconds without any."""
        if max_records < 1:
            raise ValueError(f"max_records must be >= 1, got {max_records}")
        idle_since = time.monotonic()
        while True:
            if self._pending:
                msgs, self._pending = self._pending, []
                yield msgs
                continue
            if self._consumer is None:
                return
            msgs = self._consumer.consume(num_messages=max_records, timeout=timeout)
            good = []
            for m in msgs:
                err = m.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        continue
                    if err.fatal() or not err.retriable():
                        raise KafkaException(err)
                    log.warning("%s: %s", self.topic, err.str())
                    continue
                if m.value() is None:
                    self._advance([m])
                    continue
                good.append(m)
            if good:
                idle_since = time.monotonic()
                yield good
            elif max_idle is not None and time.monotonic() - idle_since >= max_idle:
                return

    def _advance(self, msgs):
        for m in msgs:
            key = (m.topic(), m.partition())
            if m.offset() + 1 > self._positions.get(key, -1):
                self._positions[key] = m.offset() + 1


@dataclass
class Batch:
    """Enriched records of one shape as numpy arrays, ``B`` records of ``L`` tokens of ``D`` values.

    ``embeddings`` is ``[B, L, D]`` float32, or float16 when the application writes float16
    (``tokvec.output.dtype``), and None when it leaves the sequence out (``tokvec.output.sequence=false``);
    ``pooled`` is ``[B, D]`` or None (``tokvec.pooling=none``). ``partitions`` and ``offsets`` locate
    each record on the topic.
    """

    ids: np.ndarray
    mask: np.ndarray
    embeddings: Optional[np.ndarray]
    pooled: Optional[np.ndarray]
    versions: np.ndarray
    event_ids: List[str]
    lengths: np.ndarray
    truncated: np.ndarray
    tables: List[str]
    timestamps_ms: np.ndarray
    metadata: List[dict]
    topic: str
    partitions: np.ndarray
    offsets: np.ndarray

    def __len__(self):
        return len(self.event_ids)


_REQUIRED = ("id", "table", "table_version", "ids", "mask", "length", "truncated", "dim", "embeddings")


class EnrichedDecoder(_Records):
    """Turns enriched-topic messages into :class:`Batch` es (no Kafka: :class:`EnrichedReader` feeds it).

    ``schema_of(schema_id)`` gives a writer schema's text. Each value is decoded with a reader compiled
    for its writer schema: ids and mask come out of the record bytes in bulk, embeddings with
    ``np.frombuffer``; a writer schema the compiler does not take falls back to the ``avro`` package's
    generic reader (``compiled=False`` forces it).
    """

    kind = "an enriched record"

    def __init__(self, schema_of, topic=None, compiled=True, skip_invalid=False):
        super().__init__(schema_of, compiled, skip_invalid, _REQUIRED)
        self.topic = topic

    def take_batch(self, msgs):
        """The batch of the leading records of one shape in ``msgs`` and how many messages it used
        (skipped ones included); raises :class:`RecordError` for ``msgs[0]`` only."""
        run, key = [], None
        for j, m in enumerate(msgs):
            try:
                rec = self.decode(m)
                if rec is not None:
                    try:
                        k = _shape(rec)
                    except ValueError as e:
                        rec = self.invalid(m, e)
                if rec is None:
                    continue
            except RecordError:
                if run:  # hand out the records before it first
                    return self.batch(run, key), j
                raise
            if run and k != key:
                return self.batch(run, key), j
            run.append((m, rec))
            key = k
        return (self.batch(run, key) if run else None), len(msgs)

    def batch(self, run, key):
        length, dim, dtype, has_seq, has_pooled = key
        msgs = [m for m, _ in run]
        recs = [r for _, r in run]
        b = len(recs)
        return Batch(
            ids=_stack(recs, "ids", "int", b, length).astype(np.int32, copy=False),
            mask=_stack(recs, "mask", "boolean", b, length),
            embeddings=_floats(recs, "embeddings", dtype, (b, length, dim)) if has_seq else None,
            pooled=_floats(recs, "pooled", dtype, (b, dim)) if has_pooled else None,
            versions=np.fromiter((r["table_version"] for r in recs), np.int64, b),
            event_ids=[r["id"] for r in recs],
            lengths=np.fromiter((r["length"] for r in recs), np.int32, b),
            truncated=np.fromiter((r["truncated"] for r in recs), np.bool_, b),
            tables=[r["table"] for r in recs],
            timestamps_ms=np.fromiter((-1 if r.get("timestamp_ms") is None else r["timestamp_ms"] for r in recs),
                                      np.int64, b),
            metadata=[r.get("metadata") or {} for r in recs],
            topic=self.topic if self.topic is not None else msgs[0].topic(),
            partitions=np.fromiter((m.partition() for m in msgs), np.int32, b),
            offsets=np.fromiter((m.offset() for m in msgs), np.int64, b),
        )


class EnrichedReader(_Reader):
    """Reads the enriched topic (``tokvec.topic.output``) in numpy :class:`Batch` es.

    Values are decoded by an :class:`EnrichedDecoder`: with a reader compiled for their writer schema
    (looked up by schema id in the registry), or the ``avro`` package's generic reader for a schema the
    compiler does not take (``compiled=False`` forces it). Reads committed records only
    (``isolation.level=read_committed``) and commits offsets only when :meth:`commit` is called.
    ``consumer_config``: more librdkafka settings (``security_protocol`` is taken as
    ``security.protocol``). ``skip_invalid``: skip (and count in ``skipped``) values that are not
    enriched records instead of raising :class:`RecordError`.
    """

    def __init__(self, bootstrap_servers, schema_registry_url, topic="tokvec-enriched", group_id="tokvec-python",
                 compiled=True, skip_invalid=False, **consumer_config):
        super().__init__(bootstrap_servers, schema_registry_url, topic, group_id, consumer_config)
        self._records = EnrichedDecoder(self._registry.schema, topic, compiled, skip_invalid)

    def batches(self, max_records=256, timeout=1.0, max_idle=None):
        """Yields :class:`Batch` es of at most ``max_records`` records, each gathered for at most
        ``timeout`` seconds; records of another shape (``max_len``, dim, dtype, pooling) start a new
        batch. Runs until the reader is closed, or until no record came for ``max_idle`` seconds. A
        caller may stop after any batch: the next call goes on with the records after it."""
        return self._items(max_records, timeout, max_idle)

    def _take(self, msgs):
        return self._records.take_batch(msgs)


def _shape(rec):
    """(L, D, dtype, has sequence, has pooled) of a record, checked against its own fields."""
    length, dim = len(rec["ids"]), rec["dim"]
    dtype_name = rec.get("dtype") or "float32"
    dtype = _DTYPES.get(dtype_name)
    if dtype is None:
        raise ValueError(f"unknown dtype {dtype_name!r}")
    if len(rec["mask"]) != length:
        raise ValueError(f"{len(rec['mask'])} mask values for {length} ids")
    n = _count(rec["embeddings"], dtype)
    if n not in (0, length * dim):
        raise ValueError(f"embeddings hold {n} values, not max_len {length} x dim {dim}")
    pooled = rec.get("pooled")
    if pooled is not None and _count(pooled, dtype) != dim:
        raise ValueError(f"pooled holds {_count(pooled, dtype)} values, not dim {dim}")
    return length, dim, dtype, n > 0 or length * dim == 0, pooled is not None


def _count(v, dtype):
    if isinstance(v, Packed) or isinstance(v, list):
        return len(v)
    return len(v) // dtype.itemsize  # bytes / memoryview of little-endian values


def _stack(recs, name, kind, b, length):
    values = [r[name] for r in recs]
    if all(isinstance(v, Packed) for v in values):
        raw = b"".join(v.raw() for v in values)
        return packed_array(kind, raw, b * length, name).reshape(b, length)
    return np.array([v.array() if isinstance(v, Packed) else v for v in values],
                    dtype=np.bool_ if kind == "boolean" else np.int64).reshape(b, length)


def _floats(recs, name, dtype, shape):
    """Bytes (or array<float>) fields of every record in one writable array of ``shape``: one copy, no per-value work."""
    out = np.empty(shape, dtype=dtype)
    flat = out.reshape(shape[0], -1)
    for i, r in enumerate(recs):
        v = r[name]
        if isinstance(v, Packed):
            flat[i] = np.frombuffer(v.raw(), dtype="<f4")
        elif isinstance(v, list):  # the generic reader's array<float>
            flat[i] = v
        else:
            flat[i] = np.frombuffer(v, dtype=dtype)
    return out


@dataclass
class DeadLetter:
    """A record tokvec could not enrich: why (``reason``, ``message``), where it came from
    (``topic``, ``partition``, ``offset``) and its original ``key`` and ``value`` bytes; ``dlq_partition``
    and ``dlq_offset`` locate the dead letter itself."""

    reason: str
    message: str
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: Optional[bytes]
    value: Optional[bytes]
    event_id: Optional[str]
    table: Optional[str]
    table_version: Optional[int]
    dlq_partition: int
    dlq_offset: int


class DeadLetterReader(_Reader):
    """Reads the dead-letter topic (``tokvec.topic.dlq``) in lists of :class:`DeadLetter`; as
    :class:`EnrichedReader` otherwise (read_committed, :meth:`commit`, ``skip_invalid``)."""

    def __init__(self, bootstrap_servers, schema_registry_url, topic="tokvec-dlq", group_id="tokvec-python-dlq",
                 compiled=True, skip_invalid=False, **consumer_config):
        super().__init__(bootstrap_servers, schema_registry_url, topic, group_id, consumer_config)
        self._records = _Records(self._registry.schema, compiled, skip_invalid, _DEAD_LETTER_FIELDS)
        self._records.kind = "a dead letter"

    def batches(self, max_records=256, timeout=1.0, max_idle=None):
        """Yields lists of at most ``max_records`` :class:`DeadLetter` s; see :meth:`EnrichedReader.batches`."""
        return self._items(max_records, timeout, max_idle)

    def _take(self, msgs):
        out = []
        for j, m in enumerate(msgs):
            try:
                r = self._records.decode(m)
            except RecordError:
                if out:  # hand out the letters before it first
                    return out, j
                raise
            if r is not None:
                out.append(DeadLetter(
                    reason=r["reason"], message=r["message"], topic=r["topic"], partition=r["partition"],
                    offset=r["offset"], timestamp_ms=r.get("timestamp_ms", -1), key=_bytes(r.get("key")),
                    value=_bytes(r.get("value")), event_id=r.get("event_id"), table=r.get("table"),
                    table_version=r.get("table_version"), dlq_partition=m.partition(), dlq_offset=m.offset()))
        return (out or None), len(msgs)


_DEAD_LETTER_FIELDS = ("reason", "message", "topic", "partition", "offset")


def _bytes(v):
    return None if v is None else bytes(v)
