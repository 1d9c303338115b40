package io.tokvec.streams;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.EnrichedEventFloats;
import io.tokvec.config.TokvecConfig;

import io.tokvec.kafka.Topics;
import io.tokvec.http.MetricsExport;
import io.tokvec.http.OpsServer;
import io.tokvec.model.TableRegistry;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.RetryingSchemaRegistryClient;
import org.apache.avro.Schema;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One running tokvec application: schema-registry client, table registry, metrics, topology and
 * {@link KafkaStreams}, with tokvec's uncaught-exception policy: a failed stream thread is replaced
 * (it resumes from the last commit); a failed global thread (the model topic's) stops the
 * application, which then {@linkplain #failed() fails} visibly: {@code run} exits non-zero and
 * {@code /health/live} answers 503 with the reason meanwhile. {@code run}, {@code demo}, the
 * benchmarks and the integration tests all start the application through this class.
 */
public final class TokvecApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TokvecApp.class);

    private final TokvecConfig config;
    private final RetryingSchemaRegistryClient schemaRegistry;
    private final TableRegistry registry;
    private final TokvecMetrics metrics = new TokvecMetrics();
    private final KafkaStreams streams;
    private MetricsExport metricsExport;
    private OpsServer opsServer;
    private final CompletableFuture<String> failed = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    public TokvecApp(TokvecConfig config) {
        this.config = config;
        // Registry hiccups are retried in place (bounded backoff) instead of failing the thread: a
        // replaced thread's partitions wait for the session timeout. Model records (global thread,
        // no transaction, no poll deadline) are retried until the registry answers.
        this.schemaRegistry = new RetryingSchemaRegistryClient(SchemaRegistries.forConfig(config.clientProps()),
                config.registryRetryTimeoutMs(), config.registryRetryBackoffMaxMs());
        this.registry = TokvecTopology.newRegistry(config, schemaRegistry.withTimeout(Long.MAX_VALUE));
        Properties props = TokvecTopology.streamsProps(config);
        this.streams = new KafkaStreams(TokvecTopology.build(config, registry, schemaRegistry, metrics, io.tokvec.core.Ticker.SYSTEM,
                TokvecTopology.outputArraysReusable(props)), props);
        streams.setUncaughtExceptionHandler(e -> {
            if (Thread.currentThread().getName().endsWith("-GlobalStreamThread")) {
                // the model topic's thread cannot be replaced: without it no version is ever swapped in
                // again. Stop, so that the process exits non-zero and an orchestrator restarts it.
                fail("the global thread (model topic " + config.modelTopic() + ") failed: " + e);
                log.error("the global thread failed; the application stops", e);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            // Bad records never get here (they are dead-lettered); what does is transient (schema
            // registry or broker unreachable) or a bug: replace the thread, which resumes from the
            // last committed offsets, so nothing is lost and nothing is enriched twice under EOS.
            log.error("stream thread failed; replacing it (resumes from the last committed offsets)", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> {
            log.info("application state {} -> {}", before, now);
            if (now == KafkaStreams.State.PENDING_ERROR || now == KafkaStreams.State.ERROR) {
                fail("Kafka Streams went from " + before + " to " + now + " (a thread of it died; see the log above)");
            }
        });
        streams.setGlobalStateRestoreListener(new StateRestoreListener() {
            @Override
            public void onRestoreStart(TopicPartition partition, String store, long start, long end) {
                if (TokvecTopology.MODEL_STORE.equals(store)) {
                    log.info("restoring the model store from {} (offsets {}..{})", partition, start, end);
                    registry.restoring(true);
                }
            }

            @Override
            public void onBatchRestored(TopicPartition partition, String store, long batchEnd, long count) {
            }

            @Override
            public void onRestoreEnd(TopicPartition partition, String store, long total) {
                if (TokvecTopology.MODEL_STORE.equals(store)) {
                    log.info("model store restored ({} records); activating the current version", total);
                    registry.restoring(false);
                }
            }
        });
    }

    /** Creates the topics that are missing (from the config's partitions and replication). */
    public TokvecApp createTopics() {
        Topics.ensureAll(config);
        return this;
    }

    public TokvecApp start() {
        log.info("starting: {} -> {} (dead letters {}), model topic {}, table {}, max_len {}", config.inputTopic(),
                config.outputTopic(), config.dlqTopic(), config.modelTopic(), config.table(), config.enrichOptions().maxLen());
        Thread schemaWarmUp = new Thread(this::registerOutputSchema, "tokvec-output-schema");
        schemaWarmUp.setDaemon(true);
        schemaWarmUp.start();
        streams.start();
        if (config.httpPort() >= 0 && opsServer == null) {
            metricsExport = new MetricsExport(streams, TokvecTopology.streamsProps(config).getProperty(StreamsConfig.APPLICATION_ID_CONFIG));
            opsServer = new OpsServer(config.httpBind(), config.httpPort(), streams::state, registry::snapshot, this::failure,
                    metricsExport);
        }
        return this;
    }

    /**
     * Registers the output schema under the output topic's subject, what the first output record
     * would otherwise do on the stream thread (a registry round trip after a restart), while Kafka
     * Streams starts; the answer is cached by the client the output serializer uses. A failure here
     * changes nothing: the first output record registers it as before.
     */
    private void registerOutputSchema() {
        Schema schema = config.outputEncoding() == TokvecConfig.OutputEncoding.FLOATS
                ? EnrichedEventFloats.getClassSchema() : EnrichedEvent.getClassSchema();
        try {
            schemaRegistry.register(config.outputTopic() + "-value", schema);
        } catch (IOException | RuntimeException e) {
            log.debug("output schema not registered ahead of the first output record: {}", e.toString());
        }
    }

    /** Waits until the application is RUNNING; false on timeout or if it failed. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            KafkaStreams.State s = streams.state();
            if (s == KafkaStreams.State.RUNNING) return true;
            if (s == KafkaStreams.State.ERROR || s == KafkaStreams.State.NOT_RUNNING) return false;
            Thread.sleep(20);
        }
        return false;
    }

    /**
     * Completes with the reason when the application has failed for good (the global thread died, or
     * Kafka Streams reached ERROR); never completes otherwise. The first reason known is kept.
     */
    public CompletableFuture<String> failed() { return failed; }

    /** Why the application failed, or null while it has not. */
    public String failure() { return failed.getNow(null); }

    /** A thread died of an uncaught throwable (an {@link Error} on the global thread is not handed to Kafka Streams' handler). */
    public void threadDied(Thread thread, Throwable e) {
        if (thread.getName().endsWith("-GlobalStreamThread")) {
            fail("the global thread (model topic " + config.modelTopic() + ") died: " + e);
        }
    }

    private void fail(String reason) {
        failed.complete(reason);
    }

    public TokvecConfig config() { return config; }
    public TableRegistry registry() { return registry; }
    public TokvecMetrics metrics() { return metrics; }

    /** Port of the operations endpoint ({@code tokvec.http.port}), or -1 when it is off or not started. */
    public int httpPort() { return opsServer == null ? -1 : opsServer.port(); }
    public KafkaStreams streams() { return streams; }

    /** Stops the application and leaves the consumer group, so a restarted instance need not wait out the session timeout. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        schemaRegistry.stopRetrying(); // no thread keeps waiting for a registry while the application stops
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
        if (opsServer != null) {
            opsServer.close();
            metricsExport.close();
        }
        registry.close(); // keeps the active version's verified snapshot for the next start
        schemaRegistry.close();
        log.info("closed");
    }
}
