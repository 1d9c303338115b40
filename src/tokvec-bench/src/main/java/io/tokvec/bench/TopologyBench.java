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
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Properties;

/**
 * tokvec's full topology under {@code TopologyTestDriver}, with the Confluent-format Avro serdes on a
 * {@code mock://} registry: the table is published through the model topic (chunks, commit), then
 * pre-serialized events are piped into the input topic and the output records read and discarded.
 * What is timed is everything the stream thread does per event: Avro decode, enrich, build the
 * output record, Avro encode, plus the driver's own record handling. Two floors timed after it, for
 * half the phases each, split that time in {@link #breakdown}: the driver's own handling of a record
 * ({@link #driverMicros}) and filling an output-sized array ({@link #outputArrayMicros}).
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
    /** Where the time per event went (set by {@link #run}): a detail line of the report. */
    String breakdown;

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
        try (TestDriver driver = new TestDriver(TokvecTopology.build(cfg, registry, registryClient, metrics, io.tokvec.core.Ticker.SYSTEM), TokvecTopology.streamsProps(cfg))) {
            publish(driver.input(MODEL, new StringSerializer(), new ByteArraySerializer()),
                    new ConfluentAvroSerializer<>(registryClient, false), workload.table());
            if (registry.activeVersion() != workload.table().version()) {
                throw new IllegalStateException("the bench table did not become active in the topology: "
                        + registry.describeVersions());
            }
            int n = workload.size();
            byte[][] keys = workload.keys(n);
            byte[][] values = workload.serialized(registryClient, INPUT, n);
            long[] counts = new long[3];
            TimedLoop.Run run = pipe(driver, keys, values, s.warmupSeconds(), s.seconds(), counts);
            if (counts[1] != counts[0] || metrics.deadLetterCount() != 0) {
                throw new IllegalStateException("topology bench: " + counts[0] + " events in, " + counts[1]
                        + " enriched out, " + metrics.deadLetterCount() + " dead letters");
            }
            meanOutputBytes = (double) counts[2] / counts[1];
            int valueBytes = (int) Math.round(meanOutputBytes);
            double perEvent = 1e6 / run.perSecond();
            double driverUs = driverMicros(cfg, keys, values, valueBytes, s);
            double array = outputArrayMicros(valueBytes, s, true);
            double freshArray = outputArrayMicros(valueBytes, s, false);
            breakdown = String.format(java.util.Locale.ROOT, "topology: %.1f us per event (wall clock), of which %.1f us the"
                            + " driver's own record handling (the same TopologyTestDriver, settings and changelogged store"
                            + " around a processor forwarding a prebuilt %,d-byte value: the driver commits, and checkpoints"
                            + " the store, after every record; the application commits every commit.interval.ms) and"
                            + " %.1f us filling a kept %,d-byte output array (the serializer reuses one per length and thread,"
                            + " as in tokvec run; a fresh array per record, allocated and filled, took %.1f us); the rest,"
                            + " %.1f us, is decode, enrich, encode and the record through Kafka Streams' nodes; without the"
                            + " driver's own handling %,.0f events/s",
                    perEvent, driverUs, valueBytes, array, valueBytes, freshArray, perEvent - driverUs - array,
                    1e6 / (perEvent - driverUs));
            return BenchReport.Row.of("topology", run, s.embeddingBytes(), String.format(java.util.Locale.ROOT,
                    "TopologyTestDriver, Avro in/out (mock:// registry), 1 thread; output value %,.0f bytes", meanOutputBytes));
        } finally {
            MockSchemaRegistry.dropScope(scope);
        }
    }

    /**
     * Pipes the events round-robin into the driver's input topic for a warmup and a timed phase,
     * reading the output topic every 64 records.
     *
     * @param counts set to: records piped, output records read, output value bytes read
     */
    private static TimedLoop.Run pipe(TestDriver driver, byte[][] keys, byte[][] values, double warmupSeconds, double seconds,
                                      long[] counts) throws Exception {
        TestDriver.Input<byte[], byte[]> input = driver.input(INPUT, new ByteArraySerializer(), new ByteArraySerializer());
        TestDriver.Output<byte[], byte[]> output = driver.output(OUTPUT, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        int n = keys.length;
        TimedLoop.Run run = TimedLoop.run(warmupSeconds, seconds, i -> {
            int k = (int) (i % n);
            input.pipe(keys[k], values[k]);
            counts[0]++;
            if ((i & 63) == 63) {
                drain(output, counts);
            }
        });
        drain(output, counts);
        return run;
    }

    /**
     * Microseconds per record of {@code TopologyTestDriver} itself: the same driver settings
     * ({@link TokvecTopology#streamsProps}) and an in-memory changelogged store like
     * {@link TokvecTopology#VERSION_STORE} (so the driver commits and checkpoints as it does for
     * tokvec's task), around a processor that forwards one prebuilt value of the output's size to a
     * byte-array sink; the same keys and input values are piped and the output read as in {@link #run}.
     */
    private double driverMicros(TokvecConfig cfg, byte[][] keys, byte[][] values, int valueBytes, BenchSettings s)
            throws Exception {
        byte[] value = new byte[valueBytes];
        Topology t = new Topology();
        t.addSource("floor-source", new ByteArrayDeserializer(), new ByteArrayDeserializer(), INPUT);
        t.addProcessor("floor-forward", () -> new Processor<byte[], byte[], byte[], byte[]>() {
            private ProcessorContext<byte[], byte[]> context;

            @Override
            public void init(ProcessorContext<byte[], byte[]> context) {
                this.context = context;
            }

            @Override
            public void process(Record<byte[], byte[]> record) {
                context.forward(record.withValue(value));
            }
        }, "floor-source");
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("floor-store"), Serdes.String(),
                Serdes.ByteArray()).withCachingDisabled(), "floor-forward");
        t.addSink("floor-sink", OUTPUT, new ByteArraySerializer(), new ByteArraySerializer(), "floor-forward");
        Properties props = TokvecTopology.streamsProps(cfg);
        props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createDirectories(stateDir.resolve("driver-floor")).toString());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "tokvec-bench-driver-floor");
        try (TestDriver driver = new TestDriver(t, props)) {
            long[] counts = new long[3];
            TimedLoop.Run run = pipe(driver, keys, values, s.warmupSeconds() / 2, s.seconds() / 2, counts);
            if (counts[1] != counts[0]) {
                throw new IllegalStateException("driver floor: " + counts[0] + " records in, " + counts[1] + " out");
            }
            return 1e6 / run.perSecond();
        }
    }

    /**
     * Microseconds to fill one {@code bytes}-long output array from a buffer, as the output serializer
     * does once per record: a kept array ({@code kept}), or a fresh one allocated each time.
     */
    private static double outputArrayMicros(int bytes, BenchSettings s, boolean kept) throws Exception {
        byte[] source = new byte[bytes];
        byte[] target = new byte[bytes];
        long[] sink = {0};
        TimedLoop.Run run = TimedLoop.run(s.warmupSeconds() / 4, s.seconds() / 4, i -> {
            source[(int) (i % bytes)]++;
            byte[] copy = kept ? target : new byte[bytes];
            System.arraycopy(source, 0, copy, 0, bytes);
            sink[0] += copy[(int) ((i * 31) % bytes)];
        });
        CoreBench.blackhole = sink[0];
        return 1e6 / run.perSecond();
    }

    private static void drain(TestDriver.Output<byte[], byte[]> output, long[] counts) {
        for (long k = output.size(); k > 0; k--) {
            counts[2] += output.readValue().length;
            counts[1]++;
        }
    }

    /** Publishes a table into a driver's model topic as the model topic carries it: chunks, then the commit. */
    static void publish(TestDriver.Input<String, byte[]> model, ConfluentAvroSerializer<ModelRecord> serializer,
                        EmbeddingTable table) {
        publish(model, MODEL, serializer, table);
    }

    /** As {@link #publish(TestDriver.Input, ConfluentAvroSerializer, EmbeddingTable)}, into model topic {@code topic}. */
    static void publish(TestDriver.Input<String, byte[]> model, String topic, ConfluentAvroSerializer<ModelRecord> serializer,
                        EmbeddingTable table) {
        ModelChunker chunker = new ModelChunker(table, ModelChunker.DEFAULT_CHUNK_BYTES);
        for (Iterator<ModelChunker.Keyed> it = chunker.chunks(); it.hasNext(); ) {
            ModelChunker.Keyed c = it.next();
            model.pipe(c.key().topicKey(), serializer.serialize(topic, c.record()));
        }
        ModelChunker.Keyed commit = chunker.commit(Map.of());
        model.pipe(commit.key().topicKey(), serializer.serialize(topic, commit.record()));
    }
}
