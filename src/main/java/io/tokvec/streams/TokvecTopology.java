package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TokenEvent;
import io.tokvec.model.TableRegistry;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.SchemaRegistryClient;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds tokvec's topology from a typed config; no I/O. Production ({@code run}, {@code demo}) and
 * the tests share it.
 *
 * <pre>
 *   model topic --&gt; [tokvec-model-source] --&gt; [tokvec-model-processor] --&gt; global store tokvec-model-store
 *                                                      (TableRegistry: stage chunks, verify, build, swap)
 *   input topic --&gt; [tokvec-input-source] --&gt; [tokvec-enrich] --+--&gt; [tokvec-output-sink] --&gt; output topic
 *                                                            +--&gt; [tokvec-dlq-sink]    --&gt; dead-letter topic
 * </pre>
 */
public final class TokvecTopology {

    public static final String MODEL_SOURCE = "tokvec-model-source";
    public static final String MODEL_PROCESSOR = "tokvec-model-processor";
    public static final String MODEL_STORE = "tokvec-model-store";
    public static final String INPUT_SOURCE = "tokvec-input-source";
    public static final String ENRICH_PROCESSOR = "tokvec-enrich";
    public static final String OUTPUT_SINK = "tokvec-output-sink";
    public static final String DLQ_SINK = "tokvec-dlq-sink";

    private TokvecTopology() {
    }

    /** A registry for the configured table, decoding model records through the given schema registry. */
    public static TableRegistry newRegistry(TokvecConfig config, SchemaRegistryClient schemaRegistry) {
        ConfluentAvroDeserializer<ModelRecord> modelDeserializer =
                new ConfluentAvroDeserializer<>(ModelRecord.class, schemaRegistry, false);
        String modelTopic = config.modelTopic();
        return new TableRegistry(config.table(), config.pinnedVersion(), config.retainVersions(), config.tableMaxBytes(),
                config.allowNonFinite(), (buf, offset, length) -> modelDeserializer.deserialize(modelTopic, buf, offset, length));
    }

    public static Topology build(TokvecConfig config, TableRegistry registry, SchemaRegistryClient schemaRegistry,
                                 TokvecMetrics metrics) {
        Topology t = new Topology();
        StoreBuilder<KeyValueStore<String, byte[]>> store = Stores
                .keyValueStoreBuilder(Stores.persistentKeyValueStore(MODEL_STORE), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled()
                .withCachingDisabled();
        t.addGlobalStore(store, MODEL_SOURCE, Serdes.String().deserializer(), new ByteArrayDeserializer(),
                config.modelTopic(), MODEL_PROCESSOR, () -> new ModelStoreProcessor(MODEL_STORE, registry));

        ConfluentAvroDeserializer<TokenEvent> eventDeserializer =
                new ConfluentAvroDeserializer<>(TokenEvent.class, schemaRegistry, false);
        ConfluentAvroSerializer<SpecificRecord> outputSerializer = new ConfluentAvroSerializer<>(schemaRegistry, false);
        ConfluentAvroSerializer<DeadLetter> dlqSerializer = new ConfluentAvroSerializer<>(schemaRegistry, false);

        t.addSource(INPUT_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), config.inputTopic());
        t.addProcessor(ENRICH_PROCESSOR, () -> new EnrichProcessor(config, registry, eventDeserializer, metrics), INPUT_SOURCE);
        t.addSink(OUTPUT_SINK, config.outputTopic(), new ByteArraySerializer(), outputSerializer, ENRICH_PROCESSOR);
        t.addSink(DLQ_SINK, config.dlqTopic(), new ByteArraySerializer(), dlqSerializer, ENRICH_PROCESSOR);
        return t;
    }
}
