"""Writes token events (``TokenEvent``) on tokvec's input topic."""

import numpy as np

from . import _kafka
from ._avro import encode_varints, long_bytes, string_bytes
from ._registry import SchemaRegistry
from ._schemas import schema_text

__all__ = ["EventWriter", "encode_token_event"]

_INT32 = (-(2**31), 2**31 - 1)


def encode_token_event(id, token_ids=None, tokens=None, weights=None, timestamp_ms=None, metadata=None):
    """The Avro binary of a ``TokenEvent`` (``schemas/TokenEvent.avsc``), without the wire header."""
    if not isinstance(id, str):
        raise TypeError(f"event id must be a string, got {type(id).__name__}")
    if (token_ids is None) == (tokens is None):
        raise ValueError(f"event {id!r}: exactly one of token_ids and tokens must be given")
    parts = [string_bytes(id)]
    n = None
    if token_ids is not None:
        ids = np.asarray(token_ids)
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise ValueError(f"event {id!r}: token_ids must be a 1-D sequence of integers")
        if ids.size and (int(ids.min()) < _INT32[0] or int(ids.max()) > _INT32[1]):
            raise ValueError(f"event {id!r}: token_ids must fit in 32 bits")
        n = int(ids.size)
        parts.append(b"\x02" + _array(n, encode_varints(ids) if n else b""))
    else:
        parts.append(b"\x00")
    if tokens is not None:
        if isinstance(tokens, str):
            raise TypeError(f"event {id!r}: tokens must be a sequence of strings, not one string")
        toks = list(tokens)
        n = len(toks)
        parts.append(b"\x02" + _array(n, b"".join(string_bytes(t) for t in toks)))
    else:
        parts.append(b"\x00")
    parts.append(b"\x00" if timestamp_ms is None else b"\x02" + long_bytes(int(timestamp_ms)))
    meta = metadata or {}
    if meta:
        parts.append(long_bytes(len(meta)) + b"".join(string_bytes(str(k)) + string_bytes(str(v))
                                                      for k, v in meta.items()) + b"\x00")
    else:
        parts.append(b"\x00")
    if weights is not None:
        w = np.asarray(weights, dtype="<f4")
        if w.ndim != 1 or w.size != n:
            raise ValueError(f"event {id!r}: {w.size} weights for {n} tokens (one weight per token)")
        parts.append(b"\x02" + _array(n, w.tobytes()))
    else:
        parts.append(b"\x00")
    return b"".join(parts)


def _array(n, items):
    return long_bytes(n) + items + b"\x00" if n else b"\x00"


class EventWriter:
    """Writes ``TokenEvent`` records (Confluent wire format, the schema registered under
    ``<topic>-value``) to the input topic, keyed by the event id unless a key is given.

    Sends are asynchronous: :meth:`send` raises for an earlier send that failed, :meth:`flush` waits
    for all and raises for any that failed, naming the event. ``producer_config``: more librdkafka
    settings (idempotence is on by default).
    """

    def __init__(self, bootstrap_servers, schema_registry_url, topic="tokvec-events", auto_register_schemas=True,
                 **producer_config):
        self.topic = topic
        self._registry = SchemaRegistry(schema_registry_url)
        self._auto_register = auto_register_schemas
        self._producer = _kafka.new_producer(bootstrap_servers, producer_config, {
            "enable.idempotence": True, "acks": "all", "linger.ms": 5, "client.id": "tokvec-python-writer",
        })
        self._sender = _kafka.Sender(self._producer, topic)
        self._header = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, id, token_ids=None, tokens=None, weights=None, timestamp_ms=None, metadata=None, key=None):
        """Sends one event: ``token_ids`` (ints) or ``tokens`` (strings, mapped through the table's
        vocabulary), optional per-token ``weights`` (``tokvec.pooling=sum``), ``timestamp_ms`` and string
        ``metadata``. ``key``: bytes or str, default the event id."""
        if self._header is None:
            subject = self.topic + "-value"
            self._header = _kafka.header(self._registry.id_for(subject, schema_text("TokenEvent"), self._auto_register))
        value = self._header + encode_token_event(id, token_ids, tokens, weights, timestamp_ms, metadata)
        k = id if key is None else key
        self._sender.send(k.encode("utf-8") if isinstance(k, str) else k, value, f"event {id!r}")

    def flush(self, timeout=60.0):
        """Waits until every event sent is acknowledged; raises naming the first that failed."""
        self._sender.wait(timeout, "events")

    def close(self, timeout=60.0):
        if self._producer is not None:
            try:
                self.flush(timeout)
            finally:
                self._producer = None
