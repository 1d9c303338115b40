package io.tokvec.http;

import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Prometheus text for {@code /metrics}: every Kafka Streams metric of the application (client,
 * threads, tasks, and tokvec's own group {@code tokvec-metrics}) through Micrometer's
 * {@link KafkaStreamsMetrics} binder, plus JVM memory, GC, thread and CPU metrics.
 *
 * <p>Micrometer names a Kafka metric {@code kafka.<group>.<name>} with {@code -metrics} removed
 * from the group and dots for dashes; Prometheus then uses underscores, so tokvec's
 * {@code events-enriched-total} is {@code kafka_tokvec_events_enriched_total}. Kafka's tags
 * become labels (dashes to underscores), with a {@code kafka_version} label added.
 *
 * <p>The binder looks for new Kafka metrics once a minute only; tokvec's metrics and the task
 * metrics appear when the stream threads get their tasks. So each scrape compares the set of
 * Kafka metric names with the one bound and rebinds when it changed: a scrape always shows every
 * metric that exists at that moment.
 */
public final class MetricsExport implements AutoCloseable {

    /** Prometheus text exposition format 0.0.4. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final KafkaStreams streams;
    private final List<Tag> tags;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private KafkaStreamsMetrics bound;
    private Set<MetricName> boundNames = Set.of();

    public MetricsExport(KafkaStreams streams, String applicationId) {
        this.streams = streams;
        this.tags = List.of(Tag.of("application", applicationId));
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    /** The current metrics in Prometheus text format. */
    public synchronized String scrape() {
        Set<MetricName> names = new HashSet<>(streams.metrics().keySet());
        if (!names.equals(boundNames)) {
            if (bound != null) {
                bound.close();
            }
            bound = new KafkaStreamsMetrics(streams, tags);
            bound.bindTo(registry);
            boundNames = names;
        }
        return registry.scrape();
    }

    @Override
    public synchronized void close() {
        if (bound != null) {
            bound.close();
        }
        gc.close();
        registry.close();
    }
}
