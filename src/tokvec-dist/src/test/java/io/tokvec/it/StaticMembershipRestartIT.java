package io.tokvec.it;

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
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The restart settings config/tokvec.properties recommends: static membership
 * ({@code group.instance.id}, one per instance) with a session timeout that outlasts a restart. Of
 * two instances (child processes, exactly_once_v2, the same state directory across restarts), one
 * is stopped with SIGTERM and started again at once with the same id (it leaves the group on close,
 * so the other instance serves its partitions meanwhile), then killed with SIGKILL and started
 * again (its partitions wait for it: it takes them back without a rebalance), and once more without
 * the class-data archive, for comparison. Each time it ends up
 * with exactly its own partitions, and every event is still enriched exactly once. Last, it is
 * killed and started with its state directory deleted (a new Kafka Streams process id, so a new
 * transactional.id): both members hold partitions again and every event is still enriched exactly
 * once; the times printed show what the lost directory costs, with the transactions ongoing right
 * before and after that kill (one left open by the killed instance would hold read_committed
 * readers of its partitions until transaction.timeout.ms). The restarts
 * map the class-data archive b's first JVM wrote at its exit (all but the third). Printed, for each restart: the time
 * from the restart command to the first output of each of its partitions, their longest output
 * pause, and from the restarted JVM's log when it wrote its first line and when it was RUNNING.
 */
class StaticMembershipRestartIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int ROWS = 50;
    private static final int DIM = 4;
    /**
     * Events flow until the last restart has been measured (then the feeder stops): at most this many,
     * 10 minutes at {@link #PER_SECOND}, so that input never runs out before a restart however slow the
     * machine is.
     */
    private static final int MAX_EVENTS = 90_000;
    private static final int PER_SECOND = 150;
    private static final int PARTITIONS = 4;
    private static final int SESSION_TIMEOUT_MS = 10_000;
    private static final String GROUP = "restart";

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension("StaticMembershipRestartIT");
    @RegisterExtension
    static final TestSchemaRegistry REGISTRY = new TestSchemaRegistry();

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void shouldTakeBackExactlyItsOwnPartitionsAfterACrashAndAfterACleanRestart() throws Exception {
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
             Admin admin = Admin.create(client);
             EventFeeder feeder = new EventFeeder(producer, config.inputTopic(), MAX_EVENTS, PER_SECOND,
                     i -> TestEvents.event(i, ROWS))) {
            publisher.publish(table, ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            // b's first JVM writes a class-data archive when it exits (the SIGTERM below); its
            // restarts map it (-XX:SharedArchiveFile), as operations.md recommends for fast restarts
            Path archive = tmp.resolve("tokvec.jsa");
            ChildProcessApp a = ChildProcessApp.start(configA, logs.resolve("a.log"), "256m");
            ChildProcessApp b = ChildProcessApp.start(configB, logs.resolve("b-1.log"), "256m",
                    List.of("-XX:ArchiveClassesAtExit=" + archive, "-Xlog:cds*=error"));
            List<String> withArchive = List.of("-XX:SharedArchiveFile=" + archive);
            ChildProcessApp b2 = null;
            ChildProcessApp b3 = null;
            ChildProcessApp b4 = null;
            ChildProcessApp b5 = null;
            try (ArrivalMeter arrivals = new ArrivalMeter(output)) {
                feeder.start();
                await("outputs from every partition").atMost(WAIT).untilAsserted(() ->
                        assertThat(arrivals.partitions()).as(() -> arrivals.count() + " outputs read").isEqualTo(PARTITIONS));
                Map<String, Set<Integer>> before = awaitAssignment(admin, null);
                Set<Integer> ofB = before.get("restart-b-1");

                Restart clean = Restart.signal(arrivals);
                assertThat(b.stop()).isIn(0, 143);
                assertThat(archive).as("class-data archive written by b's first JVM at its exit").isRegularFile();
                clean.restarting(arrivals);
                b2 = ChildProcessApp.start(configB, logs.resolve("b-2.log"), "256m", withArchive);
                clean.report("SIGTERM", ofB, b2, arrivals, () -> awaitAssignment(admin, before));

                Restart crash = Restart.signal(arrivals);
                assertThat(b2.kill()).isEqualTo(ChildProcessApp.SIGKILL_EXIT);
                crash.restarting(arrivals);
                b3 = ChildProcessApp.start(configB, logs.resolve("b-3.log"), "256m", withArchive);
                crash.report("SIGKILL", ofB, b3, arrivals, () -> awaitAssignment(admin, before));

                Restart plain = Restart.signal(arrivals);
                assertThat(b3.kill()).isEqualTo(ChildProcessApp.SIGKILL_EXIT);
                plain.restarting(arrivals);
                b4 = ChildProcessApp.start(configB, logs.resolve("b-4.log"), "256m");
                plain.report("SIGKILL (no archive)", ofB, b4, arrivals, () -> awaitAssignment(admin, before));

                // state.dir lost (a replaced node without a volume): a new Kafka Streams process id,
                // so a new transactional.id; b's open transaction is left to transaction.timeout.ms
                String openBeforeKill = ongoingTransactions(admin);
                Restart lost = Restart.signal(arrivals);
                assertThat(b4.kill()).isEqualTo(ChildProcessApp.SIGKILL_EXIT);
                String openAtKill = ongoingTransactions(admin);
                deleteTree(tmp.resolve("state-b"));
                lost.restarting(arrivals);
                b5 = ChildProcessApp.start(configB, logs.resolve("b-5.log"), "256m", withArchive);
                Map<String, Set<Integer>> afterLost = new TreeMap<>();
                lost.report("SIGKILL, state.dir lost", ofB, b5, arrivals, () -> afterLost.putAll(awaitAssignment(admin, null)));
                System.out.printf("StaticMembershipRestartIT: assignment before %s, after the restart with a lost state.dir %s;"
                                + " transactions ongoing right before the kill: %s, right after it: %s, after the restart: %s%n",
                        before, afterLost, openBeforeKill, openAtKill, ongoingTransactions(admin));

                assertThat(feeder.sent()).as("events sent while the restarts were measured").isLessThan(MAX_EVENTS);
                int events = feeder.finish(WAIT);
                await("outputs of all " + events + " events").atMost(WAIT).untilAsserted(() ->
                        assertThat(arrivals.count()).as("outputs read").isGreaterThanOrEqualTo(events));
                assertThat(a.stop()).isIn(0, 143);
                assertThat(b5.stop()).isIn(0, 143);
            } finally {
                a.close();
                b.close();
                if (b2 != null) b2.close();
                if (b3 != null) b3.close();
                if (b4 != null) b4.close();
                if (b5 != null) b5.close();
            }
            List<TopicReader.Received<EnrichedEvent>> out = output.readToEnd(WAIT);
            OutputChecks.assertExactlyOnceAndExact(out, feeder.events(), Map.of(1L, table));
        }
    }

    private static String ongoingTransactions(Admin admin) throws Exception {
        return admin.listTransactions(new ListTransactionsOptions().filterStates(List.of(TransactionState.ONGOING)))
                .all().get(30, TimeUnit.SECONDS).stream().map(TransactionListing::transactionalId).sorted()
                .collect(Collectors.joining(", ", "[", "]"));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        assertThat(dir).doesNotExist();
    }

    private Map<String, String> settings(Map<String, Object> client, String instance) {
        Map<String, String> s = ItApps.appConfig(GROUP, client, REGISTRY.url(), tmp.resolve("state-" + instance));
        s.put(TokvecConfig.TOPIC_PARTITIONS, Integer.toString(PARTITIONS));
        s.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "restart-" + instance);
        s.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Integer.toString(SESSION_TIMEOUT_MS));
        s.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "2000");
        return s;
    }

    /**
     * The input partitions of each member of the group, by group.instance.id, once both members hold
     * some (and, unless {@code expected} is null, hold exactly those of {@code expected}).
     */
    private static Map<String, Set<Integer>> awaitAssignment(Admin admin, Map<String, Set<Integer>> expected) {
        Map<String, Set<Integer>> owners = new TreeMap<>();
        await("both members of " + GROUP + " assigned" + (expected == null ? "" : " " + expected)).atMost(WAIT).untilAsserted(() -> {
            owners.clear();
            List<MemberDescription> members;
            try {
                members = List.copyOf(admin.describeConsumerGroups(List.of(GROUP)).all().get().get(GROUP).members());
            } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("describing group " + GROUP, e);
            }
            for (MemberDescription m : members) {
                Set<Integer> ps = m.assignment().topicPartitions().stream().map(TopicPartition::partition)
                        .collect(Collectors.toCollection(TreeSet::new));
                owners.put(m.groupInstanceId().orElse(m.consumerId()), ps);
            }
            assertThat(owners.size() == 2 && owners.values().stream().noneMatch(Set::isEmpty)
                    && owners.values().stream().mapToInt(Set::size).sum() == PARTITIONS
                    && (expected == null || expected.equals(owners))).as("members %s", owners).isTrue();
        });
        return Map.copyOf(owners);
    }

    /**
     * One restart: when the signal was sent and when the restart command was given (the test's clock,
     * and the wall clock to read the restarted JVM's log against).
     */
    private static final class Restart {
        private final long signalled;
        private long restarted;
        private LocalTime wall;

        private Restart(long signalled) {
            this.signalled = signalled;
        }

        static Restart signal(ArrivalMeter arrivals) {
            Restart r = new Restart(System.nanoTime());
            arrivals.markSignal(r.signalled);
            return r;
        }

        void restarting(ArrivalMeter arrivals) {
            restarted = System.nanoTime();
            wall = LocalTime.now();
            arrivals.markRestart(restarted);
        }

        /**
         * Waits until each of {@code partitions} has an output after the restart command, then (by
         * {@code owners}) until the group's assignment is the one before, then for one more output of
         * each of them, and prints the times.
         */
        void report(String signal, Set<Integer> partitions, ChildProcessApp app, ArrivalMeter arrivals, Runnable owners)
                throws IOException {
            awaitOutputsSince(partitions, arrivals, restarted, "the restart");
            Map<Integer, Long> first = arrivals.firstSinceRestart();
            owners.run();
            awaitOutputsSince(partitions, arrivals, System.nanoTime(), "the assignment is back");
            Map<Integer, Long> gaps = arrivals.longestGapSinceSignal();
            String perPartition = partitions.stream()
                    .map(p -> String.format("%d: %.2f s", p, (first.get(p) - restarted) / 1e9))
                    .collect(Collectors.joining(", "));
            long last = partitions.stream().mapToLong(first::get).max().orElseThrow() - restarted;
            long longestGap = partitions.stream().mapToLong(gaps::get).max().orElseThrow();
            long othersGap = gaps.entrySet().stream().filter(e -> !partitions.contains(e.getKey()))
                    .mapToLong(Map.Entry::getValue).max().orElse(0);
            System.out.printf("StaticMembershipRestartIT: %s restart (signal to restart command %.2f s): first output of"
                            + " each of its partitions after the restart command: %s (all %.2f s); longest pause of"
                            + " their output %.2f s, of the other instance's %.2f s; its log: first line %s, RUNNING %s%n",
                    signal, (restarted - signalled) / 1e9, perPartition, last / 1e9, longestGap / 1e9, othersGap / 1e9,
                    logged(app.log(), null), logged(app.log(), "-> RUNNING"));
        }

        private static void awaitOutputsSince(Set<Integer> partitions, ArrivalMeter arrivals, long since, String what) {
            await("outputs of partitions " + partitions + " after " + what).atMost(WAIT).untilAsserted(() ->
                    assertThat(partitions).as(() -> "first outputs since the restart " + arrivals.firstSinceRestart())
                            .allMatch(p -> arrivals.lastArrival(p) > since));
        }

        /** When (seconds after the restart command) the log first has a line containing {@code text} (any line if null). */
        private String logged(Path log, String text) throws IOException {
            for (String line : Files.readAllLines(log)) {
                if (line.length() < 12 || !Character.isDigit(line.charAt(0)) || line.charAt(2) != ':') continue;
                if (text != null && !line.contains(text)) continue;
                LocalTime t = LocalTime.parse(line.substring(0, 12));
                return String.format("%.2f s", wall.until(t, ChronoUnit.MILLIS) / 1e3);
            }
            return "-";
        }
    }
}
