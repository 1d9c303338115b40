package io.tokvec.it;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import io.tokvec.config.TokvecConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.tokvec.it.TestTables.assertEnriched;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker stops and starts again on the same port while events flow: the application, left
 * alone, reconnects and carries on (exactly_once_v2), every event is enriched exactly once and in
 * order, and a table published after the restart still swaps in.
 */
class BrokerRestartIT {

    private static final String SCOPE = "BrokerRestartIT";
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int ROWS = 50;
    private static final int DIM = 4;
    private static final int EVENTS = 3000;
    private static final int PER_SECOND = 150;

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension(SCOPE);

    @TempDir
    Path tmp;



    /**
     * Open connections of the application's active clients (stream and global consumers, producer,
     * admin), from their metrics, by client id. The restore consumer is left out: it polls only while
     * a store is being restored, so an idle one notices a lost broker only on its next poll.
     */
    private static Map<String, Double> connectionsByClient(TokvecApp app) {
        Map<String, Double> byClient = new java.util.TreeMap<>();
        for (var e : app.streams().metrics().entrySet()) {
            String clientId = e.getKey().tags().getOrDefault("client-id", "?");
            if (e.getKey().name().equals("connection-count") && !clientId.endsWith("-restore-consumer")
                    && e.getValue().metricValue() instanceof Double d && d > 0) {
                byClient.merge(clientId, d, Double::sum);
            }
        }
        return byClient;
    }

    private static double connections(TokvecApp app) {
        return connectionsByClient(app).values().stream().mapToDouble(Double::doubleValue).sum();
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldEnrichEveryEventExactlyOnceWhenTheBrokerRestartsMidStream() throws Exception {
        Map<String, Object> client = KAFKA.broker().clientProperties();
        // the feeder's sends block (rather than fail) while the broker is down
        Map<String, Object> feederClient = new HashMap<>(client);
        feederClient.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "120000");
        TokvecConfig config = new TokvecConfig(ItApps.appConfig("broker-restart", client, "mock://" + SCOPE, tmp.resolve("state")));
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        Map<Long, EmbeddingTable> tables = Map.of(1L, TestTables.table(1, ROWS, DIM), 2L, TestTables.table(2, ROWS, DIM));
        Topics.ensureAll(config);
        int port = KAFKA.broker().port();

        List<TopicReader.Received<EnrichedEvent>> out;
        EventFeeder feeder;
        int sentAfterV2;
        try (ModelPublisher publisher = new ModelPublisher(config, registry);
             KafkaProducer<String, TokenEvent> producer = ItApps.eventProducer(feederClient, registry);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(client, config, registry);
             TopicReader<DeadLetter> dlq = ItApps.dlqReader(client, config, registry)) {
            feeder = new EventFeeder(producer, config.inputTopic(), EVENTS, PER_SECOND, i -> TestEvents.event(i, ROWS));
            try (feeder; TokvecApp app = ItApps.startApp(config)) {
                publisher.publish(tables.get(1L), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
                ItApps.awaitActiveVersion(app, 1);
                feeder.start();
                output.awaitCount(400, WAIT);

                KAFKA.broker().stop();
                // the outage must reach the application: wait until every one of its clients lost its connection
                await("the application's clients to lose their connections").atMost(WAIT).untilAsserted(() ->
                        assertThat(connections(app)).as(() -> "connections left: " + connectionsByClient(app)).isZero());
                KAFKA.broker().start();
                assertThat(KAFKA.broker().port()).isEqualTo(port);

                int before = output.poll().size();
                output.awaitUntil(WAIT, "200 more outputs after the broker restart", rs -> rs.size() >= before + 200);
                publisher.publish(tables.get(2L), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
                ItApps.awaitActiveVersion(app, 2);
                sentAfterV2 = feeder.sent();
                assertThat(sentAfterV2).as("events left to send after v2").isLessThan(EVENTS);

                feeder.awaitAllAcked(WAIT);
                output.awaitCount(EVENTS, WAIT);
                assertThat(app.streams().state()).as("application state at the end").isEqualTo(KafkaStreams.State.RUNNING);
            }
            // the application is closed: no transaction is open, read_committed reads to the end
            out = output.readToEnd(WAIT);
            assertThat(dlq.readToEnd(WAIT)).as("dead letters").isEmpty();
        }

        assertThat(out).hasSize(EVENTS);
        int expectedIndex = 0;
        for (TopicReader.Received<EnrichedEvent> r : out) {
            EnrichedEvent e = r.value();
            int index = TestEvents.index(e.getId());
            assertThat(index).as("input order, each event exactly once").isEqualTo(expectedIndex++);
            assertEnriched(e, feeder.events().get(e.getId()), tables.get(e.getTableVersion()), ItApps.MAX_LEN);
            if (index >= sentAfterV2) {
                assertThat(e.getTableVersion()).as("event %s sent after v2 was active", e.getId()).isEqualTo(2);
            }
        }
    }
}
