package io.tokvec.it;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The restart settings config/tokvec.properties recommends: static membership
 * ({@code group.instance.id}, one per instance) with a session timeout that outlasts a restart. Of
 * two instances (child processes, exactly_once_v2), one is killed with SIGKILL and started again at
 * once with the same id and state directory: it takes its partitions back without waiting for the
 * session timeout (30 s here, what a new member would wait), and every event is still enriched
 * exactly once. The longest pause of any partition's output is measured and printed.
 */
class StaticMembershipRestartIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int ROWS = 50;
    private static final int DIM = 4;
    private static final int EVENTS = 3000;
    private static final int PER_SECOND = 150;
    private static final int PARTITIONS = 4;
    private static final int SESSION_TIMEOUT_MS = 30_000;

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension("StaticMembershipRestartIT");
    @RegisterExtension
    static final HttpRegistryExtension REGISTRY = new HttpRegistryExtension();

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldResumeItsPartitionsWellBeforeTheSessionTimeoutWhenAStaticMemberIsRestarted() throws Exception {
        Map<String, Object> client = KAFKA.broker().clientProperties();
        Path logs = ChildProcessApp.jar().getParent().resolve("it-logs").resolve("StaticMembershipRestartIT");
        EmbeddingTable table = TestTables.table(1, ROWS, DIM);
        TokvecConfig config = new TokvecConfig(settings(client, "a"));
        Topics.ensureAll(config);
        Path configA = ChildProcessApp.writeConfig(settings(client, "a"), tmp.resolve("a.properties"));
        Path configB = ChildProcessApp.writeConfig(settings(client, "b"), tmp.resolve("b.properties"));

        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, REGISTRY.url()));
             ModelPublisher publisher = new ModelPublisher(config, registry);
             KafkaProducer<String, TokenEvent> producer = ItApps.eventProducer(client, registry);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(client, config, registry);
             EventFeeder feeder = new EventFeeder(producer, config.inputTopic(), EVENTS, PER_SECOND,
                     i -> TestEvents.event(i, ROWS))) {
            publisher.publish(table, ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            ChildProcessApp a = ChildProcessApp.start(configA, logs.resolve("a.log"), "256m");
            ChildProcessApp b = ChildProcessApp.start(configB, logs.resolve("b-1.log"), "256m");
            ChildProcessApp restarted = null;
            PauseMeter pauses = new PauseMeter(output);
            try {
                feeder.start();
                pauses.awaitUntil(WAIT, "outputs from every partition", () -> pauses.partitions() == PARTITIONS);
                assertThat(b.kill()).isEqualTo(ChildProcessApp.SIGKILL_EXIT);
                long restartedAt = System.nanoTime();
                restarted = ChildProcessApp.start(configB, logs.resolve("b-2.log"), "256m");
                feeder.awaitAllAcked(WAIT);
                pauses.awaitUntil(WAIT, "outputs of all " + EVENTS + " events", () -> pauses.count() >= EVENTS);
                double longest = pauses.longestPauseSeconds();
                double afterRestart = pauses.firstAfterLongestPause(restartedAt);
                System.out.printf("StaticMembershipRestartIT: instance b killed (SIGKILL) and restarted with the same"
                                + " group.instance.id; longest pause of a partition's output %.2f s, that partition's first"
                                + " output %.2f s after the restart began (session timeout %d s)%n", longest, afterRestart,
                        SESSION_TIMEOUT_MS / 1000);
                // generous: without static membership the killed member's partitions wait for the session timeout
                assertThat(longest).as("longest pause of a partition's output, s").isLessThan(SESSION_TIMEOUT_MS / 1000.0 - 5);
                assertThat(a.stop()).isIn(0, 143);
                assertThat(restarted.stop()).isIn(0, 143);
            } finally {
                a.close();
                b.close();
                if (restarted != null) restarted.close();
            }
            List<TopicReader.Received<EnrichedEvent>> out = output.readToEnd(WAIT);
            OutputChecks.assertExactlyOnceAndExact(out, feeder.events(), Map.of(1L, table));
        }
    }

    private Map<String, String> settings(Map<String, Object> client, String instance) {
        Map<String, String> s = ItApps.appConfig("restart", client, REGISTRY.url(), tmp.resolve("state-" + instance));
        s.put(TokvecConfig.TOPIC_PARTITIONS, Integer.toString(PARTITIONS));
        s.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "restart-" + instance);
        s.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Integer.toString(SESSION_TIMEOUT_MS));
        s.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
        return s;
    }

    /** Reads the output and keeps, per partition, the longest wall-clock pause between two arrivals of records. */
    private static final class PauseMeter {
        private final TopicReader<EnrichedEvent> reader;
        private final Map<Integer, Long> lastArrival = new HashMap<>();
        private int seen;
        private long longestPause;
        private long longestPauseEnd;

        PauseMeter(TopicReader<EnrichedEvent> reader) {
            this.reader = reader;
        }

        void awaitUntil(Duration timeout, String what, java.util.function.BooleanSupplier condition) {
            Await.until(timeout, what, () -> {
                poll();
                return condition.getAsBoolean();
            }, () -> seen + " outputs read");
        }

        private void poll() {
            List<TopicReader.Received<EnrichedEvent>> all = reader.poll();
            long now = System.nanoTime();
            for (; seen < all.size(); seen++) {
                int p = all.get(seen).partition();
                Long last = lastArrival.put(p, now);
                if (last != null && now - last > longestPause) {
                    longestPause = now - last;
                    longestPauseEnd = now;
                }
            }
        }

        int partitions() {
            return lastArrival.size();
        }

        int count() {
            return seen;
        }

        double longestPauseSeconds() {
            return longestPause / 1e9;
        }

        double firstAfterLongestPause(long from) {
            return (longestPauseEnd - from) / 1e9;
        }
    }
}
