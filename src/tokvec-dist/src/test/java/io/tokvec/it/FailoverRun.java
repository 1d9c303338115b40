package io.tokvec.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.broker.LoopbackPorts;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tokvec deployment on a 3-node cluster of {@code tokvec broker --nodes 3} processes, for the failover tests:
 * two instances ({@code tokvec run} child processes, exactly_once_v2) on 6 input partitions, events flowing at a
 * steady rate, and one scenario after another, each of which breaks brokers while a new table version is
 * published, then brings them back. After each: outputs resumed on every partition, the new version is active on
 * both instances (their {@code /tables}), and every output read so far is exact for the version it names, the only
 * one of its event, and never of an older version than an earlier output of its partition. {@link #finish()}
 * checks that every event was enriched exactly once. Every scenario prints how long the outputs paused.
 */
final class FailoverRun implements AutoCloseable {

    static final int NODES = 3;
    static final int PARTITIONS = 6;
    static final int ROWS = 50;
    static final int DIM = 4;
    static final int PER_SECOND = 25;
    static final Duration WAIT = Duration.ofSeconds(240);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final long t0 = System.nanoTime();
    private final BrokerProcesses cluster;
    private final Map<String, Object> client;
    private final Map<String, String> registryClient;
    private final TokvecConfig config;
    private final Map<String, ChildProcessApp> apps = new LinkedHashMap<>();
    private final Map<String, Integer> httpPorts = new LinkedHashMap<>();
    private final Map<Long, EmbeddingTable> tables = new ConcurrentHashMap<>();
    private final SchemaRegistryClient registry;
    private final ModelPublisher publisher;
    private final KafkaProducer<String, TokenEvent> producer;
    private final EventFeeder feeder;
    private final TopicReader<EnrichedEvent> outputReader;
    private final ArrivalMeter arrivals;
    private final Admin admin;
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<String> report = new ArrayList<>();

    /**
     * @param client         {@code bootstrap.servers} is added; security settings of the Kafka clients, or none
     * @param registryClient {@code schema.registry.url} and its security settings
     */
    FailoverRun(String name, BrokerProcesses cluster, Map<String, Object> client, Map<String, String> registryClient, Path tmp)
            throws Exception {
        this.name = name;
        this.cluster = cluster;
        this.client = new HashMap<>(client);
        this.client.put("bootstrap.servers", cluster.bootstrapServers());
        this.registryClient = Map.copyOf(registryClient);
        Path logs = ChildProcessApp.jar().getParent().resolve("it-logs").resolve(name);
        this.config = new TokvecConfig(settings(tmp, "a"));
        Topics.ensureAll(config);
        this.registry = SchemaRegistries.forConfig(registryClient);
        this.publisher = new ModelPublisher(config, registry);
        this.producer = ItApps.eventProducer(this.client, registry);
        this.admin = Admin.create(this.client);
        publish(1, null);
        for (String instance : List.of("a", "b")) {
            Map<String, String> s = settings(tmp, instance);
            apps.put(instance, ChildProcessApp.start(ChildProcessApp.writeConfig(s, tmp.resolve(instance + ".properties")),
                    logs.resolve(instance + ".log"), "256m"));
        }
        awaitActiveEverywhere(1);
        this.outputReader = ItApps.outputReader(this.client, config, registry);
        this.arrivals = new ArrivalMeter(outputReader);
        this.feeder = new EventFeeder(producer, config.inputTopic(), Integer.MAX_VALUE, PER_SECOND, i -> TestEvents.event(i, ROWS));
        feeder.start();
        Await.until(WAIT, "outputs from every partition", () -> arrivals.partitions() == PARTITIONS,
                () -> arrivals.count() + " outputs read");
        report.add(String.format("%s: 3 broker processes, 2 instances, %d partitions, running after %.1f s", name, PARTITIONS,
                seconds(t0)));
    }

    private Map<String, String> settings(Path tmp, String instance) {
        Map<String, String> s = ItApps.appConfig(name, client, registryClient.get(SchemaRegistries.URL), tmp.resolve("state-" + instance));
        s.putAll(registryClient);
        s.put(TokvecConfig.TOPIC_PARTITIONS, Integer.toString(PARTITIONS));
        s.put(TokvecConfig.HTTP_BIND, LoopbackPorts.HOST);
        s.put(TokvecConfig.HTTP_PORT, Integer.toString(httpPorts.computeIfAbsent(instance, i -> LoopbackPorts.freePort())));
        return s;
    }

    TokvecConfig config() {
        return config;
    }

    Admin admin() {
        return admin;
    }

    // ------------------------------------------------------------------ scenarios

    /** (a) SIGKILL the node that leads most output partitions; publish {@code version} while it is down; restart it. */
    void killLeaderOfOutputPartitions(long version) throws Exception {
        Map<Integer, Integer> leaders = leaders(config.outputTopic());
        int victim = mostFrequent(leaders.values());
        Scenario s = begin("(a) SIGKILL of node " + victim + ", leader of output partitions " + partitionsLedBy(leaders, victim));
        assertThat(cluster.kill(victim)).isEqualTo(ChildProcessApp.SIGKILL_EXIT);
        s.publishWhileBroken(version);
        s.recover(version, List.of(victim));
    }

    /** (b) SIGKILL the transaction coordinator of most of tokvec's producers; publish; restart it. */
    void killTransactionCoordinator(long version) throws Exception {
        Map<String, Integer> coordinators = transactionCoordinators();
        int victim = mostFrequent(coordinators.values());
        Scenario s = begin("(b) SIGKILL of node " + victim + ", transaction coordinator of " + coordinators.entrySet().stream()
                .filter(e -> e.getValue() == victim).map(Map.Entry::getKey).sorted().toList());
        assertThat(cluster.kill(victim)).isEqualTo(ChildProcessApp.SIGKILL_EXIT);
        s.publishWhileBroken(version);
        s.recover(version, List.of(victim));
    }

    /** (c) SIGKILL the model topic's leader while {@code publish} sends a version (after a third of its chunks); restart it. */
    void killModelLeaderWhilePublishing(long version) throws Exception {
        int victim = leaders(config.modelTopic()).get(0);
        Scenario s = begin("(c) SIGKILL of node " + victim + ", leader of the model topic, while publishing v" + version);
        int[] killedAfter = {-1};
        long p0 = System.nanoTime();
        ModelPublisher.Result r = publish(version, (sent, total) -> {
            if (killedAfter[0] < 0 && sent >= total / 3) {
                killedAfter[0] = sent;
                try {
                    assertThat(cluster.kill(victim)).isEqualTo(ChildProcessApp.SIGKILL_EXIT);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        });
        assertThat(killedAfter[0]).as("the leader was killed mid-publish").isPositive().isLessThan(r.chunks());
        s.note(String.format("publish v%d (%d chunks, leader killed after chunk %d was handed to the producer) finished in %.1f s",
                version, r.chunks(), killedAfter[0], seconds(p0)));
        s.recover(version, List.of(victim));
    }

    /** (d) SIGTERM two of the three nodes (below min.insync.replicas 2: writes must wait), publish meanwhile, bring them back. */
    void stopTwoBrokers(long version) throws Exception {
        List<Integer> victims = List.of(1, 2);
        Scenario s = begin("(d) SIGTERM of nodes " + victims + " (one node left, below min.insync.replicas=2)");
        for (int v : victims) {
            assertThat(cluster.stop(v)).as("exit value of node %d after SIGTERM", v).isZero();
        }
        int sentAtStop = feeder.sent();
        int ackedAtStop = feeder.acked();
        CompletableFuture<ModelPublisher.Result> publishing = CompletableFuture.supplyAsync(() -> publish(version, null));
        // events keep being sent: 6 s worth, none of which can be acknowledged by one replica
        Await.until(WAIT, "6 s of events sent to the remaining node", () -> feeder.sent() >= sentAtStop + 6 * PER_SECOND);
        int ackedWhileDown = feeder.acked() - ackedAtStop;
        assertThat(publishing).as("publish waits while writes are below min.insync.replicas").isNotDone();
        s.note(String.format("while down: %d events sent, %d acknowledged", feeder.sent() - sentAtStop, ackedWhileDown));
        long back = System.nanoTime();
        for (int v : victims) {
            cluster.restart(v);
        }
        ModelPublisher.Result r = publishing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        s.note(String.format("nodes back %.1f s after the restart command; publish v%d finished %.1f s after it", seconds(back),
                r.version(), seconds(back)));
        s.recover(version, List.of());
    }

    /**
     * Stops the events, waits for the output of every one, stops both instances, and checks the whole output:
     * every event enriched exactly once, exact for its version, versions never going back in a partition, no
     * dead letter. Prints the report.
     */
    void finish() throws Exception {
        int events = feeder.finish(WAIT);
        Await.until(WAIT, "outputs of all " + events + " events", () -> arrivals.count() >= events,
                () -> arrivals.count() + " outputs read");
        for (Map.Entry<String, ChildProcessApp> app : apps.entrySet()) {
            assertThat(app.getValue().stop()).as("exit of instance %s after SIGTERM", app.getKey()).isIn(0, 143);
        }
        try (TopicReader<EnrichedEvent> all = ItApps.outputReader(client, config, registry);
             TopicReader<DeadLetter> dlq = ItApps.dlqReader(client, config, registry)) {
            OutputChecks.Summary summary = OutputChecks.assertExactlyOnceAndExact(all.readToEnd(WAIT), feeder.events(), tables);
            assertThat(dlq.readToEnd(WAIT)).as("dead letters").isEmpty();
            report.add(String.format("%s: %d events, each enriched exactly once; outputs per version %s; %.0f s in all",
                    name, events, new TreeMap<>(summary.perVersion()), seconds(t0)));
        }
        report.forEach(System.out::println);
    }

    // ------------------------------------------------------------------ one scenario

    private Scenario begin(String what) {
        awaitFullyReplicated();
        return new Scenario(what);
    }

    /** One failure: when it started, what it did, and the checks after it. */
    private final class Scenario {
        private final String what;
        private final long signalled = System.nanoTime();
        private final List<String> notes = new ArrayList<>();

        Scenario(String what) {
            this.what = what;
            arrivals.markSignal(signalled);
        }

        void note(String s) {
            notes.add(s);
        }

        void publishWhileBroken(long version) {
            long p0 = System.nanoTime();
            ModelPublisher.Result r = publish(version, null);
            note(String.format("publish v%d (%d chunks) during the failure took %.1f s", version, r.chunks(), seconds(p0)));
        }

        /**
         * Waits until every partition has an output of {@code version} and both instances serve it (with
         * {@code killed} still down), checks the output so far, restarts {@code killed}, waits until every replica
         * is back in sync, and reports.
         */
        void recover(long version, List<Integer> killed) throws IOException {
            Await.until(WAIT, "an output of v" + version + " on every partition", () -> partitionsWithVersion(version) == PARTITIONS,
                    () -> partitionsWithVersion(version) + " partitions with v" + version);
            double resumed = seconds(signalled);
            awaitActiveEverywhere(version);
            OutputChecks.assertExactSoFar(arrivals.records(), feeder.events(), tables);
            Map<Integer, Long> gaps = arrivals.longestGapSinceSignal();
            Map.Entry<Integer, Long> longest = gaps.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
            for (int k : killed) {
                long r0 = System.nanoTime();
                cluster.restart(k);
                note(String.format("node %d ready %.1f s after its restart command", k, seconds(r0)));
            }
            long r0 = System.nanoTime();
            awaitFullyReplicated();
            note(String.format("every replica in sync %.1f s later", seconds(r0)));
            report.add(String.format("%s %s: longest output pause %.1f s (partition %d; per partition %s); every partition had a"
                            + " v%d output %.1f s after the failure, both instances serve v%d; %s", name, what,
                    longest.getValue() / 1e9, longest.getKey(), gaps.entrySet().stream()
                            .map(e -> e.getKey() + ": " + String.format("%.1f", e.getValue() / 1e9))
                            .collect(Collectors.joining(", ", "{", "}")),
                    version, resumed, version, String.join("; ", notes)));
            System.out.println(report.get(report.size() - 1));
        }
    }

    // ------------------------------------------------------------------ helpers

    private ModelPublisher.Result publish(long version, ModelPublisher.Progress progress) {
        EmbeddingTable t = TestTables.table(version, ROWS, DIM);
        tables.put(version, t);
        // small chunks, so that a version takes many records (scenario (c) kills a broker between two of them)
        return publisher.publish(t, 128, Map.of(), progress);
    }

    private int partitionsWithVersion(long version) {
        return (int) arrivals.records().stream().filter(r -> r.value().getTableVersion() == version)
                .map(TopicReader.Received::partition).distinct().count();
    }

    /** Waits until both instances' {@code /tables} name {@code version} active. */
    private void awaitActiveEverywhere(long version) {
        for (Map.Entry<String, Integer> e : httpPorts.entrySet()) {
            Await.until(WAIT, "instance " + e.getKey() + " serves v" + version, () -> activeVersion(e.getValue()) == version,
                    () -> "active v" + activeVersion(e.getValue()) + " (log " + apps.get(e.getKey()).log() + ")");
        }
    }

    private long activeVersion(int port) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/tables"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()).path("active_version").asLong(-1) : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Partition to leader node id. */
    private Map<Integer, Integer> leaders(String topic) throws Exception {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS).get(topic);
        Map<Integer, Integer> m = new TreeMap<>();
        for (TopicPartitionInfo p : d.partitions()) {
            m.put(p.partition(), p.leader().id());
        }
        return m;
    }

    /** Transactional id of each of the application's producers to the node coordinating its transactions. */
    private Map<String, Integer> transactionCoordinators() throws Exception {
        List<String> ids = admin.listTransactions().all().get(60, TimeUnit.SECONDS).stream()
                .map(TransactionListing::transactionalId).filter(id -> id.startsWith(name + "-")).toList();
        assertThat(ids).as("transactional ids of %s", name).isNotEmpty();
        Map<String, TransactionDescription> d = admin.describeTransactions(ids).all().get(60, TimeUnit.SECONDS);
        Map<String, Integer> m = new TreeMap<>();
        d.forEach((id, t) -> m.put(id, t.coordinatorId()));
        return m;
    }

    /** Waits until all three nodes are live brokers and every partition of every topic has all its replicas in sync. */
    void awaitFullyReplicated() {
        Await.until(WAIT, "every replica in sync", () -> {
            try {
                Collection<Node> nodes = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
                if (nodes.size() != NODES) return false;
                Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(10, TimeUnit.SECONDS);
                return admin.describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS).values().stream()
                        .flatMap(t -> t.partitions().stream()).allMatch(p -> p.isr().size() == p.replicas().size());
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** Replication factor and min.insync.replicas of a topic tokvec created. */
    String replication(String topic) throws Exception {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS).get(topic);
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config c = admin.describeConfigs(List.of(r)).all().get(60, TimeUnit.SECONDS).get(r);
        return "replicas " + d.partitions().get(0).replicas().size() + ", min.insync.replicas "
                + c.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG).value();
    }

    private static <T> T mostFrequent(Collection<T> values) {
        return values.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting())).entrySet().stream()
                .max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    private static List<Integer> partitionsLedBy(Map<Integer, Integer> leaders, int node) {
        return leaders.entrySet().stream().filter(e -> e.getValue() == node).map(Map.Entry::getKey).toList();
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    @Override
    public void close() throws Exception {
        feeder.close();
        arrivals.close();
        outputReader.close();
        for (ChildProcessApp app : apps.values()) app.close();
        producer.close(Duration.ofSeconds(10));
        publisher.close();
        admin.close(Duration.ofSeconds(10));
        registry.close();
    }
}
