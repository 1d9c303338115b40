package io.tokvec.bench;

import io.tokvec.avro.ModelRecord;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.TableRegistry;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.config.TokvecConfig;
import io.tokvec.streams.TokvecMetrics;
import io.tokvec.streams.TokvecTopology;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * tokvec's full topology under {@code TopologyTestDriver}, with the Confluent-format Avro serdes on a
 * {@code mock://} registry: the table is published through the model topic (chunks, commit), then
 * pre-serialized events are piped into the input topic and the output records read and discarded.
 * What is timed is everything the stream thread does per event: Avro decode, enrich, build the
 * output record, Avro encode, plus the driver's own record handling.
 */
final class TopologyBench {

    static final String INPUT = "bench-events";
    static final String OUTPUT = "bench-enriched";
    static final String MODEL = "bench-model";
    static final String DLQ = "bench-dlq";

    private final Workload workload;
    private final Path stateDir;
    /** Mean size of an output record's value, in bytes (set by {@link #run}). */
    double meanOutputBytes;

    TopologyBench(Workload workload, Path stateDir) {
        this.workload = workload;
        this.stateDir = stateDir;
    }

    /**
     * Where the driver keeps its state: in memory ({@code /dev/shm}) when there is one.
     * TopologyTestDriver commits and writes the checkpoint file (with an fsync) after every record
     * of a task with a changelogged store ({@link TokvecTopology#VERSION_STORE}); the application
     * checkpoints at commits only (every 10,000 records at most under at_least_once, on close under
     * exactly_once_v2), so a per-record fsync would measure the driver, not the topology.
     */
    static Path stateDir(Path work) throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return Files.createTempDirectory(shm, "tokvec-bench-topology-");
        }
        return Files.createDirectories(work.resolve("topology"));
    }

    /** The tokvec config the bench's TopologyTestDriver runs with. */
    static TokvecConfig config(String scope, Path stateDir, int maxLen) {
        Map<String, String> p = new HashMap<>();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "tokvec-bench-topology");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(TokvecConfig.SCHEMA_REGISTRY_URL, "mock://" + scope);
        p.put(TokvecConfig.TOPIC_INPUT, INPUT);
        p.put(TokvecConfig.TOPIC_OUTPUT, OUTPUT);
        p.put(TokvecConfig.TOPIC_MODEL, MODEL);
        p.put(TokvecConfig.TOPIC_DLQ, DLQ);
        p.put(TokvecConfig.TABLE, Workload.TABLE);
        p.put(TokvecConfig.MAX_LEN, Integer.toString(maxLen));
        return new TokvecConfig(p);
    }

    BenchReport.Row run() throws Exception {
        BenchSettings s = workload.settings();
        String scope = "tokvec-bench-topology-" + System.nanoTime();
        TokvecConfig cfg = config(scope, stateDir, s.maxLen());
        SchemaRegistryClient registryClient = MockSchemaRegistry.getClientForScope(scope);
        TokvecMetrics metrics = new TokvecMetrics();
        TableRegistry registry = TokvecTopology.newRegistry(cfg, registryClient);
        try (TestDriver driver = new TestDriver(TokvecTopology.build(cfg, registry, registryClient, metrics), TokvecTopology.streamsProps(cfg))) {
            publish(driver.input(MODEL, new StringSerializer(), new ByteArraySerializer()),
                    new ConfluentAvroSerializer<>(registryClient, false), workload.table());
            if (registry.activeVersion() != workload.table().version()) {
                throw new IllegalStateException("the bench table did not become active in the topology: "
                        + registry.describeVersions());
            }
            int n = workload.size();
            byte[][] keys = workload.keys(n);
            byte[][] values = workload.serialized(registryClient, INPUT, n);
            TestDriver.Input<byte[], byte[]> input = driver.input(INPUT, new ByteArraySerializer(), new ByteArraySerializer());
            TestDriver.Output<byte[], byte[]> output = driver.output(OUTPUT, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            long[] outBytes = {0};
            long[] outRecords = {0};
            long[] piped = {0};
            TimedLoop.Run run = TimedLoop.run(s.warmupSeconds(), s.seconds(), i -> {
                int k = (int) (i % n);
                input.pipe(keys[k], values[k]);
                piped[0]++;
                if ((i & 63) == 63) {
                    drain(output, outBytes, outRecords);
                }
            });
            drain(output, outBytes, outRecords);
            if (outRecords[0] != piped[0] || metrics.deadLetterCount() != 0) {
                throw new IllegalStateException("topology bench: " + piped[0] + " events in, " + outRecords[0]
                        + " enriched out, " + metrics.deadLetterCount() + " dead letters");
            }
            meanOutputBytes = (double) outBytes[0] / outRecords[0];
            return BenchReport.Row.of("topology", run, s.embeddingBytes(), String.format(java.util.Locale.ROOT,
                    "TopologyTestDriver, Avro in/out (mock:// registry), 1 thread; output value %,.0f bytes", meanOutputBytes));
        } finally {
            MockSchemaRegistry.dropScope(scope);
        }
    }

    private static void drain(TestDriver.Output<byte[], byte[]> output, long[] bytes, long[] records) {
        for (long k = output.size(); k > 0; k--) {
            bytes[0] += output.readValue().length;
            records[0]++;
        }
    }

    /** Publishes a table into a driver's model topic as the model topic carries it: chunks, then the commit. */
    static void publish(TestDriver.Input<String, byte[]> model, ConfluentAvroSerializer<ModelRecord> serializer,
                        EmbeddingTable table) {
        ModelChunker chunker = new ModelChunker(table, ModelChunker.DEFAULT_CHUNK_BYTES);
        for (Iterator<ModelChunker.Keyed> it = chunker.chunks(); it.hasNext(); ) {
            ModelChunker.Keyed c = it.next();
            model.pipe(c.key().topicKey(), serializer.serialize(MODEL, c.record()));
        }
        ModelChunker.Keyed commit = chunker.commit(Map.of());
        model.pipe(commit.key().topicKey(), serializer.serialize(MODEL, commit.record()));
    }
}
