package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.EnrichedEventFloats;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.Ticker;
import io.tokvec.model.TableRegistry;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.RetryingSchemaRegistryClient;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorSupplier;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * tokvec's enrichment as a step of a Kafka Streams topology of your own: token events in, padded,
 * masked embedding sequences out (Keras {@code pad_sequences} + {@code Embedding(mask_zero=True)}, bit
 * for bit), from a versioned table published on the model topic and hot-swapped while processing goes
 * on. The standalone application ({@code tokvec run}) is built with this class too
 * ({@link TokvecTopology}); its guarantees hold here:
 * <ul>
 *   <li>every enriched record comes from one complete, verified table version and names it; a new
 *       version is built on the global thread and swapped in with a pointer flip;</li>
 *   <li>within an input partition versions never go back, across restarts and rebalances too (the
 *       changelogged store {@link #versionStoreName()});</li>
 *   <li>every input record yields exactly one enriched record or one dead letter;</li>
 *   <li>the metrics (group {@value TokvecMetrics#GROUP}) are in your application's Kafka Streams metrics.</li>
 * </ul>
 *
 * <p>With the DSL:
 * <pre>{@code
 * TokvecEnrichment tokvec = TokvecEnrichment.builder(props).build();   // tokvec.* keys, schema.registry.url
 * StreamsBuilder builder = new StreamsBuilder();
 * tokvec.addModelStore(builder);                                      // the model topic's global store
 * KStream<String, TokenEvent> events = builder.stream("events", Consumed.with(Serdes.String(), tokvec.serdes().tokenEvent()));
 * EnrichedStreams<String> out = tokvec.enrich(events);
 * out.enriched().to("enriched", Produced.with(Serdes.String(), tokvec.serdes().enrichedEvent()));
 * out.deadLetters().to("dead-letters", Produced.with(Serdes.String(), tokvec.serdes().deadLetter()));
 * KafkaStreams streams = new KafkaStreams(builder.build(), props);
 * tokvec.attach(streams);
 * streams.start();
 * ...
 * streams.close();
 * tokvec.close();                                                     // after the streams
 * }</pre>
 * With the Processor API: {@link #addModelStore(Topology)}, then {@link #processor} or
 * {@link #wireFormatProcessor} with two named children (sinks, typically).
 *
 * <p>What stays the application's own: its application id, processing guarantee, topics and the serdes
 * of its topics. tokvec's settings are the {@code tokvec.*} keys of {@link TokvecConfig} (the topic keys
 * {@code tokvec.topic.input}, {@code .output} and {@code .dlq} are the standalone application's; here the
 * model topic {@code tokvec.topic.model} is the one read) and {@code schema.registry.*}. Build the
 * {@link TokvecConfig} from the same properties as your Kafka Streams config: {@code state.dir} and
 * {@code application.id} place the table files ({@code <state.dir>/<application.id>/<name>-tables}),
 * and {@code max.request.size} bounds the enriched records.
 *
 * <p>Every processor and store is named after the enrichment's {@linkplain Builder#name name}
 * ({@value #DEFAULT_NAME} by default): {@code <name>-model-store}, {@code <name>-model-processor},
 * {@code <name>-enrich}, {@code <name>-partition-versions}, {@code <name>-enriched},
 * {@code <name>-dead-letters}. Two enrichments (two tables, two model topics) coexist in one topology
 * under two names.
 */
public final class TokvecEnrichment implements AutoCloseable {

    /** The name of the standalone application's enrichment, and of any enrichment not named otherwise. */
    public static final String DEFAULT_NAME = "tokvec";

    private static final Logger log = LoggerFactory.getLogger(TokvecEnrichment.class);
    private static final Pattern VALID_NAME = Pattern.compile("[A-Za-z0-9._-]+");

    private final TokvecConfig config;
    private final String name;
    private final SchemaRegistryClient schemaRegistry;
    private final RetryingSchemaRegistryClient retrying; // null when the schema registry client is the caller's
    private final TableRegistry registry;
    private final TokvecMetrics metrics;
    private final Ticker ticker;
    private final boolean owned;
    private final TokvecSerdes serdes;
    private final StoreBuilder<KeyValueStore<String, byte[]>> versionStore;
    private volatile boolean modelStoreAdded;
    /** Bytes of output arrays each stream thread may keep and reuse for the sink's records (0: fresh arrays). */
    private volatile long outputArrayBytesPerThread;
    private volatile boolean closed;

    /**
     * A builder of an enrichment with {@code config}.
     */
    public static Builder builder(TokvecConfig config) {
        return new Builder(config);
    }

    /**
     * A builder of an enrichment configured by {@code properties}: tokvec's {@code tokvec.*} keys and
     * {@code schema.registry.*}, usually with the application's own Kafka Streams keys in the same
     * properties (tokvec reads {@code state.dir}, {@code application.id} and {@code max.request.size}).
     *
     * @throws org.apache.kafka.common.config.ConfigException naming the key when a tokvec key is missing or invalid
     */
    public static Builder builder(Properties properties) {
        return new Builder(TokvecConfig.of(properties));
    }

    /** Builds a {@link TokvecEnrichment}. */
    public static final class Builder {
        private final TokvecConfig config;
        private String name = DEFAULT_NAME;
        private Ticker ticker = Ticker.SYSTEM;

        private Builder(TokvecConfig config) {
            this.config = config;
        }

        /**
         * Names the enrichment's processors, stores and table directory (letters, digits, '.', '_', '-');
         * default {@value #DEFAULT_NAME}. Give two enrichments of one application two names.
         */
        public Builder name(String name) {
            if (name == null || !VALID_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("an enrichment's name is made of letters, digits, '.', '_' and '-', got '"
                        + name + "'");
            }
            this.name = name;
            return this;
        }

        /** Times the catch-up wait of the version store (tests: a manual ticker). */
        Builder ticker(Ticker ticker) {
            this.ticker = ticker;
            return this;
        }

        /**
         * The enrichment: a schema registry client for {@code schema.registry.url} (transient failures
         * retried, {@code tokvec.registry.retry.*}) and the table registry, empty until the model store
         * restores. Close it after the Kafka Streams application that uses it.
         *
         * @throws org.apache.kafka.common.config.ConfigException when {@code schema.registry.url} is missing or
         *     invalid, or a trusted key file cannot be read
         */
        public TokvecEnrichment build() {
            RetryingSchemaRegistryClient client = new RetryingSchemaRegistryClient(SchemaRegistries.forConfig(config.clientProps()),
                    config.registryRetryTimeoutMs(), config.registryRetryBackoffMaxMs());
            try {
                // model records are decoded on the global thread, which has no poll deadline: retried until the registry answers
                TableRegistry registry = TokvecTopology.newRegistry(config, client.withTimeout(Long.MAX_VALUE), tableDir(config, name));
                return new TokvecEnrichment(config, name, client, client, registry, new TokvecMetrics(name), ticker, true);
            } catch (RuntimeException e) {
                client.close();
                throw e;
            }
        }
    }

    /** An enrichment over parts the caller made and closes ({@link TokvecTopology#build}'s). */
    TokvecEnrichment(TokvecConfig config, String name, SchemaRegistryClient schemaRegistry, RetryingSchemaRegistryClient retrying,
                     TableRegistry registry, TokvecMetrics metrics, Ticker ticker, boolean owned) {
        this.config = config;
        this.name = name;
        this.schemaRegistry = schemaRegistry;
        this.retrying = retrying;
        this.registry = registry;
        this.metrics = metrics;
        this.ticker = ticker;
        this.owned = owned;
        this.serdes = new TokvecSerdes(schemaRegistry);
        metrics.bind(registry);
        // in memory, changelogged: one small record per partition, restored from the changelog when a
        // task starts (no local RocksDB per task, and no wiped "corrupted" state after a crash under EOS)
        this.versionStore = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(versionStoreName()), Serdes.String(),
                Serdes.ByteArray()).withCachingDisabled();
    }

    /** {@code <state.dir>/<application.id>/<name>-tables}: {@link TokvecConfig#tableDir()} for the default name. */
    static Path tableDir(TokvecConfig config, String name) {
        Path dir = config.tableDir();
        return name.equals(DEFAULT_NAME) ? dir : dir.resolveSibling(name + "-tables");
    }

    // ---- the model topic's global store ----

    /**
     * Adds the global store of the model topic ({@code tokvec.topic.model}) to a DSL topology: every
     * instance reads every table version; commits are verified and built on the global thread, and the
     * active version swaps. Its processor is {@code <name>-model-processor} (its source
     * {@code <name>-model-processor-source}), its store {@link #modelStoreName()}.
     */
    public StreamsBuilder addModelStore(StreamsBuilder builder) {
        builder.addGlobalStore(modelStore(), config.modelTopic(), Consumed.with(Serdes.String(), Serdes.ByteArray())
                .withName(modelProcessorName()).withTimestampExtractor(ModelStoreProcessor.TIMESTAMPS), this::modelProcessor);
        modelStoreAdded = true;
        return builder;
    }

    /**
     * Adds the global store of the model topic to a Processor API topology, with the source
     * {@code <name>-model-source} and the processor {@code <name>-model-processor}.
     */
    public Topology addModelStore(Topology topology) {
        topology.addGlobalStore(modelStore(), name + "-model-source", ModelStoreProcessor.TIMESTAMPS, Serdes.String().deserializer(),
                new ByteArrayDeserializer(), config.modelTopic(), modelProcessorName(), this::modelProcessor);
        modelStoreAdded = true;
        return topology;
    }

    private StoreBuilder<KeyValueStore<String, byte[]>> modelStore() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(modelStoreName()), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled() // a global store's changelog is its source topic
                .withCachingDisabled();
    }

    private ModelStoreProcessor modelProcessor() {
        return new ModelStoreProcessor(modelStoreName(), registry, metrics);
    }

    // ---- the DSL ----

    /**
     * Enriches a stream of token events (read with {@link TokvecSerdes#tokenEvent()}, or made by your own
     * operators).
     *
     * @throws IllegalStateException when {@link #addModelStore(StreamsBuilder)} was not called first
     */
    public <K> EnrichedStreams<K> enrich(KStream<K, TokenEvent> events) {
        return enrich(events, (key, event) -> event);
    }

    /**
     * Enriches a stream of your own records, each turned into a {@link TokenEvent} by {@code mapper}
     * (its id and token ids or strings); a mapper that throws dead-letters the record
     * ({@link DeadLetterReason#MAPPING_FAILED}).
     *
     * @throws IllegalStateException when {@link #addModelStore(StreamsBuilder)} was not called first
     */
    public <K, V> EnrichedStreams<K> enrich(KStream<K, V> records, EventMapper<K, V> mapper) {
        return branches(records.processValues(valuesProcessor(EventReader.mapped(mapper)), Named.as(enrichProcessorName())));
    }

    /**
     * Enriches raw values in the Confluent wire format ({@code TokenEvent} records as other clients
     * write them, read with {@code Serdes.ByteArray()}), decoding them itself: as the standalone
     * application does, a value that does not decode is dead-lettered ({@code UNDECODABLE},
     * {@code BAD_MAGIC}, {@code UNKNOWN_SCHEMA}) with its original bytes.
     *
     * @throws IllegalStateException when {@link #addModelStore(StreamsBuilder)} was not called first
     */
    public <K> EnrichedStreams<K> enrichWireFormat(KStream<K, byte[]> records) {
        return branches(records.processValues(valuesProcessor(wireFormatReader()), Named.as(enrichProcessorName())));
    }

    private <K, V> FixedKeyProcessorSupplier<K, V, Object> valuesProcessor(EventReader<K, V> reader) {
        EnrichSpec spec = spec("the records of " + enrichProcessorName(), true);
        String enriched = enrichedBranchName();
        String deadLetters = deadLetterBranchName();
        return new FixedKeyProcessorSupplier<>() {
            @Override
            public EnrichValuesProcessor<K, V> get() {
                return new EnrichValuesProcessor<>(new EnrichCore<>(spec, reader), enriched, deadLetters);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(versionStore);
            }
        };
    }

    private <K> EnrichedStreams<K> branches(KStream<K, Object> out) {
        // the processor forwards to these two children by name: each sees its own kind of record only
        KStream<K, SpecificRecord> enriched = out.mapValues(v -> (SpecificRecord) v, Named.as(enrichedBranchName()));
        KStream<K, DeadLetter> deadLetters = out.mapValues(v -> (DeadLetter) v, Named.as(deadLetterBranchName()));
        return new EnrichedStreams<>(config.outputEncoding(), enriched, deadLetters);
    }

    // ---- the Processor API ----

    /**
     * The enrichment processor for a Processor API topology, over your own records mapped to
     * {@link TokenEvent}s: add it with {@code topology.addProcessor(name, supplier, parents...)} (which
     * also adds its version store) and give it two children named {@code enrichedChild} (enriched
     * records: {@link EnrichedEvent}, or {@link EnrichedEventFloats} with
     * {@code tokvec.output.encoding=floats}) and {@code deadLetterChild} ({@code DeadLetter}s).
     *
     * <p>The fast path: enriched records are forwarded as views over the processor's reused arrays,
     * valid until {@code forward} returns. A sink child serializes them in time; a child that keeps them
     * must copy them ({@code EnrichedEvent.newBuilder(record).build()}).
     *
     * @throws IllegalStateException when {@link #addModelStore(Topology)} was not called first
     */
    public <K, V> ProcessorSupplier<K, V, K, Object> processor(EventMapper<K, V> mapper, String enrichedChild,
                                                              String deadLetterChild) {
        return processor(EventReader.mapped(mapper), "the records of " + name, enrichedChild, deadLetterChild);
    }

    /**
     * As {@link #processor}, over raw values in the Confluent wire format, decoded by the processor (a
     * value that does not decode is dead-lettered with its original bytes): the standalone
     * application's {@code tokvec-enrich}.
     */
    public <K> ProcessorSupplier<K, byte[], K, Object> wireFormatProcessor(String enrichedChild, String deadLetterChild) {
        return processor(wireFormatReader(), config.inputTopic(), enrichedChild, deadLetterChild);
    }

    private <K, V> ProcessorSupplier<K, V, K, Object> processor(EventReader<K, V> reader, String input, String enrichedChild,
                                                               String deadLetterChild) {
        EnrichSpec spec = spec(input, false);
        return new ProcessorSupplier<>() {
            @Override
            public EnrichProcessor<K, V> get() {
                return new EnrichProcessor<>(new EnrichCore<>(spec, reader), enrichedChild, deadLetterChild);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return Set.of(versionStore);
            }
        };
    }

    /**
     * From now on, sinks of {@link TokvecTopology#build(TokvecEnrichment)} serialize output records into
     * arrays each stream thread keeps by length ({@link TokvecConfig#outputArrayCacheBytes()} of them) and
     * hands out again for its next record of that length: only for a Kafka producer that nothing reads
     * sent records from later ({@link TokvecTopology#outputArraysReusable}), never where values are kept
     * (TopologyTestDriver's output topics). Set before the topology is built.
     */
    public TokvecEnrichment reuseOutputArrays() {
        this.outputArrayBytesPerThread = config.outputArrayCacheBytes();
        return this;
    }

    /** A serializer of the enriched records (either encoding) on this enrichment's registry, for a sink. */
    ConfluentAvroSerializer<SpecificRecord> outputSerializer() {
        return new ConfluentAvroSerializer<SpecificRecord>(schemaRegistry, false).reusingOutputArrays(outputArrayBytesPerThread);
    }

    /** A serializer of dead letters on this enrichment's registry, for a sink. */
    ConfluentAvroSerializer<DeadLetter> deadLetterSerializer() {
        return new ConfluentAvroSerializer<>(schemaRegistry, false);
    }

    private <K> EventReader<K, byte[]> wireFormatReader() {
        return EventReader.wireFormat(new ConfluentAvroDeserializer<>(TokenEvent.class, schemaRegistry, false));
    }

    private EnrichSpec spec(String input, boolean copyOutputs) {
        if (!modelStoreAdded) {
            throw new IllegalStateException("add the model store first: tokvec.addModelStore(builder or topology)");
        }
        return new EnrichSpec(config, registry, metrics, ticker, versionStoreName(), input, copyOutputs);
    }

    // ---- names ----

    /** The enrichment's name, the prefix of its processors and stores. */
    public String name() { return name; }

    /** The global store of the model topic: {@code <name>-model-store}. */
    public String modelStoreName() { return name + "-model-store"; }

    /** The global store's processor: {@code <name>-model-processor}. */
    public String modelProcessorName() { return name + "-model-processor"; }

    /** The DSL's enrichment processor: {@code <name>-enrich}. */
    public String enrichProcessorName() { return name + "-enrich"; }

    /**
     * The per-partition store of the newest table version used (changelogged, so versions never go back
     * within a partition when it moves): {@code <name>-partition-versions}, its changelog topic
     * {@code <application.id>-<name>-partition-versions-changelog}.
     */
    public String versionStoreName() { return name + "-partition-versions"; }

    private String enrichedBranchName() { return name + "-enriched"; }

    private String deadLetterBranchName() { return name + "-dead-letters"; }

    // ---- running ----

    /** Serdes of tokvec's records on this enrichment's schema registry. */
    public TokvecSerdes serdes() { return serdes; }

    public TokvecConfig config() { return config; }

    /**
     * The table registry: read its {@link TableRegistry#snapshot() snapshot} (active version, versions
     * known, rejections) or {@link TableRegistry#activeVersion()}; model records reach it through the
     * model store only.
     */
    public TableRegistry registry() { return registry; }

    /** The enrichment's counters (also in the application's Kafka Streams metrics, group {@value TokvecMetrics#GROUP}). */
    public TokvecMetrics metrics() { return metrics; }

    /**
     * Installs {@link #restoreListener()} as the global state restore listener of {@code streams} and
     * {@link #stateListener()} as its state listener, before it starts. An application with listeners of
     * its own calls tokvec's from them instead.
     */
    public void attach(KafkaStreams streams) {
        streams.setGlobalStateRestoreListener(restoreListener());
        streams.setStateListener(stateListener());
    }

    /**
     * Hears the model store's restoration, to replay the model topic without building every version on
     * the way and activate the current one at the end (without it, restoring builds each committed
     * version in turn: slower, same result).
     */
    public StateRestoreListener restoreListener() {
        String store = modelStoreName();
        return new StateRestoreListener() {
            @Override
            public void onRestoreStart(TopicPartition partition, String storeName, long start, long end) {
                if (store.equals(storeName)) {
                    log.info("restoring the model store from {} (offsets {}..{})", partition, start, end);
                    registry.restoring(true);
                }
            }

            @Override
            public void onBatchRestored(TopicPartition partition, String storeName, long batchEnd, long count) {
            }

            @Override
            public void onRestoreEnd(TopicPartition partition, String storeName, long total) {
                if (store.equals(storeName)) {
                    log.info("model store restored ({} records); activating the current version", total);
                    registry.restoring(false);
                }
            }
        };
    }

    /**
     * Hears the application's state: when it shuts down (or fails), calls to the schema registry stop
     * being retried, so that no stream or global thread keeps waiting for a registry that is down.
     */
    public KafkaStreams.StateListener stateListener() {
        return (now, before) -> {
            if (now == KafkaStreams.State.PENDING_SHUTDOWN || now == KafkaStreams.State.PENDING_ERROR) {
                stopRetrying();
            }
        };
    }

    /**
     * Registers the enriched records' schema ({@code EnrichedEvent}, or {@code EnrichedEventFloats} with
     * {@code tokvec.output.encoding=floats}) under {@code <topic>-value}, what the first enriched record
     * written to {@code topic} would do: ahead of it, the first record does not wait for the registry.
     */
    public void registerOutputSchema(String topic) throws IOException {
        Schema schema = config.outputEncoding() == TokvecConfig.OutputEncoding.FLOATS
                ? EnrichedEventFloats.getClassSchema() : EnrichedEvent.getClassSchema();
        schemaRegistry.register(topic + "-value", schema);
    }

    private void stopRetrying() {
        if (retrying != null) {
            retrying.stopRetrying();
        }
    }

    /**
     * Closes the table registry (keeping the active version's verified snapshot for the next start) and
     * the schema registry client. Call it after the Kafka Streams application has closed.
     */
    @Override
    public void close() {
        if (closed || !owned) {
            return;
        }
        closed = true;
        stopRetrying();
        registry.close();
        schemaRegistry.close();
    }
}
