package io.tokvec.streams;

import io.tokvec.config.TokvecConfig;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.EnrichedEventFloats;
import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.TableRegistry;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.testutil.ManualTicker;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A {@link TopologyTestDriver} around {@link TokvecTopology} with the real Confluent-format serdes on
 * a {@code mock://} registry: publish tables through the model topic, pipe events, read the
 * enriched and dead-letter topics. The catch-up wait runs on a {@link ManualTicker} (as the driver's
 * own wall clock is mocked): it takes no time, and {@link #ticker} shows every wait. Tests get
 * harnesses from the {@link TopologyHarnesses} extension, which closes them.
 */
final class TopologyHarness implements AutoCloseable {

    static final String INPUT = "events-in";
    static final String OUTPUT = "events-enriched";
    static final String MODEL = "model";
    static final String DLQ = "events-dlq";
    static final String TABLE = "emb";

    final String scope;
    final TokvecConfig config;
    final SchemaRegistryClient registryClient;
    final TableRegistry registry;
    final TokvecMetrics metrics = new TokvecMetrics();
    final ManualTicker ticker = new ManualTicker();
    final TopologyTestDriver driver;
    final TestInputTopic<byte[], byte[]> input;
    final TestInputTopic<String, byte[]> model;
    final TestOutputTopic<byte[], byte[]> output;
    final TestOutputTopic<byte[], byte[]> dlq;
    private final ConfluentAvroSerializer<TokenEvent> eventSerializer;
    private final ConfluentAvroSerializer<ModelRecord> modelSerializer;

    /** Keys a test passes; everything else gets harness defaults. */
    static Map<String, String> props(String scope, Path stateDir, Map<String, String> overrides) {
        Map<String, String> p = new HashMap<>();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "tokvec-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(TokvecConfig.SCHEMA_REGISTRY_URL, "mock://" + scope);
        p.put(TokvecConfig.TOPIC_INPUT, INPUT);
        p.put(TokvecConfig.TOPIC_OUTPUT, OUTPUT);
        p.put(TokvecConfig.TOPIC_MODEL, MODEL);
        p.put(TokvecConfig.TOPIC_DLQ, DLQ);
        p.put(TokvecConfig.TABLE, TABLE);
        p.put(TokvecConfig.MAX_LEN, "4");
        p.putAll(overrides);
        return p;
    }

    /** Use {@link TopologyHarnesses#start}: it closes the harness after the test. */
    TopologyHarness(String scope, Path stateDir, Map<String, String> overrides) {
        this.scope = scope;
        this.config = new TokvecConfig(props(scope, stateDir, overrides));
        this.registryClient = MockSchemaRegistry.getClientForScope(scope);
        this.registry = TokvecTopology.newRegistry(config, registryClient);
        Properties sp = TokvecTopology.streamsProps(config);
        this.driver = new TopologyTestDriver(TokvecTopology.build(config, registry, registryClient, metrics, ticker), sp);
        this.input = driver.createInputTopic(INPUT, new ByteArraySerializer(), new ByteArraySerializer());
        this.model = driver.createInputTopic(MODEL, new StringSerializer(), new ByteArraySerializer());
        this.output = driver.createOutputTopic(OUTPUT, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.dlq = driver.createOutputTopic(DLQ, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.eventSerializer = new ConfluentAvroSerializer<>(registryClient, false);
        this.modelSerializer = new ConfluentAvroSerializer<>(registryClient, false);
    }

    /** Publishes a whole table: all chunks in order, then the commit. */
    void publish(EmbeddingTable table) {
        ModelChunker chunker = new ModelChunker(table, ModelChunker.DEFAULT_CHUNK_BYTES);
        Iterator<ModelChunker.Keyed> it = chunker.chunks();
        while (it.hasNext()) {
            send(it.next());
        }
        send(chunker.commit(Map.of()));
    }

    void send(ModelChunker.Keyed k) {
        sendModel(k.key().topicKey(), k.record());
    }

    void sendModel(String key, ModelRecord record) {
        pipeModel(key, record == null ? null : modelSerializer.serialize(MODEL, record));
    }

    /** Every model-topic record piped so far, in order: what the broker would replay after a restart. */
    final List<Map.Entry<String, byte[]>> modelLog = new ArrayList<>();

    void pipeModel(String key, byte[] value) {
        modelLog.add(new java.util.AbstractMap.SimpleEntry<>(key, value));
        model.pipeInput(key, value);
    }

    void pipeIds(String id, Integer... ids) {
        pipe(TokenEvent.newBuilder().setId(id).setTokenIds(List.of(ids)).build());
    }

    void pipeTokens(String id, String... tokens) {
        pipe(TokenEvent.newBuilder().setId(id).setTokens(List.of(tokens)).build());
    }

    void pipe(TokenEvent e) {
        input.pipeInput(e.getId().getBytes(), eventSerializer.serialize(INPUT, e));
    }

    List<EnrichedEvent> outputs() {
        ConfluentAvroDeserializer<EnrichedEvent> d = new ConfluentAvroDeserializer<>(EnrichedEvent.class, registryClient, false);
        List<EnrichedEvent> out = new ArrayList<>();
        for (byte[] v : output.readValuesToList()) {
            out.add(d.deserialize(OUTPUT, v));
        }
        return out;
    }

    List<EnrichedEventFloats> floatOutputs() {
        ConfluentAvroDeserializer<EnrichedEventFloats> d =
                new ConfluentAvroDeserializer<>(EnrichedEventFloats.class, registryClient, false);
        List<EnrichedEventFloats> out = new ArrayList<>();
        for (byte[] v : output.readValuesToList()) {
            out.add(d.deserialize(OUTPUT, v));
        }
        return out;
    }

    List<DeadLetter> deadLetters() {
        ConfluentAvroDeserializer<DeadLetter> d = new ConfluentAvroDeserializer<>(DeadLetter.class, registryClient, false);
        List<DeadLetter> out = new ArrayList<>();
        for (byte[] v : dlq.readValuesToList()) {
            out.add(d.deserialize(DLQ, v));
        }
        return out;
    }

    /** Closes the driver only, keeping the state dir (a restart on it follows). */
    void closeDriver() {
        driver.close();
    }

    /** Closes the driver and the registry; the mock registry scope stays (its extension drops it). */
    @Override
    public void close() {
        try {
            driver.close();
        } catch (RuntimeException ignored) {
            // already closed by a restart test
        }
        registry.close(); // unmaps the active table (its file stays in the test's state dir)
    }
}
