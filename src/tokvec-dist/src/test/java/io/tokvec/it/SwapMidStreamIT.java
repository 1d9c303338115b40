package io.tokvec.it;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import io.tokvec.config.TokvecConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.tokvec.it.TestTables.assertEnriched;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hot swap on a real broker while events flow without pause: v1 serves, v2 (published in many
 * chunks) takes over, then an activate record rolls back to v1. In input order the outputs name
 * v1, then v2, then v1 again, each switch happening once; events sent after a swap was seen name
 * the new version; and every record equals the rows (and vocabulary) of the version it names, so
 * no record mixes two versions.
 */
class SwapMidStreamIT {

    private static final String SCOPE = "SwapMidStreamIT";
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int ROWS = 2000;
    private static final int DIM = 16;
    /** 128 KiB of rows plus the vocabulary in 16 KiB chunks: v2 arrives as ~10 records before its commit. */
    private static final int CHUNK_BYTES = 16 * 1024;
    private static final int EVENTS = 4000;
    private static final int PER_SECOND = 200;
    /** Outputs to see under each version before the next change. */
    private static final int STEP = 300;

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension(SCOPE);

    @TempDir
    Path tmp;



    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldSwapToV2AndRollBackToV1WithoutMixingVersionsWhileEventsFlow() throws Exception {
        Map<String, Object> client = KAFKA.broker().clientProperties();
        TokvecConfig config = new TokvecConfig(ItApps.appConfig("swap", client, "mock://" + SCOPE, tmp.resolve("state")));
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        Map<Long, EmbeddingTable> tables = Map.of(1L, TestTables.table(1, ROWS, DIM), 2L, TestTables.table(2, ROWS, DIM));
        Topics.ensureAll(config);

        try (TokvecApp app = ItApps.startApp(config);
             ModelPublisher publisher = new ModelPublisher(config, registry);
             KafkaProducer<String, TokenEvent> producer = ItApps.eventProducer(client, registry);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(client, config, registry);
             TopicReader<DeadLetter> dlq = ItApps.dlqReader(client, config, registry)) {
            ModelPublisher.Result r1 = publisher.publish(tables.get(1L), CHUNK_BYTES, Map.of(), null);
            assertThat(r1.chunks()).isGreaterThan(5);
            ItApps.awaitActiveVersion(app, 1);

            try (EventFeeder feeder = new EventFeeder(producer, config.inputTopic(), EVENTS, PER_SECOND,
                    i -> TestEvents.event(i, ROWS)).start()) {
                output.awaitCount(STEP, WAIT);
                assertThat(output.records()).as("outputs before v2 is published").allMatch(r -> r.value().getTableVersion() == 1);

                ModelPublisher.Result r2 = publisher.publish(tables.get(2L), CHUNK_BYTES, Map.of(), null);
                assertThat(r2.chunks()).isGreaterThan(5);
                ItApps.awaitActiveVersion(app, 2);
                int sentAfterSwap = feeder.sent();
                output.awaitUntil(WAIT, STEP + " outputs of events sent after the swap", rs -> countFrom(rs, sentAfterSwap) >= STEP);

                publisher.activate(TestTables.TABLE, 1, "rollback");
                ItApps.awaitActiveVersion(app, 1);
                int sentAfterRollback = feeder.sent();
                assertThat(sentAfterRollback).as("events left to send after the rollback").isLessThan(EVENTS - STEP);

                feeder.awaitAllAcked(WAIT);
                List<TopicReader.Received<EnrichedEvent>> out = output.awaitCount(EVENTS, WAIT);
                assertThat(out).hasSize(EVENTS);

                List<Long> runs = new ArrayList<>();
                int expectedIndex = 0;
                for (TopicReader.Received<EnrichedEvent> r : out) {
                    EnrichedEvent e = r.value();
                    int index = TestEvents.index(e.getId());
                    assertThat(index).as("input order, each event once").isEqualTo(expectedIndex++);
                    assertEnriched(e, feeder.events().get(e.getId()), tables.get(e.getTableVersion()), ItApps.MAX_LEN);
                    if (runs.isEmpty() || runs.get(runs.size() - 1) != e.getTableVersion()) runs.add(e.getTableVersion());
                    if (index >= sentAfterSwap && index < sentAfterSwap + STEP) {
                        // sent after v2 was active, and enriched before the activate record was even written
                        assertThat(e.getTableVersion()).as("event %s sent after the swap to v2", e.getId()).isEqualTo(2);
                    }
                    if (index >= sentAfterRollback) {
                        assertThat(e.getTableVersion()).as("event %s sent after the rollback", e.getId()).isEqualTo(1);
                    }
                }
                assertThat(runs).as("versions in input order").containsExactly(1L, 2L, 1L);
            }
            assertThat(app.registry().swapCount()).isEqualTo(3);
            assertThat(app.registry().rejectedCount()).isZero();
            assertThat(dlq.readToEnd(WAIT)).as("dead letters").isEmpty();
        }
    }

    private static long countFrom(List<TopicReader.Received<EnrichedEvent>> rs, int firstIndex) {
        return rs.stream().filter(r -> TestEvents.index(r.value().getId()) >= firstIndex).count();
    }
}
