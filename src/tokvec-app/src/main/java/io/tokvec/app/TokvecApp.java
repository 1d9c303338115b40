package io.tokvec.app;

import io.tokvec.config.TokvecConfig;
import io.tokvec.http.MetricsExport;
import io.tokvec.http.OpsServer;
import io.tokvec.kafka.Topics;
import io.tokvec.model.TableRegistry;
import io.tokvec.streams.TokvecEnrichment;
import io.tokvec.streams.TokvecMetrics;
import io.tokvec.streams.TokvecTopology;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One running tokvec application: the enrichment ({@link TokvecEnrichment}: schema-registry client,
 * table registry, metrics), its standalone topology ({@link TokvecTopology}) and {@link KafkaStreams},
 * with tokvec's uncaught-exception policy: a failed stream thread is replaced
 * (it resumes from the last commit); a failed global thread (the model topic's) stops the
 * application, which then {@linkplain #failed() fails} visibly: {@code run} exits non-zero and
 * {@code /health/live} answers 503 with the reason meanwhile. {@code run}, {@code demo}, the
 * benchmarks and the integration tests all start the application through this class.
 */
public final class TokvecApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TokvecApp.class);

    private final TokvecConfig config;
    private final TokvecEnrichment tokvec;
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
        this.tokvec = TokvecEnrichment.builder(config).build();
        try {
            Properties props = TokvecTopology.streamsProps(config);
            if (TokvecTopology.outputArraysReusable(props)) {
                tokvec.reuseOutputArrays();
            }
            this.streams = new KafkaStreams(TokvecTopology.build(tokvec), props);
        } catch (RuntimeException e) {
            tokvec.close();
            throw e;
        }
        KafkaStreams.StateListener tokvecListener = tokvec.stateListener();
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
            tokvecListener.onChange(now, before);
            if (now == KafkaStreams.State.PENDING_ERROR || now == KafkaStreams.State.ERROR) {
                fail("Kafka Streams went from " + before + " to " + now + " (a thread of it died; see the log above)");
            }
        });
        streams.setGlobalStateRestoreListener(tokvec.restoreListener());
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
            opsServer = new OpsServer(config.httpBind(), config.httpPort(), streams::state, tokvec.registry()::snapshot, this::failure,
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
        try {
            tokvec.registerOutputSchema(config.outputTopic());
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
    public TableRegistry registry() { return tokvec.registry(); }
    public TokvecMetrics metrics() { return tokvec.metrics(); }
    /** The enrichment the application runs. */
    public TokvecEnrichment enrichment() { return tokvec; }

    /** Port of the operations endpoint ({@code tokvec.http.port}), or -1 when it is off or not started. */
    public int httpPort() { return opsServer == null ? -1 : opsServer.port(); }
    public KafkaStreams streams() { return streams; }

    /** Stops the application and leaves the consumer group, so a restarted instance need not wait out the session timeout. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // closing moves the application to PENDING_SHUTDOWN at once: tokvec's state listener then stops the
        // schema-registry retries, so that no thread keeps waiting for a registry while the application stops
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
        if (opsServer != null) {
            opsServer.close();
            metricsExport.close();
        }
        tokvec.close(); // keeps the active version's verified snapshot for the next start
        log.info("closed");
    }
}
