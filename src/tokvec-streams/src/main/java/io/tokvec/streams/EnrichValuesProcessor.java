package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * The enrichment as the DSL adds it ({@code KStream#processValues}: keys stay, so no repartitioning
 * follows it): {@link EnrichCore} forwarding enriched records to one named child and dead letters to
 * another, the two branches of {@link EnrichedStreams}.
 */
final class EnrichValuesProcessor<K, V> implements FixedKeyProcessor<K, V, Object>, EnrichCore.Output {

    private final EnrichCore<K, V> core;
    private final String enrichedChild;
    private final String deadLetterChild;
    private FixedKeyProcessorContext<K, Object> context;
    private FixedKeyRecord<K, V> current;

    EnrichValuesProcessor(EnrichCore<K, V> core, String enrichedChild, String deadLetterChild) {
        this.core = core;
        this.enrichedChild = enrichedChild;
        this.deadLetterChild = deadLetterChild;
    }

    @Override
    public void init(FixedKeyProcessorContext<K, Object> context) {
        this.context = context;
        core.init(context);
    }

    @Override
    public void process(FixedKeyRecord<K, V> record) {
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
