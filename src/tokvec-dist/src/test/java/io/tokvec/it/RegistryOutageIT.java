package io.tokvec.it;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.broker.EmbeddedKafkaBroker;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.devkit.TestSchemaRegistry;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.ThreadMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A transient schema-registry outage ({@link TestSchemaRegistry} stopped, then restarted on
 * the same port with its schemas kept), while events arrive whose writer schema the application
 * has not fetched yet: the stream thread retries the lookup in place (bounded backoff) and resumes
 * as soon as the registry answers, without being replaced and without waiting for the session
 * timeout (30 s here, so a replaced thread would show); every event is enriched exactly once, none
 * is dead-lettered.
 */
class RegistryOutageIT {

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension("RegistryOutageIT");
    @RegisterExtension
    static final TestSchemaRegistry REGISTRY = new TestSchemaRegistry();

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final long OUTAGE_MS = 12_000;
    private static final int ROWS = 50;
    private static final int DIM = 4;
    private static final int BEFORE = 20;
    private static final int DURING = 30;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldResumeWithinTheBackoffWhenTheRegistryComesBackAfterAnOutage() throws Exception {
        EmbeddedKafkaBroker broker = KAFKA.broker();
        Map<String, Object> client = broker.clientProperties();
        Map<String, String> settings = ItApps.appConfig("outage", client, REGISTRY.url(), tmp.resolve("state"));
        settings.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "30000");
        settings.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "3000");
        TokvecConfig config = new TokvecConfig(settings);
        EmbeddingTable table = TestTables.table(1, ROWS, DIM);
        Map<String, TokenEvent> events = new HashMap<>();
        Topics.ensureAll(config);

        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, REGISTRY.url()));
             ModelPublisher publisher = new ModelPublisher(config, registry);
             KafkaProducer<String, TokenEvent> producer = ItApps.eventProducer(client, registry);
             KafkaProducer<String, byte[]> rawProducer = rawProducer(client);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(client, config, registry);
             TokvecApp app = ItApps.startApp(config)) {
            publisher.publish(table, ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            ItApps.awaitActiveVersion(app, 1);
            for (int i = 0; i < BEFORE; i++) {
                TokenEvent e = TestEvents.event(i, ROWS);
                events.put(e.getId(), e);
                producer.send(new ProducerRecord<>(config.inputTopic(), e.getId(), e));
            }
            producer.flush();
            output.awaitCount(BEFORE, WAIT);
            Set<String> threads = streamThreads(app);

            // a producer starts writing with a newer schema version, registered just before the outage
            Schema v2 = NewerSchemas.withExtraField(TokenEvent.getClassSchema());
            int v2Id = registry.register(config.inputTopic() + "-value", v2);
            REGISTRY.stop();
            long down = System.nanoTime();
            for (int i = BEFORE; i < BEFORE + DURING; i++) {
                TokenEvent e = TestEvents.event(i, ROWS);
                events.put(e.getId(), e);
                rawProducer.send(new ProducerRecord<>(config.inputTopic(), e.getId(), NewerSchemas.encode(e, v2, v2Id)));
            }
            rawProducer.flush();
            await("nothing enriched during an outage of " + OUTAGE_MS + " ms").pollInSameThread()
                    .during(Duration.ofMillis(OUTAGE_MS)).atMost(Duration.ofMillis(OUTAGE_MS + 5_000))
                    .until(() -> output.poll().size() == BEFORE);

            REGISTRY.restart();
            long back = System.nanoTime();
            output.awaitUntil(WAIT, "the first output after the outage", rs -> rs.size() > BEFORE);
            double resumeSeconds = (System.nanoTime() - back) / 1e9;
            output.awaitCount(BEFORE + DURING, WAIT);
            double allSeconds = (System.nanoTime() - back) / 1e9;
            System.out.printf("RegistryOutageIT: registry down %.1f s; first output %.2f s after it came back,"
                    + " all %d outputs after %.2f s (session timeout 30 s)%n", (back - down) / 1e9, resumeSeconds, DURING, allSeconds);
            // a generous bound: a replaced thread would wait for the 30 s session timeout
            assertThat(resumeSeconds).as("seconds from the registry's return to the first output").isLessThan(10);
            assertThat(streamThreads(app)).as("the stream thread was not replaced").isEqualTo(threads);

            app.close();
            List<TopicReader.Received<EnrichedEvent>> out = output.readToEnd(WAIT);
            OutputChecks.assertExactlyOnceAndExact(out, events, Map.of(1L, table));
            try (TopicReader<DeadLetter> dlq = ItApps.dlqReader(client, config, registry)) {
                assertThat(dlq.readToEnd(WAIT)).as("dead letters").isEmpty();
            }
        }
    }

    private static Set<String> streamThreads(TokvecApp app) {
        return app.streams().metadataForLocalThreads().stream().map(ThreadMetadata::threadName).collect(Collectors.toSet());
    }

    private static KafkaProducer<String, byte[]> rawProducer(Map<String, Object> client) {
        Map<String, Object> p = new HashMap<>(client);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }
}
