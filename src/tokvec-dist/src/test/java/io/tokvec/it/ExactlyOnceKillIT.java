package io.tokvec.it;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.devkit.TestSchemaRegistry;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.config.TokvecConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exactly-once under SIGKILL: the application runs as a child process ({@code java -jar tokvec.jar
 * run --config FILE}, exactly_once_v2, 100 ms commits) and is killed with SIGKILL and restarted
 * several times while a producer keeps feeding events; v2 is published between two kills. The
 * child and this JVM share an HTTP schema registry ({@link TestSchemaRegistry}, what {@code tokvec broker} serves), as a
 * {@code mock://} scope cannot cross processes. Read with read_committed, every input event
 * appears exactly once in the output, each record equals the table of the version it names, both
 * versions appear, versions never go back within a partition (a restarted instance serves the
 * latest version before its first event), and nothing is dead-lettered. Read with read_uncommitted,
 * the output log holds more records than that: the kills did abort transactions that had written
 * (the child's producer sends each output at once, {@code linger.ms=0}, so a kill between two
 * commits leaves written records behind).
 */
class ExactlyOnceKillIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int ROWS = 50;
    private static final int DIM = 4;
    private static final int EVENTS = 6000;
    private static final int PER_SECOND = 150;
    private static final int PARTITIONS = 2;
    private static final int KILLS = 4;
    /** Outputs each child must add before it is killed, so that every one is killed mid-stream. */
    private static final int PROGRESS_PER_RUN = 250;

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension("ExactlyOnceKillIT");
    @RegisterExtension
    static final TestSchemaRegistry REGISTRY = new TestSchemaRegistry();

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void shouldEnrichEveryEventExactlyOnceWhenTheApplicationIsKilledAndRestartedMidStream() throws Exception {
        Path jar = ChildProcessApp.jar();
        Map<String, Object> client = KAFKA.broker().clientProperties();
        Map<String, String> settings = ItApps.appConfig("eos-kill", client, REGISTRY.url(), tmp.resolve("state"));
        settings.put(TokvecConfig.TOPIC_PARTITIONS, Integer.toString(PARTITIONS));
        settings.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), "0");
        TokvecConfig config = new TokvecConfig(settings);
        Path configFile = ChildProcessApp.writeConfig(settings, tmp.resolve("tokvec.properties"));
        Path logs = jar.getParent().resolve("it-logs").resolve("ExactlyOnceKillIT");
        Map<Long, EmbeddingTable> tables = Map.of(1L, TestTables.table(1, ROWS, DIM), 2L, TestTables.table(2, ROWS, DIM));
        Topics.ensureAll(config);

        List<Integer> killExits = new ArrayList<>();
        int stopExit;
        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, REGISTRY.url()));
             ModelPublisher publisher = new ModelPublisher(config, registry);
             KafkaProducer<String, TokenEvent> producer = ItApps.eventProducer(client, registry);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(client, config, registry);
             EventFeeder feeder = new EventFeeder(producer, config.inputTopic(), EVENTS, PER_SECOND,
                     i -> TestEvents.event(i, ROWS))) {
            publisher.publish(tables.get(1L), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);

            ChildProcessApp child = ChildProcessApp.start(configFile, logs.resolve("run-1.log"));
            try {
                feeder.start();
                for (int run = 1; run <= KILLS; run++) {
                    int before = output.poll().size();
                    ChildProcessApp current = child;
                    output.awaitUntil(WAIT, "run " + run + " (pid " + current.pid() + ", log " + current.log() + ") adds "
                            + PROGRESS_PER_RUN + " outputs", rs -> rs.size() >= before + PROGRESS_PER_RUN || !current.isAlive());
                    assertThat(current.isAlive()).as("child of run %d is alive (log %s)", run, current.log()).isTrue();
                    if (run == 2) {
                        publisher.publish(tables.get(2L), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
                        output.awaitUntil(WAIT, "a v2 output", rs -> rs.stream().anyMatch(r -> r.value().getTableVersion() == 2));
                    }
                    killExits.add(child.kill());
                    child = ChildProcessApp.start(configFile, logs.resolve("run-" + (run + 1) + ".log"));
                }
                feeder.awaitAllAcked(WAIT);
                ChildProcessApp last = child;
                output.awaitUntil(WAIT, "outputs of all " + EVENTS + " events (log " + last.log() + ")",
                        rs -> rs.stream().map(r -> r.value().getId()).distinct().count() >= EVENTS);
                stopExit = child.stop();
            } finally {
                child.close();
            }

            // the application is stopped and every transaction is closed: read_committed reads to the end
            List<TopicReader.Received<EnrichedEvent>> out = output.readToEnd(WAIT);
            Map<Long, Long> perVersion = OutputChecks.assertExactlyOnceAndExact(out, feeder.events(), tables).perVersion();
            assertThat(perVersion).containsOnlyKeys(1L, 2L);

            try (TopicReader<DeadLetter> dlq = ItApps.dlqReader(client, config, registry);
                 TopicReader<byte[]> uncommitted = new TopicReader<>(client, config.outputTopic(), (t, b) -> b, false)) {
                assertThat(dlq.readToEnd(WAIT)).as("dead letters").isEmpty();
                int written = uncommitted.readToEnd(WAIT).size();
                System.out.printf("ExactlyOnceKillIT: %d events, %d kills (exits %s), outputs per version %s, %d committed"
                        + " records, %d in the output log including aborted ones%n", EVENTS, killExits.size(), killExits,
                        perVersion, out.size(), written);
                assertThat(out).hasSize(EVENTS);
                assertThat(written).as("records in the output log (read_uncommitted): the committed ones and those of"
                        + " the transactions the kills aborted").isGreaterThan(out.size());
            }
        }
        assertThat(killExits).hasSize(KILLS).containsOnly(ChildProcessApp.SIGKILL_EXIT);
        assertThat(stopExit).as("exit value after SIGTERM").isIn(0, 143);
    }
}
