package io.tokvec.it;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.devkit.TestSchemaRegistry;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ContentIds;
import io.tokvec.model.DeltaChunker;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.TableRejectedException.Reason;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.app.TokvecApp;
import io.tokvec.testutil.DeltaRecords;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Delta versions on a real broker under exactly_once_v2, checked against tables the test computes
 * itself from the arrays it publishes ({@code W_N = W_B} with the delta's rows replaced and appended,
 * the vocabulary with the appended words: a plain heap table, nothing of tokvec's overlay).
 *
 * <p>A chain published while events flow to the application, run as a child process
 * ({@code tokvec.jar run}, {@code tokvec.delta.max.chain=2}, the overlay ratio out of the way): v2 over v1 replaces and appends rows with
 * new words; the application is killed with SIGKILL after v3's rows and before v3's commit, which is
 * published while it is down; a rollback to v2; v4 over v3 (not over the active v2) makes a chain of
 * three deltas, folded in the background; a restart maps the folded v4; v5 is a delta over it. Every
 * event is enriched exactly once, each output exactly as the table of the version it names makes it,
 * and nothing is dead-lettered.
 *
 * <p>Hostile deltas (ids out of range, a duplicate id, a gap in the appended ids, a duplicate
 * appended token, a base no longer retained, a wrong checksum, a delta of a rejected version) are
 * rejected with their reasons while the active version keeps enriching exactly.
 */
class DeltaVersionsIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int ROWS = 50;
    private static final int DIM = 4;
    private static final int PER_SECOND = 150;
    private static final List<String> NEW_WORDS = List.of("kafka", "streams", "delta", "late");

    @RegisterExtension
    static final BrokerExtension KAFKA = new BrokerExtension("DeltaVersionsIT");
    @RegisterExtension
    static final TestSchemaRegistry REGISTRY = new TestSchemaRegistry();

    @TempDir
    Path tmp;

    /** The events of {@link TestEvents}; one string event in four also carries a word the deltas append. */
    static TokenEvent event(int i) {
        TokenEvent e = TestEvents.event(i, ROWS);
        if (e.getTokens() != null && !e.getTokens().isEmpty() && i % 4 == 0) {
            List<String> tokens = new ArrayList<>(e.getTokens());
            tokens.set(0, NEW_WORDS.get((i / 4) % NEW_WORDS.size()));
            e.setTokens(tokens);
        }
        return e;
    }

    /** A delta: ids in publishing order, their rows ({@code version * 1000 + 500 + i + col / 64}), the appended rows' words. */
    private record Delta(long version, long base, int[] ids, float[] rows, List<String> tokens) {
        static Delta of(long version, long base, int[] ids, List<String> tokens) {
            float[] rows = new float[ids.length * DIM];
            for (int i = 0; i < ids.length; i++) {
                for (int k = 0; k < DIM; k++) rows[i * DIM + k] = version * 1000f + 500 + i + k / 64f;
            }
            return new Delta(version, base, ids, rows, tokens);
        }

        /** W_N computed here, as numpy would: {@code W_N = concatenate([W_B, zeros]); W_N[ids] = rows}, vocabulary + tokens. */
        EmbeddingTable apply(EmbeddingTable base) {
            int appended = (int) Arrays.stream(ids).filter(id -> id >= base.rows()).count();
            int n = base.rows() + appended;
            float[] w = new float[n * DIM];
            for (int r = 0; r < base.rows(); r++) {
                for (int k = 0; k < DIM; k++) w[r * DIM + k] = base.get(r, k);
            }
            for (int i = 0; i < ids.length; i++) {
                System.arraycopy(rows, i * DIM, w, ids[i] * DIM, DIM);
            }
            List<String> vocab = new ArrayList<>(base.vocabulary().tokens());
            vocab.addAll(tokens);
            return EmbeddingTable.fromFloats(TestTables.TABLE, version, n, DIM, w, vocab);
        }

        ModelPublisher.Delta toPublish() {
            return new ModelPublisher.Delta(TestTables.TABLE, version, base, ids, DIM, (i, dst, off) -> {
                for (int k = 0; k < DIM; k++) EmbeddingTable.putFloat(dst, off / 4 + k, rows[i * DIM + k]);
            }, tokens.isEmpty() ? null : tokens);
        }
    }

    private static KafkaProducer<String, ModelRecord> modelProducer(Map<String, Object> client, SchemaRegistryClient registry) {
        Map<String, Object> p = new HashMap<>(client);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), new ConfluentAvroSerializer<>(registry, false));
    }

    private static void send(KafkaProducer<String, ModelRecord> producer, TokvecConfig config, List<ModelChunker.Keyed> records) {
        for (ModelChunker.Keyed r : records) {
            producer.send(new ProducerRecord<>(config.modelTopic(), r.key().topicKey(), r.record()));
        }
        producer.flush();
    }

    private static boolean names(List<TopicReader.Received<EnrichedEvent>> out, long version, int from) {
        return out.subList(Math.min(from, out.size()), out.size()).stream().anyMatch(r -> r.value().getTableVersion() == version);
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void shouldServeEveryVersionOfAChainExactlyThroughAKillARollbackARestartAndAFold() throws Exception {
        Map<String, Object> client = KAFKA.broker().clientProperties();
        Map<String, String> settings = ItApps.appConfig("delta-chain", client, REGISTRY.url(), tmp.resolve("state"));
        settings.put(TokvecConfig.TOPIC_PARTITIONS, "2");
        settings.put(TokvecConfig.DELTA_MAX_CHAIN, "2");
        // deltas of a few rows change a large share of this 50-row table: fold on the chain only (v4, three deltas over v1)
        settings.put(TokvecConfig.DELTA_FOLD_OVERLAY_RATIO, "1000");
        settings.put(TokvecConfig.RETAIN_VERSIONS, "2");
        settings.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), "0");
        TokvecConfig config = new TokvecConfig(settings);
        Path configFile = ChildProcessApp.writeConfig(settings, tmp.resolve("tokvec.properties"));
        Path logs = ChildProcessApp.jar().getParent().resolve("it-logs").resolve("DeltaVersionsIT");
        Topics.ensureAll(config);

        Map<Long, EmbeddingTable> tables = new ConcurrentHashMap<>();
        tables.put(1L, TestTables.table(1, ROWS, DIM));
        Delta d2 = Delta.of(2, 1, new int[] {49, 3, 50, 7, 20, 51, 33}, List.of("kafka", "streams"));
        Delta d3 = Delta.of(3, 2, new int[] {0, 1, 52, 50}, List.of("delta"));
        Delta d4 = Delta.of(4, 3, new int[] {5, 53, 52}, List.of("late"));
        Delta d5 = Delta.of(5, 4, new int[] {2, 51}, List.of());
        tables.put(2L, d2.apply(tables.get(1L)));
        tables.put(3L, d3.apply(tables.get(2L)));
        tables.put(4L, d4.apply(tables.get(3L)));
        tables.put(5L, d5.apply(tables.get(4L)));

        List<String> childLogs = new ArrayList<>();
        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, REGISTRY.url()));
             ModelPublisher publisher = new ModelPublisher(config, registry);
             KafkaProducer<String, ModelRecord> raw = modelProducer(client, registry);
             KafkaProducer<String, TokenEvent> producer = ItApps.eventProducer(client, registry);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(client, config, registry);
             EventFeeder feeder = new EventFeeder(producer, config.inputTopic(), 1_000_000, PER_SECOND, DeltaVersionsIT::event)) {
            publisher.publish(tables.get(1L), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            ChildProcessApp child = ChildProcessApp.start(configFile, logs.resolve("run-1.log"));
            try {
                feeder.start();
                output.awaitUntil(WAIT, "v1 outputs (log " + child.log() + ")", rs -> rs.size() >= 200);

                int mark = output.poll().size();
                ModelPublisher.DeltaResult r2 = publisher.publishDelta(d2.toPublish(), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
                assertThat(r2.appended()).isEqualTo(2);
                int at2 = mark;
                output.awaitUntil(WAIT, "a v2 output", rs -> names(rs, 2, at2));

                // v3's rows, a SIGKILL, then v3's commit while the application is down
                EmbeddingTable v2 = tables.get(2L);
                DeltaChunker c3 = new DeltaChunker(TestTables.TABLE, 3, new DeltaChunker.Base(2, v2.rows(), DIM, r2.contentId(), true),
                        d3.ids(), d3.toPublish().rows(), d3.tokens(), ModelChunker.DEFAULT_CHUNK_BYTES);
                List<ModelChunker.Keyed> v3 = c3.chunksAndCommit();
                send(raw, config, v3.subList(0, v3.size() - 1));
                int mark3 = output.poll().size();
                output.awaitUntil(WAIT, "outputs after v3's rows", rs -> rs.size() >= mark3 + 100);
                assertThat(child.kill()).isEqualTo(ChildProcessApp.SIGKILL_EXIT);
                childLogs.add(Files.readString(child.log()));
                send(raw, config, v3.subList(v3.size() - 1, v3.size()));
                child = ChildProcessApp.start(configFile, logs.resolve("run-2.log"));
                output.awaitUntil(WAIT, "a v3 output after the kill (log " + child.log() + ")", rs -> names(rs, 3, mark3));

                int mark2 = output.poll().size();
                publisher.activate(TestTables.TABLE, 2, "roll back to a delta version");
                output.awaitUntil(WAIT, "a v2 output after the rollback", rs -> names(rs, 2, mark2));

                int mark4 = output.poll().size();
                publisher.publishDelta(d4.toPublish(), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null); // over v3, not the active v2
                output.awaitUntil(WAIT, "a v4 output", rs -> names(rs, 4, mark4));
                Path log2 = child.log();
                await("v4 folded (log " + log2 + ")").atMost(WAIT).until(() -> Files.readString(log2).contains("v4 folded into a dense table"));
                int mark4b = output.poll().size();
                output.awaitUntil(WAIT, "v4 outputs after the fold", rs -> rs.size() >= mark4b + 100);

                assertThat(child.stop()).as("exit value after SIGTERM").isIn(0, 143);
                childLogs.add(Files.readString(child.log()));
                child = ChildProcessApp.start(configFile, logs.resolve("run-3.log"));
                Path log3 = child.log();
                // outputs the stopped child wrote may still arrive: wait for the new child's own line first
                await("the restart maps the folded v4 (log " + log3 + ")").atMost(WAIT)
                        .until(() -> Files.readString(log3).contains("v4 mapped from its verified snapshot"));
                int mark4c = output.poll().size();
                output.awaitUntil(WAIT, "v4 outputs after the restart (log " + log3 + ")", rs -> rs.size() >= mark4c + 100);

                int mark5 = output.poll().size();
                publisher.publishDelta(d5.toPublish(), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
                output.awaitUntil(WAIT, "v5 outputs", rs -> names(rs, 5, mark5) && rs.size() >= mark5 + 100);
                feeder.close();
                await("every event sent acknowledged").atMost(WAIT).until(() -> feeder.acked() == feeder.sent());
                ChildProcessApp last = child;
                output.awaitUntil(WAIT, "outputs of all " + feeder.sent() + " events (log " + last.log() + ")",
                        rs -> rs.stream().map(x -> x.value().getId()).distinct().count() >= feeder.sent());
                assertThat(child.stop()).isIn(0, 143);
                childLogs.add(Files.readString(child.log()));
            } finally {
                child.close();
            }

            List<TopicReader.Received<EnrichedEvent>> out = output.readToEnd(WAIT);
            Map<String, TokenEvent> events = feeder.events();
            Map<String, Long> perId = out.stream().collect(Collectors.groupingBy(x -> x.value().getId(), Collectors.counting()));
            assertThat(perId.keySet()).as("every event has an output").isEqualTo(events.keySet());
            assertThat(perId.values()).as("outputs per event").containsOnly(1L);
            Map<Long, Long> perVersion = new TreeMap<>();
            for (TopicReader.Received<EnrichedEvent> r : out) {
                EnrichedEvent e = r.value();
                assertThat(tables).as("the version %s names", e.getId()).containsKey(e.getTableVersion());
                TestTables.assertEnriched(e, events.get(e.getId()), tables.get(e.getTableVersion()), ItApps.MAX_LEN);
                perVersion.merge(e.getTableVersion(), 1L, Long::sum);
            }
            long newWords = out.stream().filter(r -> r.value().getTableVersion() >= 2 && events.get(r.value().getId()).getTokens() != null
                    && events.get(r.value().getId()).getTokens().stream().anyMatch(NEW_WORDS::contains)).count();
            System.out.printf("DeltaVersionsIT: %d events, outputs per version %s, %d of them with an appended word%n", events.size(),
                    perVersion, newWords);
            assertThat(perVersion).containsOnlyKeys(1L, 2L, 3L, 4L, 5L);
            assertThat(newWords).as("outputs that used a word a delta appended").isPositive();
            try (TopicReader<DeadLetter> dlq = ItApps.dlqReader(client, config, registry)) {
                assertThat(dlq.readToEnd(WAIT)).as("dead letters").isEmpty();
            }
        }
        assertThat(String.join("\n", childLogs)).contains("v4 folded into a dense table");
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void shouldRejectHostileDeltasWithTheirReasonsWhileTheActiveVersionServes() throws Exception {
        Map<String, Object> client = KAFKA.broker().clientProperties();
        TokvecConfig config = new TokvecConfig(ItApps.appConfig("delta-hostile", client, REGISTRY.url(), tmp.resolve("hostile")));
        Topics.ensureAll(config);
        EmbeddingTable v1 = TestTables.table(1, ROWS, DIM);
        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, REGISTRY.url()));
             ModelPublisher publisher = new ModelPublisher(config, registry);
             KafkaProducer<String, ModelRecord> raw = modelProducer(client, registry);
             KafkaProducer<String, TokenEvent> events = ItApps.eventProducer(client, registry);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(client, config, registry);
             TokvecApp app = ItApps.startApp(config)) {
            publisher.publish(v1, ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            ItApps.awaitActiveVersion(app, 1);
            String v1Content = ContentIds.of((io.tokvec.avro.TableCommit) new ModelChunker(v1, ModelChunker.DEFAULT_CHUNK_BYTES)
                    .commit(Map.of()).record().getBody());
            DeltaRecords.Base base1 = new DeltaRecords.Base(1, ROWS, DIM, v1Content);
            String t = TestTables.TABLE;

            Map<Reason, String> seen = new TreeMap<>();
            record Hostile(List<ModelChunker.Keyed> records, Reason reason, String message) {
            }
            List<ModelChunker.Keyed> wrongSum = DeltaRecords.delta(t, 7, base1, ROWS, new int[][] {{1, 2}, {4}}, null);
            DeltaRecords.commitOf(wrongSum).setDeltaChecksum("sha256:" + "0".repeat(64));
            DeltaRecords.commitOf(wrongSum).setContentId(ContentIds.of(v1Content, DeltaRecords.commitOf(wrongSum)));
            List<Hostile> hostile = List.of(
                    new Hostile(DeltaRecords.delta(t, 2, base1, ROWS + 1, new int[][] {{1, ROWS + 3}}, List.of(List.of("x"))),
                            Reason.BAD_DELTA, "is beyond the 51 rows"),
                    new Hostile(DeltaRecords.delta(t, 3, base1, ROWS, new int[][] {{1, 2}, {2, 3}}, null), Reason.BAD_DELTA,
                            "id 2 appears twice"),
                    new Hostile(DeltaRecords.delta(t, 4, base1, ROWS + 2, new int[][] {{1, ROWS + 1}}, List.of(List.of("x"))),
                            Reason.BAD_DELTA, "leaves a gap"),
                    new Hostile(DeltaRecords.delta(t, 5, base1, ROWS + 2, new int[][] {{ROWS}, {ROWS + 1}}, List.of(List.of("x"), List.of("x"))),
                            Reason.VOCAB_MISMATCH, "token 'x' of appended row 51 is already row 50"),
                    new Hostile(DeltaRecords.delta(t, 6, base1, ROWS + 1, new int[][] {{ROWS}}, List.of(List.of("w7"))),
                            Reason.VOCAB_MISMATCH, "token 'w7' of appended row 50 is already row 7"),
                    new Hostile(wrongSum, Reason.CHECKSUM_MISMATCH, "delta checksum is"));
            for (Hostile h : hostile) {
                long before = app.registry().rejectedCount(h.reason());
                send(raw, config, h.records());
                await(h.reason() + " rejection").atMost(WAIT).until(() -> app.registry().rejectedCount(h.reason()) > before);
                String message = app.registry().recentRejections().get(app.registry().recentRejections().size() - 1).message();
                assertThat(message).contains(h.message());
                seen.put(h.reason(), message);
                assertThat(app.registry().activeVersion()).isEqualTo(1);
            }
            assertEnrichedBy(events, output, config, 0, 60, v1);

            // a base no longer retained, and a delta of a rejected version: v8 and v9 (full) make v1 fall out of retention
            publisher.publish(TestTables.table(8, ROWS, DIM), ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            EmbeddingTable v9 = TestTables.table(9, ROWS, DIM);
            publisher.publish(v9, ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            ItApps.awaitActiveVersion(app, 9);
            await("v1 dropped").atMost(WAIT).until(() -> !app.registry().describeVersions().containsKey(1L));
            long unknown = app.registry().rejectedCount(Reason.UNKNOWN_BASE);
            send(raw, config, DeltaRecords.delta(t, 10, base1, ROWS, new int[][] {{3}}, null));
            await("UNKNOWN_BASE rejection").atMost(WAIT).until(() -> app.registry().rejectedCount(Reason.UNKNOWN_BASE) > unknown);

            List<ModelChunker.Keyed> broken = new ArrayList<>();
            ModelChunker c11 = new ModelChunker(TestTables.table(11, ROWS, DIM), ModelChunker.DEFAULT_CHUNK_BYTES);
            c11.chunks().forEachRemaining(broken::add);
            ModelChunker.Keyed commit11 = c11.commit(Map.of());
            ((io.tokvec.avro.TableCommit) commit11.record().getBody()).setChecksum("sha256:" + "2".repeat(64));
            broken.add(commit11);
            long checksums = app.registry().rejectedCount(Reason.CHECKSUM_MISMATCH);
            send(raw, config, broken);
            await("v11 rejected").atMost(WAIT).until(() -> app.registry().rejectedCount(Reason.CHECKSUM_MISMATCH) > checksums);
            long baseRejected = app.registry().rejectedCount(Reason.BASE_REJECTED);
            String v11Content = ContentIds.of((io.tokvec.avro.TableCommit) commit11.record().getBody());
            send(raw, config, DeltaRecords.delta(t, 12, new DeltaRecords.Base(11, ROWS, DIM, v11Content), ROWS, new int[][] {{3}}, null));
            await("BASE_REJECTED rejection").atMost(WAIT).until(() -> app.registry().rejectedCount(Reason.BASE_REJECTED) > baseRejected);
            assertThat(app.registry().activeVersion()).isEqualTo(9);
            List<String> last = app.registry().recentRejections().stream().map(r -> r.reason() + ": " + r.message()).toList();
            assertThat(last).anyMatch(m -> m.startsWith("UNKNOWN_BASE: ") && m.contains("names base v1, which is not committed"))
                    .anyMatch(m -> m.startsWith("BASE_REJECTED: ") && m.contains("names base v11, which was rejected (CHECKSUM_MISMATCH)"));
            assertEnrichedBy(events, output, config, 60, 60, v9);
            System.out.println("DeltaVersionsIT: hostile deltas rejected: " + seen);
        }
    }

    /** Sends events {@code from .. from + count - 1} and asserts that each is enriched exactly as {@code table} makes it. */
    private static void assertEnrichedBy(KafkaProducer<String, TokenEvent> events, TopicReader<EnrichedEvent> output,
                                         TokvecConfig config, int from, int count, EmbeddingTable table) {
        Map<String, TokenEvent> sent = new HashMap<>();
        for (int i = from; i < from + count; i++) {
            TokenEvent e = TestEvents.event(i, ROWS);
            sent.put(e.getId(), e);
            events.send(new ProducerRecord<>(config.inputTopic(), e.getId(), e));
        }
        events.flush();
        List<TopicReader.Received<EnrichedEvent>> out = output.awaitUntil(WAIT, count + " outputs of v" + table.version(),
                rs -> rs.stream().filter(r -> sent.containsKey(r.value().getId())).count() >= count);
        out.stream().filter(r -> sent.containsKey(r.value().getId()))
                .forEach(r -> TestTables.assertEnriched(r.value(), sent.get(r.value().getId()), table, ItApps.MAX_LEN));
    }
}
