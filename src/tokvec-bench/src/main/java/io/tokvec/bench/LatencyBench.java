package io.tokvec.bench;

import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * End-to-end latency on the embedded broker: from the producer's send (the input record's
 * CreateTime, which Kafka Streams gives the output record) to the enriched record received by a
 * consumer ({@code read_committed} under exactly_once_v2), in ms. Per guarantee (at_least_once,
 * exactly_once_v2): first the maximum rate (a flood of events, timed by the reader), then paced
 * runs at 25%, 50% and 80% of it, each with p50/p99/p99.9/max; then a paced run at 50% during which
 * a second version of the table (same shape) is published: the p99 of the events sent in the swap
 * window (from the first chunk sent to {@value #AFTER_SWAP_MS} ms after the pointer flip).
 */
final class LatencyBench {

    static final long AFTER_SWAP_MS = 500;
    static final double[] LOADS = {0.25, 0.50, 0.80};

    /** What one paced run measured. */
    record Latencies(String guarantee, double offeredPerSecond, double load, int events, long p50, long p99, long p999,
                     long max) {

        String describe() {
            return String.format(Locale.ROOT, "%s at %.0f%% of max (%,.0f ev/s offered): p50 %d ms, p99 %d ms, p99.9 %d ms,"
                    + " max %d ms (%,d events)", guarantee, load * 100, offeredPerSecond, p50, p99, p999, max, events);
        }
    }

    private final Workload workload;
    private final BrokerProcess broker;
    private final Path stateDir;
    private final Duration timeout = Duration.ofMinutes(5);

    LatencyBench(Workload workload, BrokerProcess broker, Path stateDir) {
        this.workload = workload;
        this.broker = broker;
        this.stateDir = stateDir;
    }

    void run(BenchReport report) throws Exception {
        EmbeddingTable swapTable = Workload.gaussianTable(Workload.TABLE, 2, workload.settings().rows(), workload.settings().dim(),
                workload.settings().seed() + 1);
        for (String guarantee : List.of(StreamsConfig.AT_LEAST_ONCE, StreamsConfig.EXACTLY_ONCE_V2)) {
            measure(guarantee, swapTable, report);
        }
        report.detail("latency: produce (CreateTime) to enriched record received, ms resolution; the bench's producer linger.ms="
                + BenchKafka.PRODUCER.get("linger.ms") + ", tokvec's producer its defaults; exactly_once_v2 outputs become visible at each commit"
                + " (commit.interval.ms=100 by default); paced runs of " + seconds() + " s each");
    }

    private void measure(String guarantee, EmbeddingTable swapTable, BenchReport report) throws Exception {
        BenchSettings s = workload.settings();
        String prefix = guarantee.startsWith("exactly") ? "lat-eos" : "lat-alos";
        String scope = "tokvec-bench-" + prefix + "-" + System.nanoTime();
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(scope);
        TokvecConfig cfg = BenchKafka.appConfig(broker, prefix, scope, stateDir, s,
                Map.of(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee));
        broker.createTopic(cfg.inputTopic(), cfg.topicPartitions(), Map.of());
        // CreateTime (the default), unlike the other parts: the output record keeps the input's send time
        broker.createTopic(cfg.outputTopic(), cfg.topicPartitions(), Map.of(
                TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(256 << 20),
                TopicConfig.RETENTION_BYTES_CONFIG, Long.toString(2L << 30)));
        broker.createTopic(cfg.dlqTopic(), cfg.topicPartitions(), Map.of());
        Topics.ensureAll(cfg);
        int n = workload.size();
        byte[][] keys = workload.keys(n);
        byte[][] values = workload.serialized(registry, cfg.inputTopic(), n);
        AtomicLong swappedAt = new AtomicLong();
        try (ModelPublisher publisher = new ModelPublisher(cfg, registry);
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(BenchKafka.producerProps(broker, "bench-" + prefix),
                     new ByteArraySerializer(), new ByteArraySerializer());
             OutputRecorder out = new OutputRecorder(BenchKafka.outputConsumerProps(broker, "bench-" + prefix + "-reader",
                     guarantee), cfg.outputTopic(), true);
             TokvecApp app = new TokvecApp(cfg)) {
            publisher.publish(workload.table(), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of("source", "tokvec bench"), null);
            app.registry().onSwap(swap -> {
                if (swap.version() == 2) swappedAt.set(System.currentTimeMillis());
            });
            app.start();
            double max = Rounds.round(producer, cfg.inputTopic(), keys, values, out, s, timeout);
            report.add(new BenchReport.Row("lat-max", max, Double.NaN, max * s.embeddingBytes() / 1e6, String.format(Locale.ROOT,
                    "%s: maximum rate for the latency runs (%,d events flooded)", guarantee, s.e2eEvents())));
            Latencies half = null;
            for (double load : LOADS) {
                long from = out.count();
                paced(producer, cfg.inputTopic(), keys, values, out, load * max, seconds(), null);
                Latencies l = latencies(guarantee, load, load * max, out, from, Long.MIN_VALUE, Long.MAX_VALUE);
                report.add(new BenchReport.Row("lat-" + Math.round(load * 100), l.offeredPerSecond(), Double.NaN, Double.NaN,
                        l.describe()));
                if (load == 0.50) half = l;
            }
            long from = out.count();
            long[] publishedAt = new long[1];
            paced(producer, cfg.inputTopic(), keys, values, out, 0.5 * max, seconds(), () -> {
                publishedAt[0] = System.currentTimeMillis();
                publisher.publish(swapTable, ModelChunker.DEFAULT_CHUNK_BYTES, Map.of("source", "tokvec bench"), null);
            });
            if (swappedAt.get() == 0) {
                throw new IllegalStateException(guarantee + ": the swap to v2 did not happen during the paced run");
            }
            Latencies swap = latencies(guarantee, 0.5, 0.5 * max, out, from, publishedAt[0], swappedAt.get() + AFTER_SWAP_MS);
            report.add(new BenchReport.Row("lat-swap", swap.offeredPerSecond(), Double.NaN, Double.NaN, String.format(Locale.ROOT,
                    "%s, events sent in the swap window (%d ms: publish of a %,d x %d v2, build, flip, +%d ms): p99 %d ms, max %d ms",
                    guarantee, swappedAt.get() + AFTER_SWAP_MS - publishedAt[0], swapTable.rows(), swapTable.dim(), AFTER_SWAP_MS,
                    swap.p99(), swap.max())));
            if (guarantee.equals(StreamsConfig.AT_LEAST_ONCE)) {
                report.p99Ms = (double) half.p99();
                report.swapP99Ms = (double) swap.p99();
            }
            if (app.metrics().deadLetterCount() != 0) {
                throw new IllegalStateException(guarantee + ": " + app.metrics().deadLetterCount() + " events were dead-lettered");
            }
        } finally {
            MockSchemaRegistry.dropScope(scope);
        }
    }

    private double seconds() {
        return workload.settings().quick() ? 4 : 8;
    }

    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    /**
     * Sends at a fixed rate for {@code seconds} (each send on schedule, not in bursts), running
     * {@code midway} (if any) a third of the way in, on another thread; then waits for every output.
     */
    private void paced(KafkaProducer<byte[], byte[]> producer, String topic, byte[][] keys, byte[][] values, OutputRecorder out,
                       double perSecond, double seconds, Action midway) throws Exception {
        paced(producer, topic, keys, values, out, perSecond, seconds, midway, timeout);
    }

    /** As {@link #paced(KafkaProducer, String, byte[][], byte[][], OutputRecorder, double, double, Action)}, waiting at most {@code timeout}. */
    static void paced(KafkaProducer<byte[], byte[]> producer, String topic, byte[][] keys, byte[][] values, OutputRecorder out,
                      double perSecond, double seconds, Action midway, Duration timeout) throws Exception {
        long base = out.count();
        long total = Math.max(1, Math.round(perSecond * seconds));
        long interval = Math.round(1e9 / perSecond);
        Thread side = null;
        Throwable[] sideFailure = new Throwable[1];
        long t0 = System.nanoTime();
        for (long i = 0; i < total; i++) {
            long due = t0 + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            if (midway != null && side == null && i >= total / 3) {
                side = new Thread(() -> {
                    try {
                        midway.run();
                    } catch (Throwable t) {
                        sideFailure[0] = t;
                    }
                }, "bench-latency-publish");
                side.start();
            }
            int k = (int) ((base + i) % keys.length);
            producer.send(new ProducerRecord<>(topic, keys[k], values[k]));
        }
        producer.flush();
        if (side != null) {
            side.join(timeout.toMillis());
            if (sideFailure[0] != null) {
                throw new IllegalStateException("publishing during the paced run failed", sideFailure[0]);
            }
        }
        out.awaitCount(base + total, timeout);
    }

    /** Percentiles of receive time - CreateTime of outputs {@code from..count()}, sent within {@code [sentFrom, sentTo]}. */
    static Latencies latencies(String guarantee, double load, double offered, OutputRecorder out, long from,
                                       long sentFrom, long sentTo) throws TimeoutException {
        long[] ts = out.timestampsSince(from);
        long[] rx = out.receivedMillisSince(from);
        long[] lat = new long[ts.length];
        int m = 0;
        for (int i = 0; i < ts.length; i++) {
            if (ts[i] >= sentFrom && ts[i] <= sentTo) {
                lat[m++] = rx[i] - ts[i];
            }
        }
        if (m == 0) {
            throw new TimeoutException(guarantee + ": no outputs in the measured window");
        }
        long[] sorted = Arrays.copyOf(lat, m);
        Arrays.sort(sorted);
        return new Latencies(guarantee, offered, load, m, percentile(sorted, 0.50), percentile(sorted, 0.99),
                percentile(sorted, 0.999), sorted[m - 1]);
    }

    /** Nearest-rank percentile of sorted values. */
    static long percentile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
