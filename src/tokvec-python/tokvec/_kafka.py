"""confluent-kafka plumbing shared by the publisher, the writer and the readers."""

import logging
import struct
import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition

__all__ = ["SendError", "Sender", "client_config", "header", "split_header", "read_topic"]

MAGIC = 0
_LOG = logging.getLogger("tokvec.kafka")  # librdkafka's log lines
_HEADER = struct.Struct(">bI")


class SendError(RuntimeError):
    """A record was not written; the message names it."""


def header(schema_id):
    """The Confluent wire-format header: magic byte 0, the 4-byte big-endian schema id."""
    return _HEADER.pack(MAGIC, schema_id)


def split_header(value):
    """The schema id of a Confluent wire-format value; raises ValueError for anything else."""
    if value is None or len(value) < 5:
        raise ValueError(f"{0 if value is None else len(value)} bytes: too short for the Confluent wire format")
    if value[0] != MAGIC:
        raise ValueError(f"magic byte {value[0]}, not 0: not the Confluent wire format")
    return _HEADER.unpack_from(value)[1]


def client_config(bootstrap_servers, extra, defaults):
    """librdkafka settings: ``defaults``, then the caller's (dots or underscores: ``security_protocol``;
    confluent-kafka's callbacks such as ``error_cb`` keep their names)."""
    conf = {"logger": _LOG}
    conf.update(defaults)
    conf["bootstrap.servers"] = bootstrap_servers
    for k, v in (extra or {}).items():
        conf[k if k in _PYTHON_KEYS else k.replace("_", ".")] = v
    return conf


# confluent-kafka's own settings (callbacks, the logger), whose names have underscores
_PYTHON_KEYS = {"error_cb", "throttle_cb", "stats_cb", "oauth_cb", "on_delivery", "on_commit", "logger"}


class Sender:
    """Produces records and awaits every delivery report; the first failure raises, naming the record."""

    def __init__(self, producer, topic):
        self.producer = producer
        self.topic = topic
        self.failures = []
        self.sent = 0

    def send(self, key, value, what):
        failures = self.failures

        def delivered(err, msg, what=what):
            if err is not None:
                failures.append((what, err))

        while True:
            try:
                self.producer.produce(self.topic, value=value, key=key, on_delivery=delivered)
                break
            except BufferError:  # the producer's queue is full: let it drain
                self.producer.poll(0.05)
            except KafkaException as e:
                err = e.args[0]
                raise SendError(f"cannot send {what} to topic {self.topic!r}: {err.str()}{_hint(err, self.topic)}") from None
        self.sent += 1
        self.producer.poll(0)
        self.check()

    def check(self):
        if self.failures:
            what, err = self.failures[0]
            more = f" ({len(self.failures) - 1} more failed)" if len(self.failures) > 1 else ""
            raise SendError(f"cannot send {what} to topic {self.topic!r}: {err.str()}{_hint(err, self.topic)}{more}")

    def wait(self, timeout=120.0, what="records"):
        """Waits until every record sent so far is acknowledged (or failed: raises)."""
        remaining = self.producer.flush(timeout)
        self.check()
        if remaining:
            raise SendError(f"{remaining} {what} not acknowledged by topic {self.topic!r} within {timeout} s")


def _hint(err, topic):
    if err.code() in (KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.CLUSTER_AUTHORIZATION_FAILED,
                      KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED):
        return f" (this principal may not write to {topic!r}: publishing needs WRITE on it)"
    if err.code() == KafkaError.MSG_SIZE_TOO_LARGE:
        return " (a record over the producer's or topic's message size limit: use a smaller chunk_bytes)"
    return ""


def new_producer(bootstrap_servers, extra, defaults):
    conf = client_config(bootstrap_servers, extra, defaults)
    try:
        return Producer(conf)
    except KafkaException as e:
        raise ValueError(f"cannot create a Kafka producer: {e.args[0].str()}") from None


def read_topic(bootstrap_servers, extra, topic, handle, timeout=60.0):
    """Reads every record of ``topic`` from its beginning to its end as of now (read_committed) and
    calls ``handle(message)`` for each; no consumer group offsets are committed."""
    conf = client_config(bootstrap_servers, extra, {
        "enable.auto.commit": False, "isolation.level": "read_committed",
        "enable.partition.eof": False, "client.id": "tokvec-publish-retention",
    })
    conf["group.id"] = "tokvec-publish-retention-" + uuid.uuid4().hex  # librdkafka wants one; never committed
    consumer = Consumer(conf)
    try:
        meta = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
        if meta is None or meta.error is not None:
            raise SendError(f"cannot read topic {topic!r}: {meta.error if meta else 'not found'}")
        ends = {}
        for p in meta.partitions:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)
            if high > 0:
                ends[p] = high
        if not ends:
            return
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
        done = {p: False for p in ends}
        last_progress = time.monotonic()
        while not all(done.values()):
            msgs = consumer.consume(num_messages=500, timeout=0.1)
            for m in msgs:
                if m.error() is not None:
                    if m.error().code() == KafkaError._PARTITION_EOF:
                        continue
                    raise SendError(f"cannot read topic {topic!r}: {m.error().str()}")
                handle(m)
                if m.offset() + 1 >= ends[m.partition()]:
                    done[m.partition()] = True
            if msgs:
                last_progress = time.monotonic()
                continue
            # past the last record (a transaction marker may end the partition)
            for tp in consumer.position([TopicPartition(topic, p) for p in ends]):
                if tp.offset >= ends[tp.partition]:
                    done[tp.partition] = True
            if time.monotonic() - last_progress > timeout:
                raise SendError(f"cannot read topic {topic!r} to its end: nothing received for {timeout} s")
    finally:
        consumer.close()
