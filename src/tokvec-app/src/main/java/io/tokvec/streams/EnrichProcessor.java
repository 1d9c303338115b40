package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichException;
import io.tokvec.core.EnrichResult;
import io.tokvec.core.Enricher;
import io.tokvec.core.Ticker;
import io.tokvec.config.TokvecConfig;
import io.tokvec.model.Activation;
import io.tokvec.model.ActiveTable;
import io.tokvec.model.TableLease;
import io.tokvec.serde.WireFormatException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * Enriches one input record: decodes it (raw bytes in, so that undecodable records reach the
 * dead-letter topic with their original bytes), leases the active table once ({@link ActiveTable#acquire()},
 * held until the record is forwarded, so a swap cannot free it underneath), and forwards either
 * an output record to {@link TokvecTopology#OUTPUT_SINK} or a {@link DeadLetter} to
 * {@link TokvecTopology#DLQ_SINK}. A registry that cannot be reached is not a bad record: that
 * exception propagates so that Kafka Streams' handlers decide (the record is retried, not lost).
 * Versions never go back within the task's partition ({@link PartitionVersions}): a table older
 * than the newest one already used for it is waited for, then the record is dead-lettered as
 * {@link DeadLetterReason#VERSION_BEHIND}.
 */
final class EnrichProcessor implements Processor<byte[], byte[], byte[], Object> {

    private static final Logger log = LoggerFactory.getLogger(EnrichProcessor.class);

    private final TokvecConfig config;
    private final ActiveTable tables;
    private final Deserializer<TokenEvent> deserializer;
    private final TokvecMetrics metrics;
    private final Ticker ticker;
    private TokvecMetrics.ThreadMetrics threadMetrics;
    private final Enricher enricher;
    private final int maxTokens;
    private final int maxRequestSize;
    private final TokvecConfig.OutputEncoding encoding;
    private final String inputTopic;
    private ProcessorContext<byte[], Object> context;
    private PartitionVersions versions;

    EnrichProcessor(TokvecConfig config, ActiveTable tables, Deserializer<TokenEvent> deserializer, TokvecMetrics metrics,
                    Ticker ticker) {
        this.config = config;
        this.ticker = ticker;
        this.tables = tables;
        this.deserializer = deserializer;
        this.metrics = metrics;
        this.enricher = new Enricher(config.enrichOptions(), config.outputDtype());
        this.maxTokens = config.maxTokens();
        this.maxRequestSize = config.maxRequestSize();
        this.encoding = config.outputEncoding();
        this.inputTopic = config.inputTopic(); // a config lookup: not once per record
    }

    @Override
    public void init(ProcessorContext<byte[], Object> context) {
        this.context = context;
        metrics.registerApplication(context.metrics(), context.applicationId());
        threadMetrics = metrics.forThread(context.metrics(), context.applicationId());
        KeyValueStore<String, byte[]> store = context.getStateStore(TokvecTopology.VERSION_STORE);
        versions = new PartitionVersions(store, tables.table(), config.versionCatchupTimeoutMs(), config.pinnedVersion() < 0,
                "task " + context.taskId(), ticker);
        log.info("task {}: enriching {} partition {}", context.taskId(), config.inputTopic(), context.taskId().partition());
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        long t0 = System.nanoTime();
        byte[] value = record.value();
        if (value == null) {
            deadLetter(record, DeadLetterReason.NULL_VALUE, "record value is null", null, null);
            return;
        }
        TokenEvent event;
        try {
            event = deserializer.deserialize(sourceTopic(), value);
        } catch (WireFormatException e) {
            if (e.reason() == WireFormatException.Reason.REGISTRY_UNAVAILABLE) {
                throw e;
            }
            deadLetter(record, switch (e.reason()) {
                case BAD_MAGIC -> DeadLetterReason.BAD_MAGIC;
                case UNKNOWN_SCHEMA -> DeadLetterReason.UNKNOWN_SCHEMA;
                default -> DeadLetterReason.UNDECODABLE;
            }, e.getMessage(), null, null);
            return;
        } catch (RuntimeException e) {
            deadLetter(record, DeadLetterReason.UNDECODABLE, String.valueOf(e.getMessage()), null, null);
            return;
        }
        if (event == null) {
            deadLetter(record, DeadLetterReason.NULL_VALUE, "record value decodes to null", null, null);
            return;
        }
        Activation activation = tables.activation();
        if (activation == null) {
            deadLetter(record, DeadLetterReason.NO_TABLE, "no version of table '" + tables.table() + "' is active yet",
                    event.getId(), null);
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
            deadLetter(record, DeadLetterReason.VERSION_BEHIND, "table '" + tables.table() + "' here is at v" + behind.version()
                    + " (model offset " + activation.sequence() + "), older than v" + versions.usedVersion() + " (model offset "
                    + versions.usedSequence() + ") already used for this partition, and did not catch up within "
                    + TokvecConfig.VERSION_CATCHUP_TIMEOUT_MS + "=" + config.versionCatchupTimeoutMs() + " ms", event.getId(), behind);
            return;
        }
        try (TableLease lease = tables.acquire()) {
            if (lease.isEmpty()) { // the registry was closed (shutting down)
                deadLetter(record, DeadLetterReason.NO_TABLE, "table '" + tables.table() + "' is closed", event.getId(), null);
                return;
            }
            // the leased activation is the admitted one or a later one (activations only move forward)
            enrich(record, event, lease.activation(), t0);
        }
    }

    private void enrich(Record<byte[], byte[]> record, TokenEvent event, Activation activation, long t0) {
        EmbeddingTable table = activation.table();
        boolean hasIds = event.getTokenIds() != null;
        boolean hasTokens = event.getTokens() != null;
        if (hasIds == hasTokens) {
            deadLetter(record, hasIds ? DeadLetterReason.BOTH_TOKENS : DeadLetterReason.NO_TOKENS,
                    hasIds ? "event has both token_ids and tokens" : "event has neither token_ids nor tokens",
                    event.getId(), table);
            return;
        }
        int n = hasIds ? event.getTokenIds().size() : event.getTokens().size();
        if (n > maxTokens) {
            deadLetter(record, DeadLetterReason.TOO_MANY_TOKENS, "event has " + n + " tokens, over tokvec.max.tokens="
                    + maxTokens, event.getId(), table);
            return;
        }
        EnrichResult result;
        try {
            result = hasIds ? enricher.enrichIds(table, event.getTokenIds(), event.getWeights())
                    : enricher.enrichTokens(table, event.getTokens(), event.getWeights());
        } catch (EnrichException e) {
            deadLetter(record, DeadLetterReason.valueOf(e.reason().name()), e.getMessage(), event.getId(), table);
            return;
        }
        SpecificRecord out = OutputRecords.build(encoding, event, result);
        long bound = OutputRecords.sizeUpperBound(record, out);
        if (bound > maxRequestSize) {
            deadLetter(record, DeadLetterReason.OUTPUT_TOO_LARGE, "the enriched record would take up to " + bound
                    + " bytes, over the producer's max.request.size=" + maxRequestSize + " (max_len " + result.maxLen()
                    + " x dim " + result.dim() + "): raise max.request.size and the output topic's max.message.bytes,"
                    + " or lower tokvec.max.len", event.getId(), table);
            return;
        }
        versions.used(activation);
        context.forward(record.withValue(out), TokvecTopology.OUTPUT_SINK);
        threadMetrics.enriched(result, System.nanoTime() - t0);
    }

    private String sourceTopic() {
        return context.recordMetadata().map(RecordMetadata::topic).orElse(inputTopic);
    }

    private void deadLetter(Record<byte[], byte[]> record, DeadLetterReason reason, String message, String eventId,
                            EmbeddingTable table) {
        Optional<RecordMetadata> meta = context.recordMetadata();
        DeadLetters.Source source = new DeadLetters.Source(meta.map(RecordMetadata::topic).orElse(inputTopic),
                meta.map(RecordMetadata::partition).orElse(-1), meta.map(RecordMetadata::offset).orElse(-1L),
                record.timestamp(), record.key(), record.value());
        DeadLetter dl = DeadLetters.of(reason, message, source, eventId, table == null ? tables.table() : table.name(),
                table == null ? null : table.version());
        log.warn("dead letter [{}] {}-{}@{}: {}", reason, dl.getTopic(), dl.getPartition(), dl.getOffset(), message);
        context.forward(record.withValue((Object) dl), TokvecTopology.DLQ_SINK);
        threadMetrics.deadLetter(reason);
    }
}
