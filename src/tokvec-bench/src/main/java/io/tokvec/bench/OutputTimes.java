package io.tokvec.bench;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * The outputs of one side-by-side round, read after the pipeline has written them all (so that
 * reading costs the pipeline nothing): every record's LogAppendTime, the bytes, and the first value.
 * {@link Reader#awaitComplete} watches the output's last stable offsets (cheap) until they reach the
 * expected count and stop moving, then {@link Reader#read} reads the topic, read_committed, from the
 * beginning.
 */
final class OutputTimes {

    private final long[] timestamps; // sorted
    private final int warmup;
    private final long bytes;
    private final byte[] first;

    private OutputTimes(long[] timestamps, int warmup, long bytes, byte[] first) {
        this.timestamps = timestamps;
        this.warmup = Math.max(0, Math.min(timestamps.length - 2, warmup));
        this.bytes = bytes;
        this.first = first;
    }

    /** Deserializes a value to its size; keeps a copy of the first one (no other copies). */
    private static final class ValueSize implements Deserializer<Integer> {
        byte[] first;

        @Override
        public Integer deserialize(String topic, byte[] data) {
            if (data != null && first == null) {
                first = data.clone();
            }
            return data == null ? 0 : data.length;
        }

        @Override
        public Integer deserialize(String topic, Headers headers, ByteBuffer data) {
            if (data == null) {
                return 0;
            }
            if (first == null) {
                first = new byte[data.remaining()];
                data.duplicate().get(first);
            }
            return data.remaining();
        }
    }

    /** A reader of one output topic: {@link #awaitComplete}, then {@link #read}. */
    static final class Reader implements AutoCloseable {
        private final KafkaConsumer<byte[], Integer> consumer;
        private final ValueSize values = new ValueSize();
        private final String topic;
        private final List<TopicPartition> parts;

        Reader(String bootstrap, String topic) {
            Map<String, Object> p = new HashMap<>();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-output-reader");
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(16 << 20));
            p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(64 << 20));
            p.put(ConsumerConfig.CHECK_CRCS_CONFIG, "false");
            this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), values);
            this.topic = topic;
            this.parts = consumer.partitionsFor(topic).stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(parts);
        }

        /**
         * Waits until the topic's last stable offsets (transaction markers take offsets too) reach
         * {@code expected} and stay there for 300 ms, or, once {@code alive} says the pipeline has
         * exited, stay for 2 s. Cheap: one offsets request every 100 ms.
         */
        void awaitComplete(long expected, Duration timeout, BooleanSupplier alive) throws InterruptedException, TimeoutException {
            long deadline = System.nanoTime() + timeout.toNanos();
            long last = -1;
            long stableSince = System.nanoTime();
            while (true) {
                long end = consumer.endOffsets(parts).values().stream().mapToLong(Long::longValue).sum();
                if (end != last) {
                    last = end;
                    stableSince = System.nanoTime();
                } else if (end >= expected && System.nanoTime() - stableSince > 300_000_000L) {
                    return;
                }
                if (!alive.getAsBoolean() && System.nanoTime() - stableSince > 2_000_000_000L) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException(topic + ": " + end + " offsets of " + expected + " expected records within " + timeout);
                }
                Thread.sleep(100);
            }
        }

        /**
         * Reads every committed record from the beginning.
         *
         * @param warmup outputs before the measured ones
         * @throws IllegalStateException when fewer than {@code expected} are there
         */
        OutputTimes read(long expected, int warmup, Duration timeout) throws TimeoutException {
            long deadline = System.nanoTime() + timeout.toNanos();
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> ends = consumer.endOffsets(parts);
            long[] ts = new long[(int) Math.max(16, expected)];
            int n = 0;
            long bytes = 0;
            boolean logAppend = true;
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException(topic + ": read " + n + " records within " + timeout);
                }
                for (ConsumerRecord<byte[], Integer> r : consumer.poll(Duration.ofMillis(200))) {
                    if (n == ts.length) {
                        ts = Arrays.copyOf(ts, n * 2);
                    }
                    ts[n++] = r.timestamp();
                    bytes += r.value();
                    logAppend &= r.timestampType() == TimestampType.LOG_APPEND_TIME;
                }
            }
            if (n < expected) {
                throw new IllegalStateException(topic + ": " + n + " records of " + expected + " expected");
            }
            if (!logAppend) {
                throw new IllegalStateException(topic + " must use message.timestamp.type=LogAppendTime");
            }
            long[] sorted = Arrays.copyOf(ts, n);
            Arrays.sort(sorted);
            return new OutputTimes(sorted, warmup, bytes, values.first);
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    int count() {
        return timestamps.length;
    }

    double meanBytes() {
        return (double) bytes / timestamps.length;
    }

    byte[] firstValue() {
        return first;
    }

    /** The first LogAppendTime the rate counts from (output number {@code warmup}). */
    long measuredFrom() {
        return timestamps[warmup()];
    }

    long lastTimestamp() {
        return timestamps[timestamps.length - 1];
    }

    /** Records per second by the broker's clock, from output number {@code warmup} to the last. */
    double eventsPerSecond() {
        int from = warmup();
        long ms = Math.max(1, lastTimestamp() - timestamps[from]);
        return (timestamps.length - 1 - from) / (ms / 1e3);
    }

    /** Longest time between two consecutive outputs (by LogAppendTime) after the warmup, ms. */
    long longestGapMs() {
        long gap = 0;
        for (int i = warmup() + 1; i < timestamps.length; i++) {
            gap = Math.max(gap, timestamps[i] - timestamps[i - 1]);
        }
        return gap;
    }

    private int warmup() {
        return warmup;
    }
}
