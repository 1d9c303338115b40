package io.tokvec.bench;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * Reads an output topic from the beginning on its own thread and counts records and value bytes.
 * It notes when each count was reached (after every poll), and, when asked, every record's
 * timestamp (the broker's LogAppendTime on the bench's output topics) and its receive time. Values
 * are not copied out of the fetched data (only their sizes are kept, and the first value), so the
 * reader adds little garbage of its own to the JVM the application runs in. With
 * {@code keepVersions}, it also notes the table version each {@code EnrichedEvent} names, read from
 * the head of the record (its third field) without decoding the rest.
 */
final class OutputRecorder implements AutoCloseable {

    /**
     * Deserializes a value to its size (low 32 bits) and, when asked, the table version it names (high
     * 32 bits); keeps a copy of the first one.
     */
    static final class ValueSize implements Deserializer<Long> {
        volatile byte[] first;
        private final boolean versions;

        ValueSize(boolean versions) {
            this.versions = versions;
        }

        @Override
        public Long deserialize(String topic, byte[] data) {
            return data == null ? 0L : deserialize(topic, null, ByteBuffer.wrap(data));
        }

        @Override
        public Long deserialize(String topic, Headers headers, ByteBuffer data) {
            if (data == null) {
                return 0L;
            }
            if (first == null) {
                byte[] copy = new byte[data.remaining()];
                data.duplicate().get(copy);
                first = copy;
            }
            return (versions ? tableVersion(data) << 32 : 0) | data.remaining();
        }

        /** The table_version of an EnrichedEvent in the Confluent wire format (after id and table), or 0. */
        private static long tableVersion(ByteBuffer data) {
            ByteBuffer b = data.duplicate();
            try {
                b.position(b.position() + 5); // magic byte and schema id
                for (int field = 0; field < 2; field++) { // id, table: a length, then that many bytes
                    int length = (int) zigzag(b); // read first: it moves the position
                    b.position(b.position() + length);
                }
                return zigzag(b);
            } catch (RuntimeException e) {
                return 0;
            }
        }

        private static long zigzag(ByteBuffer b) {
            long raw = 0;
            for (int shift = 0; ; shift += 7) {
                int x = b.get() & 0xff;
                raw |= (long) (x & 0x7f) << shift;
                if (x < 0x80) break;
            }
            return (raw >>> 1) ^ -(raw & 1);
        }
    }

    private final ValueSize values;
    private final KafkaConsumer<byte[], Long> consumer;
    private final boolean keepTimestamps;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Throwable failure;
    private volatile long count;
    private volatile long bytes;
    private volatile boolean logAppendTime = true;
    // poll log: count after a poll, and System.nanoTime() then
    private long[] pollCounts = new long[1024];
    private long[] pollNanos = new long[1024];
    private int polls;
    // per record (when keepTimestamps)
    private long[] timestamps = new long[0];
    private long[] received = new long[0];
    private int[] versions = new int[0];
    private int kept;

    OutputRecorder(Map<String, Object> consumerProps, String topic, boolean keepTimestamps) {
        this(consumerProps, topic, keepTimestamps, false);
    }

    /** As {@link #OutputRecorder(Map, String, boolean)}; with {@code keepVersions} (and timestamps) the version each record names. */
    OutputRecorder(Map<String, Object> consumerProps, String topic, boolean keepTimestamps, boolean keepVersions) {
        this.values = new ValueSize(keepVersions);
        this.consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), values);
        this.keepTimestamps = keepTimestamps;
        if (keepTimestamps) {
            timestamps = new long[1 << 16];
            received = new long[1 << 16];
            versions = new int[1 << 16];
        }
        List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        thread = new Thread(this::loop, "bench-recorder-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        try {
            while (running) {
                ConsumerRecords<byte[], Long> records = consumer.poll(Duration.ofMillis(50));
                if (records.isEmpty()) {
                    continue;
                }
                long now = System.currentTimeMillis();
                synchronized (this) {
                    long c = count;
                    long b = bytes;
                    for (ConsumerRecord<byte[], Long> r : records) {
                        c++;
                        b += (int) (long) r.value();
                        if (keepTimestamps) {
                            if (r.timestampType() != TimestampType.LOG_APPEND_TIME) {
                                logAppendTime = false;
                            }
                            keep(r.timestamp(), now, (int) (r.value() >>> 32));
                        }
                    }
                    if (polls == pollCounts.length) {
                        pollCounts = Arrays.copyOf(pollCounts, polls * 2);
                        pollNanos = Arrays.copyOf(pollNanos, polls * 2);
                    }
                    pollCounts[polls] = c;
                    pollNanos[polls] = System.nanoTime();
                    polls++;
                    bytes = b;
                    count = c;
                    notifyAll();
                }
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    private void keep(long timestamp, long receivedMs, int version) {
        if (kept == timestamps.length) {
            timestamps = Arrays.copyOf(timestamps, kept * 2);
            received = Arrays.copyOf(received, kept * 2);
            versions = Arrays.copyOf(versions, kept * 2);
        }
        timestamps[kept] = timestamp;
        received[kept] = receivedMs;
        versions[kept] = version;
        kept++;
    }

    /** Table versions of records {@code from, from + 1, ...} read so far (with {@code keepVersions}; else 0s). */
    synchronized int[] versionsSince(long from) {
        return Arrays.copyOfRange(versions, (int) Math.min(from, kept), kept);
    }

    long count() {
        return count;
    }

    long bytes() {
        return bytes;
    }

    byte[] firstValue() {
        return values.first;
    }

    /** Waits until {@code n} records were read; returns the {@link System#nanoTime()} of the poll that got there. */
    synchronized long awaitCount(long n, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count < n) {
            if (failure != null) {
                throw new IllegalStateException("output consumer failed: " + failure, failure);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("only " + count + " of " + n + " output records arrived within " + timeout);
            }
            wait(Math.max(1, left / 1_000_000));
        }
        for (int i = 0; i < polls; i++) {
            if (pollCounts[i] >= n) {
                return pollNanos[i];
            }
        }
        throw new IllegalStateException("poll log lost count " + n);
    }

    /** Stops reading (waits for the thread). Timestamps are complete afterwards. */
    @Override
    public void close() {
        running = false;
        Joins.join(thread, 10_000);
    }

    /** Record timestamps (LogAppendTime), in the order read; only after {@link #close()}. */
    long[] timestamps() {
        return Arrays.copyOf(timestamps, kept);
    }

    /** Wall-clock receive time of each record (ms), in the order read; only after {@link #close()}. */
    long[] receivedMillis() {
        return Arrays.copyOf(received, kept);
    }

    /** Record timestamps of records {@code from, from + 1, ...} read so far (while reading, too). */
    synchronized long[] timestampsSince(long from) {
        return Arrays.copyOfRange(timestamps, (int) Math.min(from, kept), kept);
    }

    /** Receive times (ms) of records {@code from, from + 1, ...} read so far (while reading, too). */
    synchronized long[] receivedMillisSince(long from) {
        return Arrays.copyOfRange(received, (int) Math.min(from, kept), kept);
    }

    /** Whether every record carried a LogAppendTime timestamp. */
    boolean allLogAppendTime() {
        return logAppendTime;
    }
}
