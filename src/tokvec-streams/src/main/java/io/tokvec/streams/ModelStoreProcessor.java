package io.tokvec.streams;

import io.tokvec.model.TableRegistry;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The global store's processor: every model-topic record (also those replayed on restore, which
 * Kafka Streams routes through this processor since 3.8) goes to the {@link TableRegistry}, which
 * checks it, stages it in the store and swaps tables on commits and activate records; no record
 * makes it throw (a failing store does). On init it rebuilds the registry from what the store
 * already holds, so a restart serves the latest complete version before the stream threads process
 * any event, and registers the application-wide metrics (the global thread lives as long as the
 * application). Each record's model-topic offset is passed on: it is the sequence that orders
 * commits and activate records alike on every instance.
 */
final class ModelStoreProcessor implements Processor<String, byte[], Void, Void> {

    /**
     * The model topic's timestamps: the record's own, never a failure (whatever the application's
     * {@code default.timestamp.extractor} makes of its own topics, model records are not its records).
     */
    static final TimestampExtractor TIMESTAMPS = (record, partitionTime) -> Math.max(0L, record.timestamp());

    private final String storeName;
    private final TableRegistry registry;
    private final TokvecMetrics metrics;
    private KeyValueModelStore store;
    private ProcessorContext<Void, Void> context;

    ModelStoreProcessor(String storeName, TableRegistry registry, TokvecMetrics metrics) {
        this.storeName = storeName;
        this.registry = registry;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        KeyValueStore<String, byte[]> kv = context.getStateStore(storeName);
        store = new KeyValueModelStore(kv);
        metrics.registerApplication(context.metrics(), context.applicationId());
        registry.recover(store);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        long offset = context.recordMetadata().map(RecordMetadata::offset).orElse(-1L);
        registry.onRecord(store, record.key(), record.value(), offset);
    }
}
