package io.tokvec.it;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.model.TableRegistry;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import io.tokvec.config.TokvecConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The settings, clients and readers the integration tests share. */
final class ItApps {

    /** max_len of every test application. */
    static final int MAX_LEN = 8;

    private ItApps() {
    }

    /**
     * An application's settings: topics named after {@code name}, exactly_once_v2 with a short
     * commit interval, and a short session timeout, so that a member that died (SIGKILL) or closed
     * without leaving the group is replaced within seconds rather than the default 45 s.
     */
    static Map<String, String> appConfig(String name, Map<String, Object> clientProps, String registryUrl, Path stateDir) {
        Map<String, String> p = new HashMap<>();
        clientProps.forEach((k, v) -> p.put(k, String.valueOf(v)));
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, name);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
        p.put(TokvecConfig.SCHEMA_REGISTRY_URL, registryUrl);
        p.put(TokvecConfig.TOPIC_INPUT, name + "-events");
        p.put(TokvecConfig.TOPIC_OUTPUT, name + "-enriched");
        p.put(TokvecConfig.TOPIC_MODEL, name + "-model");
        p.put(TokvecConfig.TOPIC_DLQ, name + "-dlq");
        p.put(TokvecConfig.TABLE, TestTables.TABLE);
        p.put(TokvecConfig.MAX_LEN, Integer.toString(MAX_LEN));
        return p;
    }

    /** {@code settings} with the operations endpoint on a free port of 127.0.0.1 (logged; see {@link ChildProcessApp#awaitHttpPort}). */
    static Map<String, String> withOpsEndpoint(Map<String, String> settings) {
        settings.put(TokvecConfig.HTTP_PORT, "0");
        settings.put(TokvecConfig.HTTP_BIND, "127.0.0.1");
        return settings;
    }

    /** Starts the application and waits until it is RUNNING. */
    static TokvecApp startApp(TokvecConfig config) throws InterruptedException {
        return startApp(config, swap -> { });
    }

    /** As {@link #startApp(TokvecConfig)}, with a swap listener that hears every swap from the start (restore included). */
    static TokvecApp startApp(TokvecConfig config, Consumer<TableRegistry.Swap> swaps) throws InterruptedException {
        TokvecApp app = new TokvecApp(config);
        app.registry().onSwap(swaps);
        app.start();
        boolean running = false;
        try {
            running = app.awaitRunning(Duration.ofSeconds(90));
        } finally {
            if (!running) app.close();
        }
        assertThat(running).as("application %s reached RUNNING (state %s)", config.property(StreamsConfig.APPLICATION_ID_CONFIG),
                app.streams().state()).isTrue();
        return app;
    }

    /** Waits until the application's active table is {@code version}. */
    static void awaitActiveVersion(TokvecApp app, long version) {
        await("table v" + version + " active").atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(app.registry().activeVersion()).as(() -> "versions " + app.registry().describeVersions()).isEqualTo(version));
    }

    /** An idempotent producer of token events in the Confluent wire format, keyed by event id. */
    static KafkaProducer<String, TokenEvent> eventProducer(Map<String, Object> clientProps, SchemaRegistryClient registry) {
        Map<String, Object> p = new HashMap<>(clientProps);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "it-event-producer");
        return new KafkaProducer<>(p, new StringSerializer(), new ConfluentAvroSerializer<>(registry, false));
    }

    /**
     * Sends {@code count} test events ({@link TestEvents#event}) to the input topic and asserts that
     * exactly as many outputs arrive, each computed from {@code table}.
     */
    static void sendAndAssertEnriched(KafkaProducer<String, TokenEvent> events, TopicReader<EnrichedEvent> output,
                                      TokvecConfig config, int count, EmbeddingTable table) {
        Map<String, TokenEvent> sent = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            TokenEvent e = TestEvents.event(i, table.rows());
            sent.put(e.getId(), e);
            events.send(new ProducerRecord<>(config.inputTopic(), e.getId(), e));
        }
        events.flush();
        List<TopicReader.Received<EnrichedEvent>> out = output.awaitCount(sent.size(), Duration.ofSeconds(60));
        assertThat(out).hasSize(sent.size());
        out.forEach(r -> TestTables.assertEnriched(r.value(), sent.get(r.value().getId()), table, MAX_LEN));
    }

    static TopicReader<EnrichedEvent> outputReader(Map<String, Object> clientProps, TokvecConfig config, SchemaRegistryClient registry) {
        return new TopicReader<>(clientProps, config.outputTopic(), new ConfluentAvroDeserializer<>(EnrichedEvent.class, registry, false));
    }

    static TopicReader<DeadLetter> dlqReader(Map<String, Object> clientProps, TokvecConfig config, SchemaRegistryClient registry) {
        return new TopicReader<>(clientProps, config.dlqTopic(), new ConfluentAvroDeserializer<>(DeadLetter.class, registry, false));
    }
}
