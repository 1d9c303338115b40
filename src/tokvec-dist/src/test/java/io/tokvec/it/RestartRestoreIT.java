package io.tokvec.it;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.TableRegistry;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import io.tokvec.config.TokvecConfig;
import io.tokvec.streams.TokvecTopology;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.tokvec.it.TestTables.assertEnriched;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * After a restart the application serves the right version to the very first event, with no
 * NO_TABLE dead letter, whether its global store is rebuilt from nothing (a new state dir: the
 * model topic is replayed through the store's processor) or reopened from the RocksDB files a
 * clean shutdown left (the same state dir; since Kafka 4.3 the RocksDB store keeps its own
 * changelog offsets instead of a {@code .checkpoint} file), also when the current state is a
 * rollback (an activate record) and when model records arrived while no instance ran.
 */
class RestartRestoreIT {

    private static final String SCOPE = "RestartRestoreIT";
    private static final String APP = "restart";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int ROWS = 30;
    private static final int DIM = 3;

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension(SCOPE);

    @TempDir
    Path tmp;



    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldServeTheCurrentVersionToTheFirstEventAfterARestartFromANewOrTheKeptStateDir() throws Exception {
        Map<String, Object> client = KAFKA.broker().clientProperties();
        Path keptDir = tmp.resolve("state-kept");
        Path newDir = tmp.resolve("state-new");
        TokvecConfig kept = config(keptDir);
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        Map<Long, EmbeddingTable> tables = Map.of(1L, TestTables.table(1, ROWS, DIM), 2L, TestTables.table(2, ROWS, DIM));
        Topics.ensureAll(kept);

        try (ModelPublisher publisher = new ModelPublisher(kept, registry);
             KafkaProducer<String, TokenEvent> producer = ItApps.eventProducer(client, registry);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(client, kept, registry);
             TopicReader<DeadLetter> dlq = ItApps.dlqReader(client, kept, registry)) {
            Sender send = new Sender(producer, kept.inputTopic());

            // first life: v1, v2, then a rollback to v1
            try (TokvecApp app = ItApps.startApp(kept)) {
                publisher.publish(tables.get(1L), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
                publisher.publish(tables.get(2L), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
                ItApps.awaitActiveVersion(app, 2);
                TokenEvent a1 = send.event(1);
                assertEnriched(awaitOutput(output, a1), a1, tables.get(2L), ItApps.MAX_LEN);
                publisher.activate(TestTables.TABLE, 1, "rollback");
                ItApps.awaitActiveVersion(app, 1);
                TokenEvent a2 = send.event(2);
                assertEnriched(awaitOutput(output, a2), a2, tables.get(1L), ItApps.MAX_LEN);
            }
            Path keptStore = keptDir.resolve(APP).resolve("global").resolve("rocksdb").resolve(TokvecTopology.MODEL_STORE);
            assertThat(keptStore).as("the global store's RocksDB files after a clean shutdown; state dir holds %s", files(keptDir))
                    .isDirectory();

            // a new state dir: the global store is rebuilt by replaying the model topic through its processor
            TokenEvent b = send.event(3);
            List<TableRegistry.Swap> replayed = new CopyOnWriteArrayList<>();
            try (TokvecApp app = ItApps.startApp(config(newDir), replayed::add)) {
                assertThat(app.registry().activeVersion()).as("version active when RUNNING (new state dir)").isEqualTo(1);
                assertThat(app.registry().describeVersions()).containsEntry(1L, "active").containsEntry(2L, "committed");
                assertEnriched(awaitOutput(output, b), b, tables.get(1L), ItApps.MAX_LEN);
            }
            // the replay indexes v1, v2 and the rollback without building any of them, then builds v1 once
            assertThat(replayed).as("swaps while the new store was rebuilt").singleElement()
                    .satisfies(s -> {
                        assertThat(s.previous()).isEqualTo(-1);
                        assertThat(s.version()).isEqualTo(1);
                    });

            // the kept state dir: the store is reopened from its RocksDB files (offsets kept in the store),
            // nothing is replayed, and the registry recovers the active version straight from the store
            TokenEvent c = send.event(4);
            List<TableRegistry.Swap> reopened = new CopyOnWriteArrayList<>();
            try (TokvecApp app = ItApps.startApp(kept, reopened::add)) {
                assertThat(app.registry().activeVersion()).as("version active when RUNNING (kept state dir)").isEqualTo(1);
                assertEnriched(awaitOutput(output, c), c, tables.get(1L), ItApps.MAX_LEN);
            }
            assertThat(reopened).as("swaps when the kept store was reopened (a replay would swap through v1, v2, v1)")
                    .singleElement().satisfies(s -> {
                        assertThat(s.previous()).isEqualTo(-1);
                        assertThat(s.version()).isEqualTo(1);
                    });

            // model records written while no instance runs are read on top of the checkpoint
            publisher.activate(TestTables.TABLE, 2, "roll forward");
            TokenEvent d = send.event(5);
            try (TokvecApp app = ItApps.startApp(kept)) {
                assertThat(app.registry().activeVersion()).as("version active when RUNNING (after a roll-forward)").isEqualTo(2);
                assertEnriched(awaitOutput(output, d), d, tables.get(2L), ItApps.MAX_LEN);
            }

            assertThat(output.readToEnd(WAIT)).extracting(r -> r.value().getId())
                    .containsExactly(TestEvents.id(1), TestEvents.id(2), TestEvents.id(3), TestEvents.id(4), TestEvents.id(5));
            assertThat(dlq.readToEnd(WAIT)).as("dead letters (NO_TABLE after a restart?)").isEmpty();
        }
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    private TokvecConfig config(Path stateDir) {
        return new TokvecConfig(ItApps.appConfig(APP, KAFKA.broker().clientProperties(), "mock://" + SCOPE, stateDir));
    }

    private static EnrichedEvent awaitOutput(TopicReader<EnrichedEvent> output, TokenEvent in) {
        List<TopicReader.Received<EnrichedEvent>> rs = output.awaitUntil(WAIT, "the output of " + in.getId(),
                all -> all.stream().anyMatch(r -> r.value().getId().equals(in.getId())));
        return rs.stream().filter(r -> r.value().getId().equals(in.getId())).findFirst().orElseThrow().value();
    }

    /** Sends test events synchronously. */
    private record Sender(KafkaProducer<String, TokenEvent> producer, String topic) {
        TokenEvent event(int i) throws Exception {
            TokenEvent e = TestEvents.event(i, ROWS);
            producer.send(new ProducerRecord<>(topic, e.getId(), e)).get();
            return e;
        }
    }
}
