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
from ._registry import SchemaRegistry
from ._schemas import schema_text
from .model import DEFAULT_CHUNK_BYTES, TablePlan, activate_key, activate_value, check_table_name, commit_key, \
    chunk_key, parse_key

__all__ = ["Publisher", "PublishResult"]

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
        infinite values unless ``allow_nonfinite``. Returns a :class:`PublishResult`."""
        plan = TablePlan(self.table, version, weights, vocab, self.chunk_bytes, allow_nonfinite)
        return self._publish_plan(plan, metadata, progress)

    def activate(self, version, reason=None):
        """Writes an activate record: the application makes retained version ``version`` the active one."""
        if isinstance(version, bool) or not isinstance(version, (int, np.integer)) or version < 1:
            raise ValueError(f"version must be an integer >= 1, got {version!r}")
        version = int(version)
        sender = self._sender()
        sender.send(activate_key(self.table).encode("utf-8"), self._value(activate_value(self.table, version, reason)),
                    f"activate record {activate_key(self.table)} (version {version})")
        sender.wait(self.timeout, "activate record")

    # -----------------------------------------------------------------------------------------
    # a version: chunks, awaited; commit, awaited; retention. A delta version is another plan with
    # the same shape: chunk_count, chunks(header), commit(created_ms, metadata, signer), version, rows,
    # dim, data_bytes.

    def _publish_plan(self, plan, metadata, progress):
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
        removed = self._remove_old_versions(plan.version)
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

    def _remove_old_versions(self, just_published):
        """Tombstones every chunk and commit of the versions older than the newest ``retain_versions``
        committed ones (never ``just_published``), as ``ModelPublisher.removeOldVersions`` does."""
        committed = set()
        chunk_keys = {}
        readers = {}

        def handle(msg):
            parsed = parse_key(msg.key())
            if parsed is None:
                return
            kind, table, version, index = parsed
            if table != self.table or kind == "activate":
                return
            value = msg.value()
            if kind == "chunk":
                if value is None:
                    chunk_keys.get(version, set()).discard(index)
                else:
                    chunk_keys.setdefault(version, set()).add(index)
            elif value is None:
                committed.discard(version)
            elif self._decodes_as_commit(value, readers):
                committed.add(version)
            else:
                log.warning("model topic: commit %s/%d/commit does not decode; treated as absent", table, version)

        _kafka.read_topic(self._bootstrap, self._extra, self.topic, handle, self.timeout)
        newest_first = sorted(committed, reverse=True)
        if len(newest_first) <= self.retain_versions:
            return []
        oldest_kept = newest_first[self.retain_versions - 1]
        # versions with something left to remove (earlier tombstones leave a version's key set empty)
        victims = sorted(v for v in committed | {v for v, idx in chunk_keys.items() if idx}
                         if v < oldest_kept and v != just_published)
        sender = self._sender()
        for v in victims:
            for index in sorted(chunk_keys.get(v, ())):
                key = chunk_key(self.table, v, index)
                sender.send(key.encode("utf-8"), None, f"tombstone {key}")
            if v in committed:
                key = commit_key(self.table, v)
                sender.send(key.encode("utf-8"), None, f"tombstone {key}")
        sender.wait(self.timeout, "tombstones")
        return victims

    def _decodes_as_commit(self, value, readers):
        try:
            sid = _kafka.split_header(value)
            if sid not in readers:
                readers[sid] = reader_for(self._registry.schema(sid))
            record = readers[sid](value, 5)
            body = record.get("body") if isinstance(record, dict) else None
            return isinstance(body, dict) and "checksum" in body and "chunks" in body
        except (ValueError, DecodeError, RuntimeError):
            return False
