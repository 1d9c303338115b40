package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The enrichment as a Processor API processor ({@link TokvecEnrichment#processor},
 * {@link TokvecEnrichment#wireFormatProcessor}; the standalone application's {@code tokvec-enrich}):
 * {@link EnrichCore} forwarding enriched records to one named child and dead letters to another.
 */
final class EnrichProcessor<K, V> implements Processor<K, V, K, Object>, EnrichCore.Output {

    private final EnrichCore<K, V> core;
    private final String enrichedChild;
    private final String deadLetterChild;
    private ProcessorContext<K, Object> context;
    private Record<K, V> current;

    EnrichProcessor(EnrichCore<K, V> core, String enrichedChild, String deadLetterChild) {
        this.core = core;
        this.enrichedChild = enrichedChild;
        this.deadLetterChild = deadLetterChild;
    }

    @Override
    public void init(ProcessorContext<K, Object> context) {
        this.context = context;
        core.init(context);
    }

    @Override
    public void process(Record<K, V> record) {
        current = record;
        try {
            core.process(record.key(), record.value(), record.timestamp(), record.headers(), this);
        } finally {
            current = null;
        }
    }

    @Override
    public void enriched(SpecificRecord out) {
        context.forward(current.withValue(out), enrichedChild);
    }

    @Override
    public void deadLetter(DeadLetter deadLetter) {
        context.forward(current.withValue(deadLetter), deadLetterChild);
    }
}
