package io.tokvec.it;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Reads one topic from the beginning, without a consumer group, with {@code isolation.level}
 * {@code read_committed} (or {@code read_uncommitted}, to look at aborted records too), decoding
 * values with the given deserializer and keeping every record with its partition and offset. One
 * thread only, like the consumer it wraps.
 */
final class TopicReader<T> implements AutoCloseable {

    /** One record read: where it was, its raw key and value, and the decoded value (null for a tombstone). */
    record Received<T>(int partition, long offset, byte[] key, byte[] raw, T value) {
    }

    private final String topic;
    private final Deserializer<T> deserializer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> partitions;
    private final List<Received<T>> records = new ArrayList<>();

    TopicReader(Map<String, Object> clientProps, String topic, Deserializer<T> deserializer, boolean readCommitted) {
        this.topic = topic;
        this.deserializer = deserializer;
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, readCommitted ? "read_committed" : "read_uncommitted");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "it-reader-" + topic);
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.partitions = consumer.partitionsFor(topic, Duration.ofSeconds(60)).stream()
                .map(pi -> new TopicPartition(topic, pi.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    TopicReader(Map<String, Object> clientProps, String topic, Deserializer<T> deserializer) {
        this(clientProps, topic, deserializer, true);
    }

    /** Polls once (briefly) and returns every record read so far. */
    List<Received<T>> poll() {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
            T value = r.value() == null ? null : deserializer.deserialize(topic, r.value());
            records.add(new Received<>(r.partition(), r.offset(), r.key(), r.value(), value));
        }
        return records;
    }

    /** Every record read so far. */
    List<Received<T>> records() {
        return records;
    }

    /** Polls until {@code condition} holds for the records read so far. */
    List<Received<T>> awaitUntil(Duration timeout, String what, Predicate<List<Received<T>>> condition) {
        await(what + " on " + topic).atMost(timeout).pollInSameThread()
                .untilAsserted(() -> assertThat(condition.test(poll())).as(() -> records.size() + " records read").isTrue());
        return records;
    }

    /** Polls until at least {@code n} records were read. */
    List<Received<T>> awaitCount(int n, Duration timeout) {
        return awaitUntil(timeout, n + " records", rs -> rs.size() >= n);
    }

    /**
     * Reads up to the current end of every partition (for read_committed: the last stable offset, so
     * this also waits until no transaction on the topic is open) and returns every record read.
     */
    List<Received<T>> readToEnd(Duration timeout) {
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
        await("the end of " + topic + " " + end).atMost(timeout).pollInSameThread().untilAsserted(() -> {
            poll();
            assertThat(partitions).as(() -> records.size() + " records read")
                    .allMatch(tp -> consumer.position(tp) >= end.get(tp));
        });
        return records;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(10));
    }
}
