package io.tokvec.streams;

import io.tokvec.avro.ModelRecord;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.MappedTableMemory;
import io.tokvec.core.Ticker;
import io.tokvec.model.ModelDecoder;
import io.tokvec.model.TableBuilder;
import io.tokvec.model.TableRegistry;
import io.tokvec.model.TableSnapshots;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.SchemaRegistryClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The standalone application's topology, built from a typed config with the library
 * ({@link TokvecEnrichment}'s Processor API); no I/O. Production ({@code run}, {@code demo}) and the
 * tests share it.
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
        return newRegistry(config, schemaRegistry, config.tableDir());
    }

    /** As {@link #newRegistry(TokvecConfig, SchemaRegistryClient)}, with the table files under {@code tableDir}. */
    static TableRegistry newRegistry(TokvecConfig config, SchemaRegistryClient schemaRegistry, Path tableDir) {
        ConfluentAvroDeserializer<ModelRecord> modelDeserializer =
                new ConfluentAvroDeserializer<>(ModelRecord.class, schemaRegistry, false);
        String modelTopic = config.modelTopic();
        ModelDecoder decoder = (buf, offset, length) -> modelDeserializer.deserialize(modelTopic, buf, offset, length);
        TableSnapshots snapshots = new TableSnapshots(new MappedTableMemory(tableDir, config.tableMemoryBytes()));
        TableBuilder builder = new TableBuilder(config.tableMaxBytes(), config.allowNonFinite(), decoder, config.tableDtype(),
                snapshots.memory(), snapshots);
        return new TableRegistry(config.table(), config.pinnedVersion(), config.retainVersions(), builder, snapshots, decoder,
                config.commitVerifier()).foldChainsLongerThan(config.deltaMaxChain())
                .foldOverlaysLargerThan(config.deltaFoldOverlayRatio()).foldAtMostBytesPerSecond(config.deltaFoldMaxBytesPerSecond());
    }

    /**
     * The topology, each output record serialized into a fresh array: safe wherever values are kept
     * after they are produced (TopologyTestDriver's output topics).
     */
    public static Topology build(TokvecConfig config, TableRegistry registry, SchemaRegistryClient schemaRegistry,
                                 TokvecMetrics metrics) {
        return build(config, registry, schemaRegistry, metrics, Ticker.SYSTEM);
    }

    /**
     * As {@link #build(TokvecConfig, TableRegistry, SchemaRegistryClient, TokvecMetrics)}, timing the
     * catch-up wait with {@code ticker}; the registry, client and metrics stay the caller's to close.
     */
    public static Topology build(TokvecConfig config, TableRegistry registry, SchemaRegistryClient schemaRegistry,
                                 TokvecMetrics metrics, Ticker ticker) {
        return build(new TokvecEnrichment(config, TokvecEnrichment.DEFAULT_NAME, schemaRegistry, null, registry, metrics, ticker,
                false));
    }

    /**
     * The standalone topology of an enrichment (named {@value TokvecEnrichment#DEFAULT_NAME}): the model
     * topic's global store, and the input topic's raw records enriched by {@link TokvecEnrichment#wireFormatProcessor}
     * into the output and dead-letter topics of its config.
     */
    public static Topology build(TokvecEnrichment tokvec) {
        // tag::standalone[]
        TokvecConfig config = tokvec.config();
        Topology t = new Topology();
        tokvec.addModelStore(t);
        t.addSource(INPUT_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), config.inputTopic());
        t.addProcessor(ENRICH_PROCESSOR, tokvec.wireFormatProcessor(OUTPUT_SINK, DLQ_SINK), INPUT_SOURCE);
        t.addSink(OUTPUT_SINK, config.outputTopic(), new ByteArraySerializer(), tokvec.outputSerializer(), ENRICH_PROCESSOR);
        t.addSink(DLQ_SINK, config.dlqTopic(), new ByteArraySerializer(), tokvec.deadLetterSerializer(), ENRICH_PROCESSOR);
        return t;
        // end::standalone[] (src/site/markdown/library.md shows this code)
    }

    /** tokvec's default {@code restore.consumer.fetch.max.wait.ms} (see {@link #streamsProps}). */
    static final String RESTORE_FETCH_MAX_WAIT_MS = "50";

    /**
     * tokvec's default {@code commit.interval.ms} under {@code exactly_once_v2} (Kafka Streams: 100 ms), set
     * unless configured: each commit ends a transaction (the producer flushed, the offsets added, EndTxn,
     * the broker's markers), during which the stream thread does not process. {@code tokvec bench}
     * measured 1.41x the events/s of 100 ms with 500 ms, as fast as at_least_once (benchmarks page); a
     * read_committed consumer sees outputs up to this much later.
     */
    static final String EOS_COMMIT_INTERVAL_MS = "500";

    /**
     * tokvec's defaults for the producer of every stream thread (see {@link #streamsProps}), chosen for
     * output records of tens of KB ({@code max_len x dim x 4} bytes: 66 KB at 128 x 128), measured with
     * {@code tokvec bench} (benchmarks page):
     * <ul>
     *   <li>{@code batch.size} 1 MiB (Kafka: 16 KiB). A record larger than the batch size gets a batch of
     *       its own, and the producer sends one batch per partition per request: with 16 KiB every
     *       output record was a produce request of its own (at most 5 in flight), in a buffer allocated
     *       for it alone (only batch-size buffers are pooled). 1 MiB holds 15 outputs of 66 KB and stays
     *       under the broker's default {@code message.max.bytes} (1 MiB + 12 bytes).</li>
     *   <li>{@code linger.ms} 5 (Kafka Streams: 100). A batch is sent once full or this old; 100 ms
     *       would hold back records at low rates now that a record no longer fills a batch by itself.</li>
     *   <li>{@code buffer.memory} 64 MiB (Kafka: 32 MiB): a 1 MiB batch per output partition being filled
     *       plus those in flight.</li>
     * </ul>
     */
    public static final Map<String, String> PRODUCER_DEFAULTS = producerDefaults();

    private static Map<String, String> producerDefaults() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(1 << 20));
        m.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        m.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(64L << 20));
        return Collections.unmodifiableMap(m);
    }

    /**
     * Kafka Streams properties for this config: every pass-through key, plus tokvec's defaults (put
     * only if absent): application id {@code tokvec}, the processing exception handler that
     * dead-letters unexpected failures, for the global thread too, and the production exception
     * handler that dead-letters output records the producer refuses. The dead-letter topic is passed
     * as Kafka Streams' own {@link StreamsConfig#ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG}, so
     * tokvec's handler and Kafka's handlers name the same topic. Under {@code exactly_once_v2},
     * {@code commit.interval.ms} defaults to {@link #EOS_COMMIT_INTERVAL_MS}. The producer gets
     * {@link #PRODUCER_DEFAULTS} for every key set neither as {@code producer.<key>} nor as {@code <key>}.
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
        if (StreamsConfig.EXACTLY_ONCE_V2.equals(String.valueOf(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).trim())) {
            p.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, EOS_COMMIT_INTERVAL_MS);
        }
        // The restore consumer's fetch of a changelog it has read to the end waits fetch.max.wait.ms
        // (500 ms) at the broker, which answers a connection's requests in order: the next task's
        // restore (its ListOffsets) waits behind it, so each restarted task was ready 0.5 s after
        // the previous one. The restore consumer only reads changelogs, so short waits cost little.
        putUnlessSet(p, StreamsConfig.restoreConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG),
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, RESTORE_FETCH_MAX_WAIT_MS);
        PRODUCER_DEFAULTS.forEach((key, value) -> putUnlessSet(p, StreamsConfig.producerPrefix(key), key, value));
        return p;
    }

    /**
     * Production exception handlers known not to read a sent record's key or value: Kafka Streams calls
     * the handler from the producer's send callback (on the producer's I/O thread, after {@code send}
     * returned and the stream thread went on) with the serialized record it sent, so a handler that read
     * its value could see an array reused for a later record. tokvec's handler and Kafka's default one
     * (whose dead-letter records, KIP-1034, carry the source record's raw bytes from the
     * {@code ErrorHandlerContext}) read only the topic.
     */
    private static final Set<String> HANDLERS_SAFE_FOR_REUSE = Set.of(DeadLetterProductionExceptionHandler.class.getName(),
            DefaultProductionExceptionHandler.class.getName());

    /**
     * Whether output records may be serialized into reused arrays under these Kafka Streams
     * properties ({@link #streamsProps}): only when nothing reads a sent record's value after
     * {@code send} returns: the production exception handler is tokvec's or Kafka's default, and no
     * producer interceptor is set (one may keep the records it sees). Otherwise every output record
     * gets a fresh array.
     */
    public static boolean outputArraysReusable(Properties streamsProps) {
        Object handler = streamsProps.get(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG);
        String name = handler instanceof Class<?> c ? c.getName() : String.valueOf(handler).trim();
        if (!HANDLERS_SAFE_FOR_REUSE.contains(name)) {
            return false;
        }
        for (String key : List.of(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG, StreamsConfig.producerPrefix(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG))) {
            Object v = streamsProps.get(key);
            if (v != null && !(v instanceof List<?> l ? l.isEmpty() : v.toString().isBlank())) {
                return false;
            }
        }
        return true;
    }

    /** Puts {@code prefixedKey=value} unless the prefixed or the plain key is set (Kafka Streams lets the prefixed one win). */
    private static void putUnlessSet(Properties p, String prefixedKey, String plainKey, String value) {
        if (!p.containsKey(prefixedKey) && !p.containsKey(plainKey)) {
            p.put(prefixedKey, value);
        }
    }
}
