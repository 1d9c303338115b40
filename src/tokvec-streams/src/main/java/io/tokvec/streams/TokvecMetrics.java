package io.tokvec.streams;

import io.tokvec.core.EnrichResult;
import io.tokvec.model.RegistrySnapshot;
import io.tokvec.model.TableRegistry;
import io.tokvec.model.TableRejectedException;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.MeasurableStat;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.streams.StreamsMetrics;

import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;

/**
 * tokvec's metrics, in Kafka Streams' metrics (group {@value #GROUP}, so also over JMX as
 * {@code kafka.streams:type=tokvec-metrics,...}), each counted once:
 * <ul>
 *   <li>application-wide, registered once per application, tags {@code application-id} and
 *       {@code table} (and {@code reason}): {@code active-table-version}, {@code table-swaps-total},
 *       {@code table-versions-rejected-total}, read from the table registry's published snapshot;</li>
 *   <li>per stream thread, registered once per thread, tags {@code application-id}, {@code table} and
 *       {@code thread-id} (and {@code reason}): {@code events-enriched-total}, {@code dead-letters-total},
 *       {@code oov-rate}, {@code truncation-rate}, and {@code enrichment-latency-avg-us} /
 *       {@code enrichment-latency-max-us} (decode, enrich and forward one event), windowed like Kafka's
 *       own sensors ({@code metrics.sample.window.ms} x {@code metrics.num.samples}, 30 s x 2 by default).
 *       A sum over {@code thread-id} is the application's count; a replaced thread's series keep their
 *       last values, so sums never go back.</li>
 * </ul>
 * An enrichment named otherwise than {@value TokvecEnrichment#DEFAULT_NAME} adds the tag
 * {@code enrichment} (its name) to each. The totals below ({@link #enrichedCount()}, ...) are the
 * enrichment's own, over every thread.
 */
public final class TokvecMetrics {

    public static final String GROUP = "tokvec-metrics";

    private final String enrichment;
    private volatile TableRegistry registry;
    private final Map<String, ThreadMetrics> threads = new ConcurrentHashMap<>();

    /** The metrics of the standalone application (the enrichment named {@value TokvecEnrichment#DEFAULT_NAME}). */
    public TokvecMetrics() {
        this(TokvecEnrichment.DEFAULT_NAME);
    }

    /**
     * The metrics of the enrichment named {@code enrichment}: its sensors are its own, and its metrics
     * carry the tag {@code enrichment} unless it has the default name, so that two enrichments of one
     * application count apart.
     */
    TokvecMetrics(String enrichment) {
        this.enrichment = enrichment;
    }

    /** The table registry whose gauges {@link #registerApplication} exposes (the topology binds it when it is built). */
    public void bind(TableRegistry registry) {
        this.registry = registry;
    }

    /**
     * Registers the application-wide metrics (the table's), once per application; later calls do
     * nothing. Every stream thread's first task calls it (and the global processor): synchronized, so
     * that two threads starting together do not both add them.
     */
    public synchronized void registerApplication(StreamsMetrics streamsMetrics, String applicationId) {
        TableRegistry registry = this.registry;
        if (registry == null) {
            throw new IllegalStateException("no table registry bound to these metrics");
        }
        Map<String, String> tags = tags(applicationId, registry.table(), null);
        Map<MetricName, DoubleSupplier> gauges = new LinkedHashMap<>();
        gauges.put(name("active-table-version", "Version of the active table (-1: none yet)", tags), registry::activeVersion);
        gauges.put(name("table-swaps-total", "Table swaps since start", tags), () -> snapshot().swaps());
        gauges.put(name("table-versions-rejected-total", "Rejected table versions and model records", tags),
                () -> snapshot().rejectedTotal());
        for (TableRejectedException.Reason r : TableRejectedException.Reason.values()) {
            gauges.put(name("table-versions-rejected-total", "Rejected table versions and model records, by reason",
                    with(tags, "reason", r.name())), () -> snapshot().rejectedByReason().getOrDefault(r, 0L));
        }
        addOnce(streamsMetrics, enrichment + "-table." + registry.table(), gauges);
    }

    private RegistrySnapshot snapshot() {
        return registry.snapshot();
    }

    /**
     * The counters of the calling stream thread, registered in Kafka Streams' metrics once per thread
     * (every task of the thread shares them).
     */
    ThreadMetrics forThread(StreamsMetrics streamsMetrics, String applicationId) {
        TableRegistry registry = this.registry;
        if (registry == null) {
            throw new IllegalStateException("no table registry bound to these metrics");
        }
        String thread = Thread.currentThread().getName();
        return threads.computeIfAbsent(thread, t -> new ThreadMetrics(streamsMetrics, tags(applicationId, registry.table(), t),
                enrichment + "-thread." + t));
    }

    /** One stream thread's counters; written by that thread only. */
    static final class ThreadMetrics {
        private final LongAdder enriched = new LongAdder();
        private final LongAdder tokens = new LongAdder();
        private final LongAdder oovTokens = new LongAdder();
        private final LongAdder truncated = new LongAdder();
        private final Map<DeadLetterReason, LongAdder> deadLetters = new EnumMap<>(DeadLetterReason.class);
        private final Sensor latency;

        ThreadMetrics(StreamsMetrics streamsMetrics, Map<String, String> tags, String sensorName) {
            for (DeadLetterReason r : DeadLetterReason.values()) {
                deadLetters.put(r, new LongAdder());
            }
            Map<MetricName, DoubleSupplier> gauges = new LinkedHashMap<>();
            gauges.put(name("events-enriched-total", "Events enriched by this thread", tags), enriched::sum);
            gauges.put(name("dead-letters-total", "Records this thread sent to the dead-letter topic", tags), this::deadLetterCount);
            for (DeadLetterReason r : DeadLetterReason.values()) {
                gauges.put(name("dead-letters-total", "Records this thread sent to the dead-letter topic, by reason",
                        with(tags, "reason", r.name())), () -> deadLetters.get(r).sum());
            }
            gauges.put(name("oov-rate", "Share of kept tokens that were OOV (id 1), this thread", tags), this::oovRate);
            gauges.put(name("truncation-rate", "Share of events this thread enriched that were truncated", tags),
                    this::truncationRate);
            addOnce(streamsMetrics, sensorName, gauges);
            latency = streamsMetrics.addSensor(sensorName + ".latency", Sensor.RecordingLevel.INFO);
            MetricName avg = name("enrichment-latency-avg-us",
                    "Mean time to decode, enrich and forward one event over the metrics window (microseconds)", tags);
            if (!streamsMetrics.metrics().containsKey(avg)) {
                latency.add(avg, new Avg());
                latency.add(name("enrichment-latency-max-us",
                        "Longest time to decode, enrich and forward one event over the metrics window (microseconds)", tags),
                        new Max());
            }
        }

        void enriched(EnrichResult r, long nanos) {
            enriched.increment();
            tokens.add(r.length());
            oovTokens.add(r.oovCount());
            if (r.truncated()) truncated.increment();
            latency.record(nanos / 1000.0);
        }

        void deadLetter(DeadLetterReason reason) {
            deadLetters.get(reason).increment();
        }

        long deadLetterCount() {
            long n = 0;
            for (LongAdder a : deadLetters.values()) n += a.sum();
            return n;
        }

        double oovRate() {
            long t = tokens.sum();
            return t == 0 ? 0 : (double) oovTokens.sum() / t;
        }

        double truncationRate() {
            long e = enriched.sum();
            return e == 0 ? 0 : (double) truncated.sum() / e;
        }
    }

    private static void addOnce(StreamsMetrics streamsMetrics, String sensorName, Map<MetricName, DoubleSupplier> gauges) {
        if (streamsMetrics.metrics().containsKey(gauges.keySet().iterator().next())) {
            return;
        }
        Sensor sensor = streamsMetrics.addSensor(sensorName, Sensor.RecordingLevel.INFO);
        gauges.forEach((n, supplier) -> sensor.add(n, new Gauge(supplier)));
    }

    private Map<String, String> tags(String applicationId, String table, String thread) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("application-id", applicationId);
        tags.put("table", table);
        if (!enrichment.equals(TokvecEnrichment.DEFAULT_NAME)) {
            tags.put("enrichment", enrichment);
        }
        if (thread != null) {
            tags.put("thread-id", thread);
        }
        return tags;
    }

    private static MetricName name(String name, String description, Map<String, String> tags) {
        return new MetricName(name, GROUP, description, tags);
    }

    private static Map<String, String> with(Map<String, String> tags, String k, String v) {
        Map<String, String> m = new LinkedHashMap<>(tags);
        m.put(k, v.toLowerCase(Locale.ROOT));
        return m;
    }

    /** A read-only metric whose value comes from a supplier. */
    private record Gauge(DoubleSupplier supplier) implements MeasurableStat {
        @Override
        public double measure(MetricConfig config, long now) {
            return supplier.getAsDouble();
        }

        @Override
        public void record(MetricConfig config, double value, long timeMs) {
            // values are read, not recorded
        }
    }

    // ---- the application's totals (every thread, replaced ones included): tests, benchmarks, the demo ----

    private Collection<ThreadMetrics> all() {
        return threads.values();
    }

    public long enrichedCount() { return all().stream().mapToLong(t -> t.enriched.sum()).sum(); }
    public long tokenCount() { return all().stream().mapToLong(t -> t.tokens.sum()).sum(); }
    public long oovTokenCount() { return all().stream().mapToLong(t -> t.oovTokens.sum()).sum(); }
    public long truncatedCount() { return all().stream().mapToLong(t -> t.truncated.sum()).sum(); }
    public long deadLetterCount(DeadLetterReason reason) { return all().stream().mapToLong(t -> t.deadLetters.get(reason).sum()).sum(); }
    public long deadLetterCount() { return all().stream().mapToLong(ThreadMetrics::deadLetterCount).sum(); }

    /** Share of kept tokens that were OOV (0 when none were kept). */
    public double oovRate() {
        long t = tokenCount();
        return t == 0 ? 0 : (double) oovTokenCount() / t;
    }

    /** Share of enriched events that were truncated. */
    public double truncationRate() {
        long e = enrichedCount();
        return e == 0 ? 0 : (double) truncatedCount() / e;
    }
}
