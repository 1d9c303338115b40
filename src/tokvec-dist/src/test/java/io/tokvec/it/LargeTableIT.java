package io.tokvec.it;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.broker.EmbeddedKafkaBroker;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableDtype;
import io.tokvec.devkit.TestSchemaRegistry;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.Topics;
import io.tokvec.model.ModelChunker;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.tables.NpyWriter;
import io.tokvec.tables.TableFiles;
import io.tokvec.tables.TableFormat;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.tokvec.it.TestTables.assertEnriched;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * A table larger than 2 GiB (2,200,000 x 256 float32 = 2.25 GB, generated from a seed into a .npy
 * file, row by row) is published on the embedded broker and served by {@code tokvec.jar run} in a
 * child JVM with {@code -Xmx512m}: the table lives off-heap, so the heap does not grow with it.
 * Events whose ids are spread over the whole table (segment boundaries and the last row included)
 * come out exactly as the file's rows. Then the child is stopped (SIGTERM) and started again on
 * the kept state dir: it maps its verified snapshot instead of rebuilding, and the first event is
 * served from it. The test prints the publish rate and the time to the first event after the restart
 * (src/site/markdown/tables.md, "Sizing", has the figures for 3.6 GB).
 */
@Tag(ItTags.LARGE)
class LargeTableIT {

    /** Rows and dim can be raised for a one-off measurement, e.g. {@code -Dtokvec.it.large.rows=3000000 -Dtokvec.it.large.dim=300} (3.6 GB). */
    private static final int ROWS = Integer.getInteger("tokvec.it.large.rows", 2_200_000);
    private static final int DIM = Integer.getInteger("tokvec.it.large.dim", 256);
    private static final long SEED = 20260512L;
    private static final long BYTES = (long) ROWS * DIM * Float.BYTES;
    private static final Duration WAIT = Duration.ofSeconds(300);
    private static final int EVENTS = 60;

    private static EmbeddedKafkaBroker broker;
    @RegisterExtension
    static final TestSchemaRegistry schemaRegistry = new TestSchemaRegistry();

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws IOException {
        broker = EmbeddedKafkaBroker.builder().build().start();
    }

    @AfterAll
    static void stop() {
        if (broker != null) broker.close();
    }

    @Test
    @Timeout(value = 900, unit = TimeUnit.SECONDS)
    void shouldEnrichExactlyFromATableLargerThan2GiBWhenPublishedAndAfterARestart() throws Exception {
        assertThat(BYTES).isGreaterThan(1L << 31);
        Path jar = ChildProcessApp.jar(); // before writing 2.25 GB: the child runs the packaged jar
        // the .npy file, the broker's log, the global store and the app's mapped table: 4 copies, plus room
        long usable = Files.getFileStore(tmp).getUsableSpace();
        assumeThat(usable).as("free disk for 4 copies of a %d-byte table", BYTES).isGreaterThan(5 * BYTES);

        Path npy = tmp.resolve("large.npy");
        NpyWriter.write(npy, ROWS, DIM, TableDtype.FLOAT32, LargeTableIT::row);
        try {
            run(npy, jar);
        } finally {
            Files.deleteIfExists(npy);
        }
    }

    private void run(Path npy, Path jar) throws Exception {
        EmbeddingTable table = TableFiles.load(npy, TableFormat.NPY, null, TestTables.TABLE, 1);
        assertThat(table.segments().offHeap()).as("the .npy file is mapped, not read onto the heap").isTrue();
        assertThat(table.segments().count()).as("segments of the mapped file").isGreaterThan(2);

        Map<String, Object> client = broker.clientProperties();
        Map<String, String> settings = ItApps.appConfig("large", client, schemaRegistry.url(), tmp.resolve("state"));
        TokvecConfig config = new TokvecConfig(settings);
        Path configFile = ChildProcessApp.writeConfig(settings, tmp.resolve("tokvec.properties"));
        Path logs = jar.getParent().resolve("it-logs").resolve("LargeTableIT");
        Topics.ensureAll(config);

        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(Map.of(SchemaRegistries.URL, schemaRegistry.url()));
             ModelPublisher publisher = new ModelPublisher(config, registry);
             KafkaProducer<String, TokenEvent> producer = ItApps.eventProducer(client, registry);
             TopicReader<EnrichedEvent> output = ItApps.outputReader(client, config, registry);
             TopicReader<DeadLetter> dlq = ItApps.dlqReader(client, config, registry)) {
            ModelPublisher.Result published = publisher.publish(table, ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
            System.out.printf("LargeTableIT: published %d x %d float32 (%.2f GB) in %d chunks, %.1f s, %.0f MB/s%n", ROWS, DIM,
                    BYTES / 1e9, published.chunks(), published.seconds(), BYTES / 1e6 / published.seconds());

            List<TokenEvent> first = events(0, EVENTS);
            try (ChildProcessApp child = ChildProcessApp.start(configFile, logs.resolve("run-1.log"))) {
                for (TokenEvent e : first) producer.send(new ProducerRecord<>(config.inputTopic(), e.getId(), e)).get();
                output.awaitUntil(WAIT, EVENTS + " outputs (log " + child.log() + ")", rs -> rs.size() >= EVENTS || !child.isAlive());
                assertThat(child.isAlive()).as("child alive (log %s)", child.log()).isTrue();
                assertThat(child.stop()).as("exit value after SIGTERM").isIn(0, 143);
            }
            Path kept = tmp.resolve("state").resolve("large").resolve("tokvec-tables");
            assertThat(kept.resolve(TestTables.TABLE + "-v1.float32")).as("the verified snapshot kept at shutdown").isRegularFile();
            assertThat(kept.resolve(TestTables.TABLE + "-v1.float32.meta")).isRegularFile();

            List<TokenEvent> second = events(EVENTS, 1);
            long t0 = System.nanoTime();
            try (ChildProcessApp child = ChildProcessApp.start(configFile, logs.resolve("run-2.log"))) {
                for (TokenEvent e : second) producer.send(new ProducerRecord<>(config.inputTopic(), e.getId(), e)).get();
                output.awaitUntil(WAIT, "the first output after the restart (log " + child.log() + ")",
                        rs -> rs.size() >= EVENTS + 1 || !child.isAlive());
                double firstSeconds = (System.nanoTime() - t0) / 1e9;
                String log = Files.readString(child.log());
                System.out.printf("LargeTableIT: restart on the kept state dir served its first event %.1f s after the JVM started%n",
                        firstSeconds);
                assertThat(log).as("child log").contains("mapped from its verified snapshot").doesNotContain("OutOfMemoryError");
                assertThat(child.stop()).isIn(0, 143);
            }

            List<TopicReader.Received<EnrichedEvent>> out = output.readToEnd(WAIT);
            assertThat(out).hasSize(EVENTS + 1);
            List<TokenEvent> all = new ArrayList<>(first);
            all.addAll(second);
            for (TopicReader.Received<EnrichedEvent> r : out) {
                TokenEvent in = all.get(TestEvents.index(r.value().getId()));
                assertEnriched(r.value(), in, table, ItApps.MAX_LEN); // expected rows read from the .npy file
            }
            assertThat(dlq.readToEnd(Duration.ofSeconds(10))).as("dead letters").isEmpty();
        }
    }

    /** Row {@code r} of the table: a function of the seed and the row only. */
    static void row(int r, float[] values) {
        SplittableRandom rnd = new SplittableRandom(SEED * 31 + r);
        for (int k = 0; k < values.length; k++) {
            values[k] = (float) (rnd.nextDouble() * 2 - 1);
        }
    }

    /** Events of ids spread over the whole table: random rows, the segment boundaries (2^20 rows of 1 KiB) and the last row. */
    private static List<TokenEvent> events(int from, int n) {
        int[] edges = {1, (1 << 20) - 1, 1 << 20, (1 << 21) - 1, 1 << 21, ROWS - 1};
        List<TokenEvent> events = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            SplittableRandom rnd = new SplittableRandom(SEED + i);
            List<Integer> ids = new ArrayList<>();
            for (int k = 0; k < ItApps.MAX_LEN - (i % 3); k++) {
                ids.add(k == 0 ? edges[i % edges.length] : rnd.nextInt(ROWS));
            }
            events.add(TokenEvent.newBuilder().setId(TestEvents.id(i)).setTimestampMs(1_700_000_000_000L + i)
                    .setMetadata(Map.of()).setTokenIds(ids).build());
        }
        return events;
    }
}
