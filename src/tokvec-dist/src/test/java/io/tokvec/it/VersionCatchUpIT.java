package io.tokvec.it;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.devkit.LocalSchemaRegistryServer;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import org.apache.avro.Schema;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Versions never go back when a partition moves to an instance whose global thread is held back.
 * Two instances (in this JVM, exactly_once_v2, two partitions): B reads the registry through its own
 * {@link LocalSchemaRegistryServer}, stopped before v2 is published with a model-record schema id B
 * has not fetched yet, so B's global thread keeps retrying while A swaps to v2 and enriches with it.
 * A then leaves; its partitions move to B, whose table is still v1: B's task waits for its table
 * instead of emitting v1; B's registry comes back, B swaps to v2 and the waiting records are
 * enriched with v2. Every event exactly once, versions monotonic per partition, no dead letters.
 */
class VersionCatchUpIT {

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension("VersionCatchUpIT");

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int ROWS = 50;
    private static final int DIM = 4;
    private static final int EVENTS = 1500;
    private static final int PER_SECOND = 60;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 200, unit = TimeUnit.SECONDS)
    void shouldWaitForTheTableInsteadOfGoingBackWhenAPartitionMovesToAnInstanceThatIsBehind() throws Exception {
        Map<String, Object> client = KAFKA.broker().clientProperties();
        Path schemas = tmp.resolve("schemas.jsonl");
        LocalSchemaRegistryServer registryA = new LocalSchemaRegistryServer(0, schemas);
        Map<Long, EmbeddingTable> tables = Map.of(1L, TestTables.table(1, ROWS, DIM), 2L, TestTables.table(2, ROWS, DIM));
        LocalSchemaRegistryServer registryB = null;
        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, registryA.url()))) {
            TokvecConfig configA = config(client, registryA.url(), "a");
            Topics.ensureAll(configA);
            // every schema the test uses is registered before B's registry starts from the same file,
            // so that it knows them all (the newer model-record schema included) and adds none itself
            registry.register(configA.inputTopic() + "-value", TokenEvent.getClassSchema());
            registry.register(configA.outputTopic() + "-value", EnrichedEvent.getClassSchema());
            registry.register(configA.dlqTopic() + "-value", DeadLetter.getClassSchema());
            registry.register(configA.modelTopic() + "-value", ModelRecord.getClassSchema());
            Schema newer = NewerSchemas.withExtraField(ModelRecord.getClassSchema());
            int newerId = registry.register(configA.modelTopic() + "-value", newer);
            registryB = new LocalSchemaRegistryServer(0, schemas);
            int portB = registryB.port();
            TokvecConfig configB = config(client, registryB.url(), "b");

            try (ModelPublisher publisher = new ModelPublisher(configA, registry);
                 KafkaProducer<String, TokenEvent> producer = ItApps.eventProducer(client, registry);
                 TopicReader<EnrichedEvent> output = ItApps.outputReader(client, configA, registry);
                 EventFeeder feeder = new EventFeeder(producer, configA.inputTopic(), EVENTS, PER_SECOND,
                         i -> TestEvents.event(i, ROWS));
                 TokvecApp b = ItApps.startApp(configB)) {
                publisher.publish(tables.get(1L), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
                try (TokvecApp a = ItApps.startApp(configA)) {
                    ItApps.awaitActiveVersion(a, 1);
                    ItApps.awaitActiveVersion(b, 1);
                    feeder.start();
                    output.awaitUntil(WAIT, "outputs from both partitions", rs -> rs.stream().map(TopicReader.Received::partition)
                            .distinct().count() == 2);
                    assertThat(activeTasks(a)).as("A runs one of the two tasks").isEqualTo(1);

                    registryB.close(); // B's global thread cannot fetch the newer model-record schema
                    publishWithSchema(client, configA, tables.get(2L), newer, newerId);
                    ItApps.awaitActiveVersion(a, 2);
                    output.awaitUntil(WAIT, "a v2 output (from A)", rs -> rs.stream().anyMatch(r -> r.value().getTableVersion() == 2));
                    assertThat(b.registry().activeVersion()).as("B held back").isEqualTo(1);
                } // A leaves the group: its partition, which already used v2, moves to B

                await("B runs both tasks").atMost(WAIT).until(() -> activeTasks(b) == 2);
                assertThat(b.registry().activeVersion()).as("B still held back").isEqualTo(1);
                registryB = new LocalSchemaRegistryServer(portB, schemas);
                ItApps.awaitActiveVersion(b, 2);

                feeder.awaitAllAcked(WAIT);
                output.awaitUntil(WAIT, "outputs of all " + EVENTS + " events",
                        rs -> rs.stream().map(r -> r.value().getId()).distinct().count() >= EVENTS);
                b.close();
                List<TopicReader.Received<EnrichedEvent>> out = output.readToEnd(WAIT);
                OutputChecks.Summary summary = OutputChecks.assertExactlyOnceAndExact(out, feeder.events(), tables);
                assertThat(summary.lastVersionPerPartition()).containsOnlyKeys(0, 1).containsValues(2L);
                try (TopicReader<DeadLetter> dlq = ItApps.dlqReader(client, configA, registry)) {
                    assertThat(dlq.readToEnd(WAIT)).as("dead letters").isEmpty();
                }
                System.out.printf("VersionCatchUpIT: %d events; outputs per version %s; last version per partition %s%n",
                        EVENTS, summary.perVersion(), summary.lastVersionPerPartition());
            }
        } finally {
            registryA.close();
            if (registryB != null) registryB.close();
        }
    }

    private TokvecConfig config(Map<String, Object> client, String registryUrl, String instance) {
        Map<String, String> s = ItApps.appConfig("catchup", client, registryUrl, tmp.resolve("state-" + instance));
        s.put(TokvecConfig.TOPIC_PARTITIONS, "2");
        s.put(TokvecConfig.VERSION_CATCHUP_TIMEOUT_MS, "8000");
        return new TokvecConfig(s);
    }

    private static long activeTasks(TokvecApp app) {
        return app.streams().metadataForLocalThreads().stream().mapToLong(t -> t.activeTasks().size()).sum();
    }

    /** Publishes {@code table} as ModelPublisher does (chunks, then the commit), written with the newer schema. */
    private static void publishWithSchema(Map<String, Object> client, TokvecConfig config, EmbeddingTable table, Schema writer,
                                          int schemaId) throws Exception {
        Map<String, Object> p = new HashMap<>(client);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        ModelChunker chunker = new ModelChunker(table, ModelChunker.DEFAULT_CHUNK_BYTES);
        List<ModelChunker.Keyed> records = new ArrayList<>();
        for (Iterator<ModelChunker.Keyed> it = chunker.chunks(); it.hasNext(); ) {
            records.add(it.next());
        }
        records.add(chunker.commit(Map.of()));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (ModelChunker.Keyed k : records) {
                producer.send(new ProducerRecord<>(config.modelTopic(), k.key().topicKey(),
                        NewerSchemas.encode(k.record(), writer, schemaId))).get(30, TimeUnit.SECONDS);
            }
        }
    }
}
