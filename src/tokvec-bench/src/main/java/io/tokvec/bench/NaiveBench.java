package io.tokvec.bench;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichOptions;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.IntegerSerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * {@link NaiveTopology} under {@code TopologyTestDriver} with the same workload as the topology part:
 * the table goes to the vectors topic (one record per row, untimed), then pre-serialized events are
 * piped and the output records read and discarded. It cycles fewer distinct events (the aggregate
 * store keeps one entry per event id).
 */
final class NaiveBench {

    static final String INPUT = "naive-events";
    static final String VECTORS = "naive-vectors";
    static final String OUTPUT = "naive-enriched";
    static final String APP_ID = "tokvec-bench-naive";

    private final Workload workload;
    private final Path stateDir;

    NaiveBench(Workload workload, Path stateDir) {
        this.workload = workload;
        this.stateDir = stateDir;
    }

    /** Driver properties of the naive topology: record caches off, so the completing update is emitted at once. */
    static Properties driverProps(Path stateDir) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, APP_ID);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0");
        return p;
    }

    static NaiveTopology.Config config(int maxLen, long tableVersion) {
        return new NaiveTopology.Config(INPUT, VECTORS, OUTPUT, Workload.TABLE, tableVersion, EnrichOptions.of(maxLen));
    }

    /** Sends every row of the table to the vectors topic. */
    static void loadVectors(TestDriver.Input<Integer, byte[]> vectors, EmbeddingTable table) {
        byte[] data = table.data(); // one heap copy of the (off-heap) table, not one per row
        for (int r = 0; r < table.rows(); r++) {
            vectors.pipe(r, NaiveTopology.row(data, table.dim(), r));
        }
    }

    BenchReport.Row run() throws Exception {
        BenchSettings s = workload.settings();
        String scope = "tokvec-bench-naive-" + System.nanoTime();
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(scope);
        EmbeddingTable table = workload.table();
        try (TestDriver driver = new TestDriver(NaiveTopology.build(config(s.maxLen(), table.version()), registry),
                driverProps(stateDir))) {
            loadVectors(driver.input(VECTORS, new IntegerSerializer(), new ByteArraySerializer()), table);
            int n = Math.min(s.naiveEvents(), workload.size());
            byte[][] keys = workload.keys(n);
            byte[][] values = workload.serialized(registry, INPUT, n);
            TestDriver.Input<byte[], byte[]> input = driver.input(INPUT, new ByteArraySerializer(), new ByteArraySerializer());
            TestDriver.Output<String, byte[]> output = driver.output(OUTPUT, new StringDeserializer(), new ByteArrayDeserializer());
            // The driver also keeps every record written to internal topics; a broker would take them.
            List<TestDriver.Output<byte[], byte[]>> internal = List.of(
                    driver.output(APP_ID + "-" + NaiveTopology.REPARTITION + "-repartition", new ByteArrayDeserializer(), new ByteArrayDeserializer()),
                    driver.output(APP_ID + "-" + NaiveTopology.PARTIALS_STORE + "-changelog", new ByteArrayDeserializer(), new ByteArrayDeserializer()));
            long[] outRecords = {0};
            long[] internalRecords = {0};
            long[] piped = {0};
            TimedLoop.Run run = TimedLoop.run(s.warmupSeconds(), s.seconds(), i -> {
                int k = (int) (i % n);
                input.pipe(keys[k], values[k]);
                piped[0]++;
                for (long q = output.size(); q > 0; q--) {
                    output.readValue();
                    outRecords[0]++;
                }
                for (TestDriver.Output<byte[], byte[]> o : internal) {
                    for (long q = o.size(); q > 0; q--) {
                        o.readValue();
                        internalRecords[0]++;
                    }
                }
            });
            if (internalRecords[0] == 0) {
                throw new IllegalStateException("naive bench: no records on the repartition and changelog topics (renamed?)");
            }
            if (outRecords[0] != piped[0]) {
                throw new IllegalStateException("naive bench: " + piped[0] + " events in but " + outRecords[0] + " out");
            }
            return BenchReport.Row.of("naive", run, s.embeddingBytes(), String.format(Locale.ROOT,
                    "DSL flatMap -> GlobalKTable join -> groupByKey/aggregate, TopologyTestDriver, %,d distinct events", n));
        } finally {
            MockSchemaRegistry.dropScope(scope);
        }
    }
}
