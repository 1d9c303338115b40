"""publish_delta against a broker: what the application would refuse is refused before anything is
sent (the model topic does not grow), as ``tokvec publish --base`` refuses it."""

import numpy as np
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

import tokvec
from conftest import unique


def end_offset(kafka, topic):
    c = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": unique("end")})
    try:
        return c.get_watermark_offsets(TopicPartition(topic, 0), timeout=30)[1]
    finally:
        c.close()


def test_deltas_the_application_would_refuse_are_refused_before_anything_is_sent(kafka):
    rng = np.random.default_rng(5)
    rows, dim = 30, 6
    vocab = ["", "[UNK]"] + [f"w{i}" for i in range(2, rows)]
    topic = unique("delta-refused")
    with tokvec.Publisher(kafka.bootstrap, kafka.registry, topic, "t", retain_versions=5) as publisher:
        with pytest.raises(tokvec.Refused, match=r"v1 is not committed on .* UNKNOWN_BASE"):  # no topic yet
            publisher.publish_delta(2, 1, [1], np.ones((1, dim), "<f4"))
        publisher.publish(1, rng.standard_normal((rows, dim)).astype("<f4"), vocab)
        publisher.publish_delta(2, 1, [4, 30], rng.standard_normal((2, dim)).astype("<f4"), ["fresh"])
        publisher.publish(3, rng.standard_normal((rows, dim)).astype("<f4"))  # a full version without vocabulary
        before = end_offset(kafka, topic)
        one = np.ones((1, dim), "<f4")
        refusals = [
            (dict(version=4, base=7, ids=[1], rows=one), r"v7 is not committed on .* \(committed: \[1, 2, 3\]\).* UNKNOWN_BASE"),
            (dict(version=3, base=1, ids=[1], rows=one), r"v3 is not above v3, .* DUPLICATE_VERSION"),
            (dict(version=2, base=1, ids=[1], rows=one), r"v2 is not above v3, .* VERSION_NOT_NEWER"),
            (dict(version=4, base=1, ids=[1], rows=np.ones((1, dim + 1), "<f4")), r"dim 7 but v1 has dim 6"),
            (dict(version=4, base=1, ids=[1, 31], rows=np.ones((2, dim), "<f4"), tokens=["x"]),
             r"\(30 x 6, with a vocabulary\): row id 31 leaves a gap"),
            (dict(version=4, base=2, ids=[31, 31], rows=np.ones((2, dim), "<f4"), tokens=["x", "y"]), "appears twice"),
            (dict(version=4, base=2, ids=[31], rows=one), r"appended rows need 1 tokens .* got none"),
            (dict(version=4, base=1, ids=[30], rows=one, tokens=["w7"]),
             r"token 'w7' is in v1's vocabulary already .* VOCAB_MISMATCH"),
            (dict(version=4, base=2, ids=[31], rows=one, tokens=["fresh"]),  # appended by v2, a base of the chain
             r"token 'fresh' is in v2's vocabulary already"),
            (dict(version=4, base=3, ids=[30], rows=one, tokens=["x"]), r"tokens given, but v3 has no vocabulary"),
            (dict(version=4, base=1, ids=[2], rows=np.array([[np.inf] * dim], "<f4")), "not a finite float32"),
        ]
        for args, message in refusals:
            with pytest.raises(tokvec.Refused, match=message):
                publisher.publish_delta(**args)
        # a delta over v2 once v1, the base under it, is gone from the topic
        p = Producer({"bootstrap.servers": kafka.bootstrap})
        p.produce(topic, key=b"t/1/commit", value=None)
        p.flush(30)
        with pytest.raises(tokvec.Refused, match=r"v1, the base of v2, is not committed"):
            publisher.publish_delta(4, 2, [3], one)
        assert end_offset(kafka, topic) == before + 1  # only the tombstone written here
        result = publisher.publish_delta(4, 3, [30, 2], np.ones((2, dim), "<f2"))  # no vocabulary: no tokens
        assert (result.rows, result.delta_rows, result.appended, result.base) == (31, 2, 1, 3)
