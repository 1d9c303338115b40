package io.tokvec.streams;

import io.tokvec.core.EnrichResult;
import io.tokvec.model.TableRegistry;
import io.tokvec.model.TableRejectedException;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.MeasurableStat;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.StreamsMetrics;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one application instance, shared by its processing threads (LongAdder: no contention
 * on the hot path). {@link #register} exposes them, with the table registry's, as Kafka Streams
 * metrics (group {@value #GROUP}, so also over JMX as {@code kafka.streams:type=tokvec-metrics,...}).
 */
public final class TokvecMetrics {

    private final LongAdder enriched = new LongAdder();
    private final LongAdder tokens = new LongAdder();
    private final LongAdder oovTokens = new LongAdder();
    private final LongAdder truncated = new LongAdder();
    private final LongAdder latencyNanos = new LongAdder();
    private final Map<DeadLetterReason, LongAdder> deadLetters = new EnumMap<>(DeadLetterReason.class);

    private volatile TableRegistry registry;

    public TokvecMetrics() {
        for (DeadLetterReason r : DeadLetterReason.values()) {
            deadLetters.put(r, new LongAdder());
        }
    }

    public static final String GROUP = "tokvec-metrics";

    /**
     * Registers every tokvec metric once per stream thread (Kafka Streams scopes sensors to the
     * thread that adds them; a replaced thread's replacement adds them again). Values are
     * application-wide, so every thread's copy reads the same numbers.
     */
    /** The table registry whose gauges {@link #register} exposes (the topology binds it when it is built). */
    public void bind(TableRegistry registry) {
        this.registry = registry;
    }

    public void register(StreamsMetrics streamsMetrics, String applicationId) {
        TableRegistry registry = this.registry;
        if (registry == null) {
            throw new IllegalStateException("no table registry bound to these metrics");
        }
        String thread = Thread.currentThread().getName();
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("application-id", applicationId);
        tags.put("table", registry.table());
        tags.put("thread-id", thread);
        Map<MetricName, DoubleSupplier> gauges = new LinkedHashMap<>();
        gauges.put(name("active-table-version", "Version of the active table (-1: none yet)", tags), registry::activeVersion);
        gauges.put(name("table-swaps-total", "Table swaps since start", tags), registry::swapCount);
        gauges.put(name("table-versions-rejected-total", "Rejected table versions and model records", tags), registry::rejectedCount);
        for (TableRejectedException.Reason r : TableRejectedException.Reason.values()) {
            gauges.put(name("table-versions-rejected-total", "Rejected table versions and model records, by reason",
                    with(tags, "reason", r.name())), () -> registry.rejectedCount(r));
        }
        gauges.put(name("events-enriched-total", "Events enriched", tags), this::enrichedCount);
        gauges.put(name("dead-letters-total", "Records sent to the dead-letter topic", tags), this::deadLetterCount);
        for (DeadLetterReason r : DeadLetterReason.values()) {
            gauges.put(name("dead-letters-total", "Records sent to the dead-letter topic, by reason",
                    with(tags, "reason", r.name())), () -> deadLetterCount(r));
        }
        gauges.put(name("oov-rate", "Share of kept tokens that were OOV (id 1)", tags), this::oovRate);
        gauges.put(name("truncation-rate", "Share of enriched events that were truncated", tags), this::truncationRate);
        gauges.put(name("enrichment-latency-avg-us", "Mean time to decode, enrich and forward one event (microseconds)", tags),
                this::meanLatencyMicros);

        var existing = streamsMetrics.metrics();
        if (existing.containsKey(gauges.keySet().iterator().next())) {
            return;
        }
        Sensor sensor = streamsMetrics.addSensor("tokvec", Sensor.RecordingLevel.INFO);
        gauges.forEach((n, supplier) -> sensor.add(n, new Gauge(supplier)));
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

    void enriched(EnrichResult r, long nanos) {
        enriched.increment();
        tokens.add(r.length());
        oovTokens.add(r.oovCount());
        if (r.truncated()) truncated.increment();
        latencyNanos.add(nanos);
    }

    void deadLetter(DeadLetterReason reason) {
        deadLetters.get(reason).increment();
    }

    public long enrichedCount() { return enriched.sum(); }
    public long tokenCount() { return tokens.sum(); }
    public long oovTokenCount() { return oovTokens.sum(); }
    public long truncatedCount() { return truncated.sum(); }
    public long deadLetterCount(DeadLetterReason reason) { return deadLetters.get(reason).sum(); }

    public long deadLetterCount() {
        long n = 0;
        for (LongAdder a : deadLetters.values()) n += a.sum();
        return n;
    }

    /** Share of kept tokens that were OOV (0 when none were kept). */
    public double oovRate() {
        long t = tokens.sum();
        return t == 0 ? 0 : (double) oovTokens.sum() / t;
    }

    /** Share of enriched events that were truncated. */
    public double truncationRate() {
        long e = enriched.sum();
        return e == 0 ? 0 : (double) truncated.sum() / e;
    }

    /** Mean time to decode, enrich and forward one event, in microseconds. */
    public double meanLatencyMicros() {
        long e = enriched.sum();
        return e == 0 ? 0 : latencyNanos.sum() / 1000.0 / e;
    }
}
