package io.tokvec.it;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.devkit.TestSchemaRegistry;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Scaling out: three instances of one application (child processes, {@code java -jar tokvec.jar
 * run}, exactly_once_v2, 256 MiB heap each) share six input partitions. Mid-stream one instance is
 * killed with SIGKILL and a fourth one is added while v2 is published. Read with read_committed,
 * every event is enriched exactly once, each output equals the table of the version it names,
 * versions never go back within a partition, nothing is dead-lettered, and the added instance took
 * partitions over.
 */
class ScaleOutIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int ROWS = 50;
    private static final int DIM = 4;
    private static final int EVENTS = 4500;
    private static final int PER_SECOND = 150;
    private static final int PARTITIONS = 6;
    private static final String HEAP = "256m";

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension("ScaleOutIT");
    @RegisterExtension
    static final TestSchemaRegistry REGISTRY = new TestSchemaRegistry();

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldEnrichEveryEventExactlyOnceWhenAnInstanceIsKilledAndAnotherAddedDuringASwap() throws Exception {
        Map<String, Object> client = KAFKA.broker().clientProperties();
        Path logs = ChildProcessApp.jar().getParent().resolve("it-logs").resolve("ScaleOutIT");
        Map<Long, EmbeddingTable> tables = Map.of(1L, TestTables.table(1, ROWS, DIM), 2L, TestTables.table(2, ROWS, DIM));
        TokvecConfig config = new TokvecConfig(settings(client, 1));
        Topics.ensureAll(config);

        List<ChildProcessApp> instances = new ArrayList<>();
        int killExit;
        long t0 = System.nanoTime();
        double killedAt;
        double addedAt;
        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, REGISTRY.url()));
             ModelPublisher publisher = new ModelPublisher(config, registry);
             KafkaProducer<String, TokenEvent> producer = ItApps.eventProducer(client, registry);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(client, config, registry);
             EventFeeder feeder = new EventFeeder(producer, config.inputTopic(), EVENTS, PER_SECOND,
                     i -> TestEvents.event(i, ROWS))) {
            publisher.publish(tables.get(1L), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            try {
                for (int n = 1; n <= 3; n++) {
                    instances.add(startInstance(client, n, logs));
                }
                feeder.start();
                output.awaitUntil(WAIT, "outputs from all six partitions", rs -> partitionsSeen(rs) == PARTITIONS
                        && rs.size() >= EVENTS / 6);

                ChildProcessApp victim = instances.get(1);
                killExit = victim.kill();
                killedAt = seconds(t0);
                instances.add(startInstance(client, 4, logs));
                addedAt = seconds(t0);
                publisher.publish(tables.get(2L), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
                output.awaitUntil(WAIT, "a v2 output", rs -> rs.stream().anyMatch(r -> r.value().getTableVersion() == 2));
                Path addedLog = instances.get(3).log();
                await("the added instance runs tasks (log " + addedLog + ")").atMost(WAIT).until(() -> !tasksStarted(addedLog).isEmpty());

                feeder.awaitAllAcked(WAIT);
                output.awaitUntil(WAIT, "outputs of all " + EVENTS + " events (logs in " + logs + ")",
                        rs -> rs.stream().map(r -> r.value().getId()).distinct().count() >= EVENTS);
                for (ChildProcessApp app : instances) {
                    if (app != victim) {
                        assertThat(app.stop()).as("exit value after SIGTERM (log %s)", app.log()).isIn(0, 143);
                    }
                }
            } finally {
                for (ChildProcessApp app : instances) {
                    app.close();
                }
            }
            double finishedAt = seconds(t0);

            List<TopicReader.Received<EnrichedEvent>> out = output.readToEnd(WAIT);
            OutputChecks.Summary summary = OutputChecks.assertExactlyOnceAndExact(out, feeder.events(), tables);
            Map<Long, Long> perVersion = summary.perVersion();
            assertThat(perVersion).containsOnlyKeys(1L, 2L);
            assertThat(summary.lastVersionPerPartition()).as("last version per partition").hasSize(PARTITIONS).containsValues(2L);

            List<String> addedTasks = tasksStarted(instances.get(3).log());
            assertThat(addedTasks).as("tasks the added instance started (its log %s)", instances.get(3).log()).isNotEmpty();

            try (TopicReader<DeadLetter> dlq = ItApps.dlqReader(client, config, registry);
                 TopicReader<byte[]> uncommitted = new TopicReader<>(client, config.outputTopic(), (t, b) -> b, false)) {
                assertThat(dlq.readToEnd(WAIT)).as("dead letters").isEmpty();
                int written = uncommitted.readToEnd(WAIT).size();
                System.out.printf("ScaleOutIT: %d events over %d partitions, 3 instances, instance 2 killed at %.1f s (exit %d),"
                                + " instance 4 added at %.1f s (tasks %s) while v2 was published, all outputs read at %.1f s;"
                                + " outputs per version %s, %d records in the output log including aborted ones%n",
                        EVENTS, PARTITIONS, killedAt, killExit, addedAt, addedTasks, finishedAt, perVersion, written);
                assertThat(written).isGreaterThanOrEqualTo(EVENTS);
            }
        }
        assertThat(killExit).isEqualTo(ChildProcessApp.SIGKILL_EXIT);
    }

    /** Instance {@code n}: the shared settings with its own state directory. */
    private Map<String, String> settings(Map<String, Object> client, int n) {
        Map<String, String> s = ItApps.appConfig("scale", client, REGISTRY.url(), tmp.resolve("state-" + n));
        s.put(TokvecConfig.TOPIC_PARTITIONS, Integer.toString(PARTITIONS));
        return s;
    }

    private ChildProcessApp startInstance(Map<String, Object> client, int n, Path logs) throws IOException {
        Path config = ChildProcessApp.writeConfig(settings(client, n), tmp.resolve("instance-" + n + ".properties"));
        return ChildProcessApp.start(config, logs.resolve("instance-" + n + ".log"), HEAP);
    }

    private static long partitionsSeen(List<TopicReader.Received<EnrichedEvent>> rs) {
        return rs.stream().map(TopicReader.Received::partition).distinct().count();
    }

    /** Tasks an instance's log says it started enriching ({@code task 1_3: enriching ...}). */
    private static List<String> tasksStarted(Path log) {
        Pattern started = Pattern.compile("task (\\d+_\\d+): enriching ");
        try (Stream<String> lines = Files.lines(log)) {
            return lines.map(started::matcher).filter(Matcher::find).map(m -> m.group(1)).distinct().sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
