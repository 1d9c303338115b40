package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichException;
import io.tokvec.core.EnrichResult;
import io.tokvec.core.Enricher;
import io.tokvec.core.Ticker;
import io.tokvec.model.Activation;
import io.tokvec.model.ActiveTable;
import io.tokvec.model.TableLease;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * Enriches one input record; the one code path of every enrichment, whichever API added it
 * ({@link EnrichProcessor} for the Processor API and the standalone application,
 * {@link EnrichValuesProcessor} for the DSL). It reads the event ({@link EventReader}: raw wire-format
 * bytes decoded here, so that undecodable records reach the dead letters with their original bytes,
 * or a typed value mapped), leases the active table once ({@link ActiveTable#acquire()}, held until
 * the record is forwarded, so a swap cannot free it underneath), and hands the {@link Output} either
 * the enriched record or a {@link DeadLetter}. A registry that cannot be reached is not a bad record:
 * that exception propagates so that Kafka Streams' handlers decide (the record is retried, not lost).
 * Versions never go back within the task's partition ({@link PartitionVersions}): a table older than
 * the newest one already used for it is waited for, then the record is dead-lettered as
 * {@link DeadLetterReason#VERSION_BEHIND}.
 *
 * <p>The enriched record's lists and buffers are views over the enricher's reused arrays, valid until
 * the next record, unless the enrichment was built to copy them ({@code copyOutputs}, the DSL's
 * choice: its downstream operators are the user's).
 */
final class EnrichCore<K, V> {

    /** Where the outcome of a record goes: the enriched record or its dead letter, exactly one of them. */
    interface Output {
        void enriched(SpecificRecord record);

        void deadLetter(DeadLetter deadLetter);
    }

    private static final Logger log = LoggerFactory.getLogger(EnrichCore.class);

    private final EnrichSpec spec;
    private final TokvecConfig config;
    private final ActiveTable tables;
    private final EventReader<K, V> reader;
    private final Enricher enricher;
    private final int maxTokens;
    private final int maxRequestSize;
    private final TokvecConfig.OutputEncoding encoding;
    private final String inputTopic;
    private ProcessingContext context;
    private TokvecMetrics.ThreadMetrics threadMetrics;
    private PartitionVersions versions;

    EnrichCore(EnrichSpec spec, EventReader<K, V> reader) {
        this.spec = spec;
        this.config = spec.config();
        this.tables = spec.tables();
        this.reader = reader;
        this.enricher = new Enricher(config.enrichOptions(), config.outputDtype());
        this.maxTokens = config.maxTokens();
        this.maxRequestSize = config.maxRequestSize();
        this.encoding = config.outputEncoding();
        this.inputTopic = config.inputTopic(); // a config lookup: not once per record
    }

    void init(ProcessingContext context) {
        this.context = context;
        spec.metrics().registerApplication(context.metrics(), context.applicationId());
        threadMetrics = spec.metrics().forThread(context.metrics(), context.applicationId());
        KeyValueStore<String, byte[]> store = context.getStateStore(spec.versionStore());
        versions = new PartitionVersions(store, tables.table(), config.versionCatchupTimeoutMs(), config.pinnedVersion() < 0,
                "task " + context.taskId(), spec.ticker());
        log.info("task {}: enriching {} partition {}", context.taskId(), spec.input(), context.taskId().partition());
    }

    void process(K key, V value, long timestamp, Headers headers, Output out) {
        long t0 = System.nanoTime();
        if (value == null) {
            deadLetter(out, key, null, timestamp, DeadLetterReason.NULL_VALUE, "record value is null", null, null);
            return;
        }
        TokenEvent event;
        try {
            event = reader.read(sourceTopic(), key, value);
        } catch (EventReader.Unreadable e) {
            deadLetter(out, key, value, timestamp, e.reason, e.getMessage(), null, null);
            return;
        }
        if (event == null) {
            deadLetter(out, key, value, timestamp, DeadLetterReason.NULL_VALUE, "record value decodes to null", null, null);
            return;
        }
        Activation activation = tables.activation();
        if (activation == null) {
            deadLetter(out, key, value, timestamp, DeadLetterReason.NO_TABLE, "no version of table '" + tables.table()
                    + "' is active yet", event.getId(), null);
            return;
        }
        try {
            activation = versions.admit(activation, tables);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        }
        if (versions.behind(activation)) {
            EmbeddingTable behind = activation.table(); // name and version only: readable without a reference
            deadLetter(out, key, value, timestamp, DeadLetterReason.VERSION_BEHIND, "table '" + tables.table() + "' here is at v"
                    + behind.version() + " (model offset " + activation.sequence() + "), older than v" + versions.usedVersion()
                    + " (model offset " + versions.usedSequence() + ") already used for this partition, and did not catch up within "
                    + TokvecConfig.VERSION_CATCHUP_TIMEOUT_MS + "=" + config.versionCatchupTimeoutMs() + " ms", event.getId(), behind);
            return;
        }
        try (TableLease lease = tables.acquire()) {
            if (lease.isEmpty()) { // the registry was closed (shutting down)
                deadLetter(out, key, value, timestamp, DeadLetterReason.NO_TABLE, "table '" + tables.table() + "' is closed",
                        event.getId(), null);
                return;
            }
            // the leased activation is the admitted one or a later one (activations only move forward)
            enrich(out, key, value, timestamp, headers, event, lease.activation(), t0);
        }
    }

    private void enrich(Output out, K key, V value, long timestamp, Headers headers, TokenEvent event, Activation activation,
                        long t0) {
        EmbeddingTable table = activation.table();
        boolean hasIds = event.getTokenIds() != null;
        boolean hasTokens = event.getTokens() != null;
        if (hasIds == hasTokens) {
            deadLetter(out, key, value, timestamp, hasIds ? DeadLetterReason.BOTH_TOKENS : DeadLetterReason.NO_TOKENS,
                    hasIds ? "event has both token_ids and tokens" : "event has neither token_ids nor tokens",
                    event.getId(), table);
            return;
        }
        int n = hasIds ? event.getTokenIds().size() : event.getTokens().size();
        if (n > maxTokens) {
            deadLetter(out, key, value, timestamp, DeadLetterReason.TOO_MANY_TOKENS, "event has " + n
                    + " tokens, over tokvec.max.tokens=" + maxTokens, event.getId(), table);
            return;
        }
        EnrichResult result;
        try {
            result = hasIds ? enricher.enrichIds(table, event.getTokenIds(), event.getWeights())
                    : enricher.enrichTokens(table, event.getTokens(), event.getWeights());
        } catch (EnrichException e) {
            deadLetter(out, key, value, timestamp, DeadLetterReason.valueOf(e.reason().name()), e.getMessage(), event.getId(),
                    table);
            return;
        }
        SpecificRecord record = OutputRecords.build(encoding, event, result);
        long bound = OutputRecords.sizeUpperBound(reader.keySizeBound(key), headers, record);
        if (bound > maxRequestSize) {
            deadLetter(out, key, value, timestamp, DeadLetterReason.OUTPUT_TOO_LARGE, "the enriched record would take up to "
                    + bound + " bytes, over the producer's max.request.size=" + maxRequestSize + " (max_len " + result.maxLen()
                    + " x dim " + result.dim() + "): raise max.request.size and the output topic's max.message.bytes,"
                    + " or lower tokvec.max.len", event.getId(), table);
            return;
        }
        versions.used(activation);
        out.enriched(spec.copyOutputs() ? OutputRecords.copy(record) : record);
        threadMetrics.enriched(result, System.nanoTime() - t0);
    }

    private String sourceTopic() {
        return context.recordMetadata().map(RecordMetadata::topic).orElse(inputTopic);
    }

    private void deadLetter(Output out, K key, V value, long timestamp, DeadLetterReason reason, String message,
                            String eventId, EmbeddingTable table) {
        Optional<RecordMetadata> meta = context.recordMetadata();
        DeadLetters.Source source = new DeadLetters.Source(meta.map(RecordMetadata::topic).orElse(inputTopic),
                meta.map(RecordMetadata::partition).orElse(-1), meta.map(RecordMetadata::offset).orElse(-1L),
                timestamp, reader.keyBytes(key), value == null ? null : reader.valueBytes(value));
        DeadLetter dl = DeadLetters.of(reason, message, source, eventId, table == null ? tables.table() : table.name(),
                table == null ? null : table.version());
        log.warn("dead letter [{}] {}-{}@{}: {}", reason, dl.getTopic(), dl.getPartition(), dl.getOffset(), message);
        out.deadLetter(dl);
        threadMetrics.deadLetter(reason);
    }
}
