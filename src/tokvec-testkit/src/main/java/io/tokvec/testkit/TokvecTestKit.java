package io.tokvec.testkit;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.Half;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.RejectionLog;
import io.tokvec.model.TableRegistry;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.streams.TokvecEnrichment;
import io.tokvec.tables.TableFiles;
import io.tokvec.tables.TableFormat;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * tokvec in a {@link TopologyTestDriver} test of your own topology: publishes table versions on the
 * model topic (from a {@code float[][]}, a numpy {@code .npy} file or a GloVe file, optionally with a
 * vocabulary; chunked, committed and checksummed as {@code tokvec publish} does), activates retained
 * versions (rollback), and reads the enrichment's outputs as typed records, all on a {@code mock://}
 * schema registry:
 *
 * <pre>{@code
 * Properties props = TokvecTestKit.testProperties("my-app");   // mock:// registry, a temporary state dir
 * props.put("tokvec.max.len", "4");
 * TokvecEnrichment tokvec = TokvecEnrichment.builder(props).build();
 * TokvecTestKit kit = TokvecTestKit.of(new TopologyTestDriver(MyApp.buildTopology(tokvec), props), tokvec);
 * kit.publish(1, new float[][] {{0, 0}, {0, 0}, {0.5f, -1}}, List.of("", "[UNK]", "hello"));
 * ... pipe your input, then kit.enrichedTopic("my-output", new StringDeserializer()).readValue() ...
 * kit.close();
 * }</pre>
 *
 * The driver runs the model topic's records on the calling thread: when {@code publish} returns, the
 * version is active (or the call failed, naming the rejection).
 */
public final class TokvecTestKit implements AutoCloseable {

    /** State directories made by {@link #testProperties}: deleted by the kit that closes over them. */
    private static final Set<Path> TEMPORARY_STATE_DIRS = ConcurrentHashMap.newKeySet();
    private static final AtomicInteger SCOPES = new AtomicInteger();

    private final TopologyTestDriver driver;
    private final TokvecEnrichment tokvec;
    private final TestInputTopic<String, ModelRecord> model;
    private boolean closed;

    private TokvecTestKit(TopologyTestDriver driver, TokvecEnrichment tokvec) {
        this.driver = driver;
        this.tokvec = tokvec;
        this.model = driver.createInputTopic(tokvec.config().modelTopic(), new StringSerializer(),
                tokvec.serdes().modelRecord().serializer());
    }

    /**
     * A kit over {@code driver}, whose topology holds {@code tokvec} (its model store and enrichment).
     * {@link #close()} closes both.
     */
    public static TokvecTestKit of(TopologyTestDriver driver, TokvecEnrichment tokvec) {
        return new TokvecTestKit(driver, tokvec);
    }

    /**
     * Properties for one test: {@code application.id} {@code name}, {@code schema.registry.url}
     * {@code mock://<name>-<n>} (a registry scope of its own) and a new temporary {@code state.dir}; the
     * kit that closes over them drops the scope and deletes the directory. Add tokvec's settings
     * ({@code tokvec.max.len} must be set) and your application's.
     */
    public static Properties testProperties(String name) {
        Path stateDir;
        try {
            stateDir = Files.createTempDirectory("tokvec-test-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary state directory", e);
        }
        TEMPORARY_STATE_DIRS.add(stateDir);
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, name);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(TokvecConfig.SCHEMA_REGISTRY_URL, "mock://" + name + "-" + SCOPES.incrementAndGet());
        return p;
    }

    // ---- table versions ----

    /** Publishes version {@code version} of the configured table: {@code rows[i]} is row i, without vocabulary (id events only). */
    public TokvecTestKit publish(long version, float[][] rows) {
        return publish(version, rows, null);
    }

    /**
     * Publishes version {@code version} of the configured table: {@code rows[i]} is row i, and
     * {@code vocabulary.get(i)} its token (row 0 is padding, {@code ''}; row 1 the OOV token, as Keras'
     * {@code get_vocabulary()} lists them), so that events may carry token strings.
     *
     * @throws IllegalStateException naming the reason when the enrichment rejects the version
     */
    public TokvecTestKit publish(long version, float[][] rows, List<String> vocabulary) {
        if (rows.length == 0) {
            throw new IllegalArgumentException("a table has at least one row");
        }
        int dim = rows[0].length;
        float[] flat = new float[rows.length * dim];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != dim) {
                throw new IllegalArgumentException("row " + i + " has " + rows[i].length + " values, row 0 has " + dim);
            }
            System.arraycopy(rows[i], 0, flat, i * dim, dim);
        }
        return publish(EmbeddingTable.fromFloats(table(), version, rows.length, dim, flat, vocabulary));
    }

    /**
     * Publishes a numpy {@code .npy} file (float32 or float16, {@code [rows, dim]}) as version
     * {@code version}, with the tokens of {@code vocabulary} (one per line, one per row; null for none).
     */
    public TokvecTestKit publishNpy(long version, Path npy, Path vocabulary) {
        return publish(load(npy, TableFormat.NPY, vocabulary, version));
    }

    /**
     * Publishes a GloVe text file ({@code word v1 v2 ...} per line) as version {@code version}: row 0 is
     * padding ({@code ''}), row 1 OOV ({@code [UNK]}), and the file's i-th word row i + 2, as
     * {@code tokvec publish --format glove} does.
     */
    public TokvecTestKit publishGlove(long version, Path glove) {
        return publish(load(glove, TableFormat.GLOVE, null, version));
    }

    /**
     * Activates a retained version: a rollback to an earlier version or a roll forward, as
     * {@code tokvec publish --activate} does.
     *
     * @throws IllegalStateException naming the reason when the enrichment refuses it (a version it does not hold)
     */
    public TokvecTestKit activate(long version) {
        long rejected = registry().rejectedCount();
        send(ModelChunker.activate(table(), version, "test kit"));
        failIfRejected(rejected, "activate v" + version);
        return this;
    }

    /** The active version of the configured table, or -1 while none is. */
    public long activeVersion() {
        return registry().activeVersion();
    }

    private TokvecTestKit publish(EmbeddingTable table) {
        try {
            long rejected = registry().rejectedCount();
            ModelChunker chunker = new ModelChunker(table, ModelChunker.DEFAULT_CHUNK_BYTES);
            Iterator<ModelChunker.Keyed> chunks = chunker.chunks();
            while (chunks.hasNext()) {
                send(chunks.next());
            }
            send(chunker.commit(Map.of("source", "tokvec-testkit")));
            failIfRejected(rejected, "publish v" + table.version());
            return this;
        } finally {
            table.retire(); // frees its memory now (the enrichment built its own copy)
        }
    }

    private EmbeddingTable load(Path file, TableFormat format, Path vocabulary, long version) {
        try {
            return TableFiles.load(file, format, vocabulary, table(), version, tokvec.config().allowNonFinite());
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    private void send(ModelChunker.Keyed record) {
        model.pipeInput(record.key().topicKey(), record.record());
    }

    private void failIfRejected(long rejectedBefore, String what) {
        if (registry().rejectedCount() > rejectedBefore) {
            List<RejectionLog.Rejection> recent = registry().recentRejections();
            RejectionLog.Rejection last = recent.get(recent.size() - 1);
            throw new IllegalStateException(what + " of table '" + table() + "' was rejected: " + last.reason() + ": "
                    + last.message());
        }
    }

    private TableRegistry registry() {
        return tokvec.registry();
    }

    private String table() {
        return tokvec.config().table();
    }

    // ---- topics ----

    /** The topic {@code topic} to pipe {@link TokenEvent}s into, in the wire format, keys serialized by {@code keySerializer}. */
    public <K> TestInputTopic<K, TokenEvent> eventTopic(String topic, Serializer<K> keySerializer) {
        return driver.createInputTopic(topic, keySerializer, tokvec.serdes().tokenEvent().serializer());
    }

    /** The topic {@code topic} of enriched records ({@code tokvec.output.encoding=bytes}), keys read by {@code keyDeserializer}. */
    public <K> TestOutputTopic<K, EnrichedEvent> enrichedTopic(String topic, Deserializer<K> keyDeserializer) {
        return driver.createOutputTopic(topic, keyDeserializer, tokvec.serdes().enrichedEvent().deserializer());
    }

    /** The topic {@code topic} of dead letters, keys read by {@code keyDeserializer}. */
    public <K> TestOutputTopic<K, DeadLetter> deadLetterTopic(String topic, Deserializer<K> keyDeserializer) {
        return driver.createOutputTopic(topic, keyDeserializer, tokvec.serdes().deadLetter().deserializer());
    }

    /** The driver the kit runs on. */
    public TopologyTestDriver driver() {
        return driver;
    }

    /**
     * The embeddings of an enriched record as {@code [max_len][dim]} floats (what numpy's
     * {@code np.frombuffer(b, '<f4').reshape(max_len, dim)} reads; float16 records are widened exactly).
     */
    public static float[][] embeddings(EnrichedEvent record) {
        int dim = record.getDim();
        boolean half = "float16".equals(record.getDtype());
        ByteBuffer b = record.getEmbeddings().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int values = b.remaining() / (half ? Short.BYTES : Float.BYTES);
        float[][] out = new float[dim == 0 ? 0 : values / dim][dim];
        for (float[] row : out) {
            for (int j = 0; j < dim; j++) {
                row[j] = half ? Half.halfToFloat(b.getShort()) : b.getFloat();
            }
        }
        return out;
    }

    /**
     * Closes the driver and the enrichment (its table files go), drops the {@code mock://} registry
     * scope, and deletes the state directory {@link #testProperties} made.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            driver.close();
        } catch (RuntimeException alreadyClosed) {
            // the test closed it itself
        }
        tokvec.close();
        String url = tokvec.config().property(TokvecConfig.SCHEMA_REGISTRY_URL);
        if (url != null && url.startsWith("mock://")) {
            MockSchemaRegistry.dropScope(url.substring("mock://".length()));
        }
        String stateDir = tokvec.config().property(StreamsConfig.STATE_DIR_CONFIG);
        if (stateDir != null && TEMPORARY_STATE_DIRS.remove(Path.of(stateDir))) {
            deleteRecursively(Path.of(stateDir));
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the test's state directory " + dir, e);
        }
    }
}
