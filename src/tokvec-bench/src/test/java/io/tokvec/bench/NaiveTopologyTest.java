package io.tokvec.bench;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichOptions;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.TableRegistry;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.config.TokvecConfig;
import io.tokvec.streams.TokvecMetrics;
import io.tokvec.streams.TokvecTopology;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.IntegerSerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The benchmark's baseline must compute what tokvec computes: the same events through both
 * topologies (each under TopologyTestDriver) give the same ids, mask, length, truncated flag and
 * embedding bytes.
 */
class NaiveTopologyTest {

    private static final int ROWS = 20;
    private static final int DIM = 4;

    @TempDir
    Path dir;

    private final List<String> scopes = new ArrayList<>();

    @AfterEach
    void dropScopes() {
        scopes.forEach(MockSchemaRegistry::dropScope);
    }

    /** Short, exact, long (truncated), with ids 0 and 1 inside, empty, and an id seen twice. */
    private static List<TokenEvent> events() {
        return List.of(
                event("short", 5, 7, 9),
                event("exact", 2, 3, 4, 5, 6),
                event("long", 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
                event("zero-and-oov", 0, 1, 19, 0),
                event("empty"),
                event("short", 18, 17),
                event("single", 11));
    }

    private static TokenEvent event(String id, Integer... ids) {
        return TokenEvent.newBuilder().setId(id).setTokenIds(List.of(ids)).build();
    }

    @Test
    void shouldMatchTokvecWithKerasDefaults() {
        assertSameOutputs(Map.of());
    }

    @Test
    void shouldMatchTokvecWithPostPaddingAndTruncating() {
        assertSameOutputs(Map.of(TokvecConfig.PADDING, "post", TokvecConfig.TRUNCATING, "post"));
    }

    @Test
    void shouldMatchTokvecWithZeroPadVectors() {
        assertSameOutputs(Map.of(TokvecConfig.PAD_VECTOR, "zeros", TokvecConfig.PADDING, "post"));
    }

    @Test
    void shouldMatchTokvecOnTheBenchWorkload() {
        BenchSettings s = new BenchSettings(true, 500, 16, 32, 64, 40, 3L, 0, 0.1, 10, 0, 1, 1, 10, 1, 0, 1,
                "at_least_once", BenchSettings.ALL_PARTS, null);
        Workload w = new Workload(s);
        List<TokenEvent> events = new ArrayList<>();
        for (int i = 0; i < w.size(); i++) {
            events.add(w.event(i));
        }
        Map<String, String> o = Map.of(TokvecConfig.MAX_LEN, "32");
        List<EnrichedEvent> expected = tokvec(w.table(), o, events);
        List<EnrichedEvent> actual = naive(w.table(), config(o).enrichOptions(), events);
        assertThat(expected).hasSize(events.size());
        assertSame(actual, expected);
    }

    private void assertSameOutputs(Map<String, String> options) {
        EmbeddingTable table = Workload.gaussianTable(Workload.TABLE, 3, ROWS, DIM, 11L);
        Map<String, String> o = new HashMap<>(options);
        o.put(TokvecConfig.MAX_LEN, "5");
        List<EnrichedEvent> expected = tokvec(table, o, events());
        List<EnrichedEvent> actual = naive(table, config(o).enrichOptions(), events());
        assertThat(expected).hasSize(events().size());
        assertThat(expected).extracting(EnrichedEvent::getTruncated).contains(true, false);
        assertSame(actual, expected);
    }

    private static void assertSame(List<EnrichedEvent> actual, List<EnrichedEvent> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            EnrichedEvent e = expected.get(i);
            EnrichedEvent a = actual.get(i);
            String what = "event " + i + " (" + e.getId() + ")";
            assertThat(a.getId()).as(what).isEqualTo(e.getId());
            assertThat(a.getTable()).as(what).isEqualTo(e.getTable());
            assertThat(a.getTableVersion()).as(what).isEqualTo(e.getTableVersion());
            assertThat(a.getIds()).as(what).isEqualTo(e.getIds());
            assertThat(a.getMask()).as(what).isEqualTo(e.getMask());
            assertThat(a.getLength()).as(what).isEqualTo(e.getLength());
            assertThat(a.getTruncated()).as(what).isEqualTo(e.getTruncated());
            assertThat(a.getDim()).as(what).isEqualTo(e.getDim());
            assertThat(a.getEmbeddings()).as(what).isEqualTo(e.getEmbeddings());
        }
    }

    private TokvecConfig config(Map<String, String> options) {
        String scope = "NaiveTopologyTest-" + scopes.size();
        scopes.add(scope);
        Map<String, String> p = new HashMap<>(TopologyBench.config(scope, dir.resolve(scope), 5).all());
        p.putAll(options);
        return new TokvecConfig(p);
    }

    private List<EnrichedEvent> tokvec(EmbeddingTable table, Map<String, String> options, List<TokenEvent> events) {
        TokvecConfig cfg = config(options);
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(cfg.schemaRegistryUrl().substring("mock://".length()));
        TableRegistry tables = TokvecTopology.newRegistry(cfg, registry);
        try (TopologyTestDriver driver = new TopologyTestDriver(
                TokvecTopology.build(cfg, tables, registry, new TokvecMetrics()), TokvecTopology.streamsProps(cfg))) {
            TestInputTopic<String, byte[]> model = driver.createInputTopic(cfg.modelTopic(), new StringSerializer(), new ByteArraySerializer());
            ConfluentAvroSerializer<ModelRecord> modelSerializer = new ConfluentAvroSerializer<>(registry, false);
            ModelChunker chunker = new ModelChunker(table, ModelChunker.DEFAULT_CHUNK_BYTES);
            for (Iterator<ModelChunker.Keyed> it = chunker.chunks(); it.hasNext(); ) {
                ModelChunker.Keyed k = it.next();
                model.pipeInput(k.key().topicKey(), modelSerializer.serialize(cfg.modelTopic(), k.record()));
            }
            ModelChunker.Keyed commit = chunker.commit(Map.of());
            model.pipeInput(commit.key().topicKey(), modelSerializer.serialize(cfg.modelTopic(), commit.record()));
            assertThat(tables.activeVersion()).isEqualTo(table.version());

            TestInputTopic<byte[], byte[]> input = driver.createInputTopic(cfg.inputTopic(), new ByteArraySerializer(), new ByteArraySerializer());
            ConfluentAvroSerializer<TokenEvent> eventSerializer = new ConfluentAvroSerializer<>(registry, false);
            for (TokenEvent e : events) {
                input.pipeInput(e.getId().getBytes(StandardCharsets.UTF_8), eventSerializer.serialize(cfg.inputTopic(), e));
            }
            TestOutputTopic<byte[], byte[]> output = driver.createOutputTopic(cfg.outputTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            ConfluentAvroDeserializer<EnrichedEvent> d = new ConfluentAvroDeserializer<>(EnrichedEvent.class, registry, false);
            return output.readValuesToList().stream().map(v -> d.deserialize(cfg.outputTopic(), v)).toList();
        }
    }

    private List<EnrichedEvent> naive(EmbeddingTable table, EnrichOptions options, List<TokenEvent> events) {
        String scope = "NaiveTopologyTest-naive-" + scopes.size();
        scopes.add(scope);
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(scope);
        NaiveTopology.Config c = new NaiveTopology.Config(NaiveBench.INPUT, NaiveBench.VECTORS, NaiveBench.OUTPUT,
                table.name(), table.version(), options);
        try (TopologyTestDriver driver = new TopologyTestDriver(NaiveTopology.build(c, registry),
                NaiveBench.driverProps(dir.resolve(scope)))) {
            TestInputTopic<Integer, byte[]> vectors = driver.createInputTopic(NaiveBench.VECTORS, new IntegerSerializer(), new ByteArraySerializer());
            byte[] data = table.data();
            for (int r = 0; r < table.rows(); r++) {
                vectors.pipeInput(r, NaiveTopology.row(data, table.dim(), r));
            }
            TestInputTopic<byte[], byte[]> input = driver.createInputTopic(NaiveBench.INPUT, new ByteArraySerializer(), new ByteArraySerializer());
            ConfluentAvroSerializer<TokenEvent> eventSerializer = new ConfluentAvroSerializer<>(registry, false);
            for (TokenEvent e : events) {
                input.pipeInput(e.getId().getBytes(StandardCharsets.UTF_8), eventSerializer.serialize(NaiveBench.INPUT, e));
            }
            TestOutputTopic<String, byte[]> output = driver.createOutputTopic(NaiveBench.OUTPUT, new StringDeserializer(), new ByteArrayDeserializer());
            ConfluentAvroDeserializer<EnrichedEvent> d = new ConfluentAvroDeserializer<>(EnrichedEvent.class, registry, false);
            return output.readValuesToList().stream().map(v -> d.deserialize(NaiveBench.OUTPUT, v)).toList();
        }
    }
}
