"""Publisher against a broker: progress, refused sends named, nothing committed after a failure."""

import numpy as np
import pytest

import tokvec
from conftest import read_all, unique


def test_progress_hears_every_chunk_and_the_result_describes_the_version(kafka):
    topic = unique("pub")
    heard = []
    with tokvec.Publisher(kafka.bootstrap, kafka.registry, topic, "t", chunk_bytes=4096) as publisher:
        result = publisher.publish(1, np.ones((100, 64), np.float16), progress=lambda n, total: heard.append((n, total)))
    assert heard == [(n, 7) for n in range(1, 8)]  # 16 rows of 256 bytes per chunk
    assert (result.rows, result.dim, result.chunks, result.bytes, result.removed_versions) == (100, 64, 7, 100 * 256, [])
    assert [k for k, _ in read_all(kafka, topic)] == [f"t/1/chunk/{i}".encode() for i in range(7)] + [b"t/1/commit"]


def test_a_chunk_the_broker_refuses_raises_naming_it_and_no_commit_is_written(kafka):
    topic = unique("pub-refused")
    # the producer would send 2.4 MB records; the topic keeps the broker's default limit (about 1 MiB)
    with tokvec.Publisher(kafka.bootstrap, kafka.registry, topic, "t", chunk_bytes=3_000_000,
                          message_max_bytes=10_000_000) as publisher:
        with pytest.raises(tokvec.SendError, match=rf"cannot send chunk t/1/chunk/0 \(1 of 1\) to topic '{topic}': "
                                                   r".*too large.*chunk_bytes"):
            publisher.publish(1, np.zeros((600, 1000), np.float32))
    assert read_all(kafka, topic) == []


def test_a_chunk_over_the_producers_own_limit_raises_naming_it(kafka):
    topic = unique("pub-local")
    with tokvec.Publisher(kafka.bootstrap, kafka.registry, topic, "t", chunk_bytes=3_000_000) as publisher:
        with pytest.raises(tokvec.SendError, match=r"cannot send chunk t/1/chunk/0 \(1 of 1\).*too large"):
            publisher.publish(1, np.zeros((600, 1000), np.float32))


def test_a_version_not_above_the_newest_committed_one_and_an_activate_of_an_uncommitted_one_are_refused(kafka):
    topic = unique("pub-newer")
    with tokvec.Publisher(kafka.bootstrap, kafka.registry, topic, "t") as publisher:
        publisher.publish(3, np.ones((4, 2), np.float32))
        for version, reason in ((3, "DUPLICATE_VERSION"), (2, "VERSION_NOT_NEWER")):
            with pytest.raises(tokvec.Refused, match=rf"v{version} is not above v3, .* {reason} \(publish v4 or higher"):
                publisher.publish(version, np.ones((4, 2), np.float32))
        with pytest.raises(tokvec.Refused, match=r"v2 is not committed on .* \(committed: \[3\]\).* UNKNOWN_VERSION"):
            publisher.activate(2)
    assert [k for k, _ in read_all(kafka, topic)] == [b"t/3/chunk/0", b"t/3/commit"]
