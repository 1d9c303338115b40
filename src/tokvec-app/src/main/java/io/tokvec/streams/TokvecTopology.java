package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.MappedTableMemory;
import io.tokvec.core.Ticker;
import io.tokvec.model.ModelDecoder;
import io.tokvec.model.TableBuilder;
import io.tokvec.model.TableRegistry;
import io.tokvec.model.TableSnapshots;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.SchemaRegistryClient;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.util.Properties;

/**
 * Builds tokvec's topology from a typed config; no I/O. Production ({@code run}, {@code demo}) and
 * the tests share it.
 *
 * <pre>
 *   model topic --&gt; [tokvec-model-source] --&gt; [tokvec-model-processor] --&gt; global store tokvec-model-store
 *                                                      (TableRegistry: check, stage chunks, verify, build, swap)
 *   input topic --&gt; [tokvec-input-source] --&gt; [tokvec-enrich] --+--&gt; [tokvec-output-sink] --&gt; output topic
 *                                                            +--&gt; [tokvec-dlq-sink]    --&gt; dead-letter topic
 *                               store tokvec-partition-versions (per partition, changelogged) --^
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
    /** Per input partition: the newest table activation used for its outputs (changelogged, see {@link PartitionVersions}). */
    public static final String VERSION_STORE = "tokvec-partition-versions";

    private TokvecTopology() {
    }

    /**
     * A registry for the configured table, decoding model records through the given schema registry;
     * versions are built off-heap into mapped files under {@link TokvecConfig#tableDir()}, which also keeps
     * the active version's verified snapshot for the next start.
     */
    public static TableRegistry newRegistry(TokvecConfig config, SchemaRegistryClient schemaRegistry) {
        ConfluentAvroDeserializer<ModelRecord> modelDeserializer =
                new ConfluentAvroDeserializer<>(ModelRecord.class, schemaRegistry, false);
        String modelTopic = config.modelTopic();
        ModelDecoder decoder = (buf, offset, length) -> modelDeserializer.deserialize(modelTopic, buf, offset, length);
        TableSnapshots snapshots = new TableSnapshots(new MappedTableMemory(config.tableDir(), config.tableMemoryBytes()));
        TableBuilder builder = new TableBuilder(config.tableMaxBytes(), config.allowNonFinite(), decoder, config.tableDtype(),
                snapshots.memory(), snapshots);
        return new TableRegistry(config.table(), config.pinnedVersion(), config.retainVersions(), builder, snapshots, decoder,
                config.commitVerifier()).foldChainsLongerThan(config.deltaMaxChain());
    }

    public static Topology build(TokvecConfig config, TableRegistry registry, SchemaRegistryClient schemaRegistry,
                                 TokvecMetrics metrics) {
        return build(config, registry, schemaRegistry, metrics, Ticker.SYSTEM);
    }

    /** As {@link #build(TokvecConfig, TableRegistry, SchemaRegistryClient, TokvecMetrics)}, timing the catch-up wait with {@code ticker}. */
    public static Topology build(TokvecConfig config, TableRegistry registry, SchemaRegistryClient schemaRegistry,
                                 TokvecMetrics metrics, Ticker ticker) {
        metrics.bind(registry);
        Topology t = new Topology();
        StoreBuilder<KeyValueStore<String, byte[]>> store = Stores
                .keyValueStoreBuilder(Stores.persistentKeyValueStore(MODEL_STORE), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled()
                .withCachingDisabled();
        t.addGlobalStore(store, MODEL_SOURCE, Serdes.String().deserializer(), new ByteArrayDeserializer(),
                config.modelTopic(), MODEL_PROCESSOR, () -> new ModelStoreProcessor(MODEL_STORE, registry, metrics));

        ConfluentAvroDeserializer<TokenEvent> eventDeserializer =
                new ConfluentAvroDeserializer<>(TokenEvent.class, schemaRegistry, false);
        ConfluentAvroSerializer<SpecificRecord> outputSerializer = new ConfluentAvroSerializer<>(schemaRegistry, false);
        ConfluentAvroSerializer<DeadLetter> dlqSerializer = new ConfluentAvroSerializer<>(schemaRegistry, false);

        t.addSource(INPUT_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), config.inputTopic());
        t.addProcessor(ENRICH_PROCESSOR, () -> new EnrichProcessor(config, registry, eventDeserializer, metrics, ticker), INPUT_SOURCE);
        // in memory, changelogged: one small record per partition, restored from the changelog when a
        // task starts (no local RocksDB per task, and no wiped "corrupted" state after a crash under EOS)
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(VERSION_STORE), Serdes.String(),
                Serdes.ByteArray()).withCachingDisabled(), ENRICH_PROCESSOR);
        t.addSink(OUTPUT_SINK, config.outputTopic(), new ByteArraySerializer(), outputSerializer, ENRICH_PROCESSOR);
        t.addSink(DLQ_SINK, config.dlqTopic(), new ByteArraySerializer(), dlqSerializer, ENRICH_PROCESSOR);
        return t;
    }

    /** tokvec's default {@code restore.consumer.fetch.max.wait.ms} (see {@link #streamsProps}). */
    static final String RESTORE_FETCH_MAX_WAIT_MS = "50";

    /**
     * Kafka Streams properties for this config: every pass-through key, plus tokvec's defaults (put
     * only if absent): application id {@code tokvec}, the processing exception handler that
     * dead-letters unexpected failures, for the global thread too, and the production exception
     * handler that dead-letters output records the producer refuses. The dead-letter topic is passed
     * as Kafka Streams' own {@link StreamsConfig#ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG}, so
     * tokvec's handler and Kafka's handlers name the same topic.
     */
    public static Properties streamsProps(TokvecConfig config) {
        Properties p = new Properties();
        p.putAll(config.clientProps());
        p.putIfAbsent(StreamsConfig.APPLICATION_ID_CONFIG, "tokvec");
        p.putIfAbsent(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProcessingExceptionHandler.class.getName());
        p.putIfAbsent(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "true");
        // Kafka Streams 4.4's partition assignor makes a StreamsConfig of the main consumer's settings,
        // which leave this key out, so StreamsConfig's constructor warned "Processing exception handler
        // is not enabled for the GlobalThread" at every start although it is. Given to the main consumer
        // too, the assignor sees the value in force (and warns only when it is false).
        p.putIfAbsent(StreamsConfig.mainConsumerPrefix(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG),
                p.get(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG));
        p.putIfAbsent(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProductionExceptionHandler.class.getName());
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.dlqTopic());
        // The restore consumer's fetch of a changelog it has read to the end waits fetch.max.wait.ms
        // (500 ms) at the broker, which answers a connection's requests in order: the next task's
        // restore (its ListOffsets) waits behind it, so each restarted task was ready 0.5 s after
        // the previous one. The restore consumer only reads changelogs, so short waits cost little.
        String restoreFetchWait = StreamsConfig.restoreConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG);
        if (!p.containsKey(restoreFetchWait) && !p.containsKey(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG)) {
            p.put(restoreFetchWait, RESTORE_FETCH_MAX_WAIT_MS);
        }
        return p;
    }
}
