package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.EnrichedEventFloats;
import io.tokvec.config.TokvecConfig;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.kstream.KStream;

/**
 * What {@link TokvecEnrichment#enrich} made of a stream: its enriched records and its dead letters,
 * two branches that together hold every input record exactly once, under the input's keys. The
 * enriched records own their values (they may be kept, buffered or joined); write them with
 * {@link TokvecSerdes#enrichedEvent()} and the dead letters with {@link TokvecSerdes#deadLetter()}.
 *
 * @param <K> the input's key type, kept
 */
public final class EnrichedStreams<K> {

    private final TokvecConfig.OutputEncoding encoding;
    private final KStream<K, SpecificRecord> enriched;
    private final KStream<K, DeadLetter> deadLetters;

    EnrichedStreams(TokvecConfig.OutputEncoding encoding, KStream<K, SpecificRecord> enriched, KStream<K, DeadLetter> deadLetters) {
        this.encoding = encoding;
        this.enriched = enriched;
        this.deadLetters = deadLetters;
    }

    /**
     * The enriched records, embeddings as little-endian float32 (or float16) bytes.
     *
     * @throws IllegalStateException when the enrichment has {@code tokvec.output.encoding=floats} (see {@link #enrichedFloats()})
     */
    @SuppressWarnings("unchecked")
    public KStream<K, EnrichedEvent> enriched() {
        if (encoding != TokvecConfig.OutputEncoding.BYTES) {
            throw new IllegalStateException(TokvecConfig.OUTPUT_ENCODING + "=floats: the enriched records are EnrichedEventFloats,"
                    + " see enrichedFloats()");
        }
        return (KStream<K, EnrichedEvent>) (KStream<K, ?>) enriched;
    }

    /**
     * The enriched records with {@code tokvec.output.encoding=floats}: embeddings as {@code array<float>}.
     *
     * @throws IllegalStateException when the enrichment has {@code tokvec.output.encoding=bytes} (see {@link #enriched()})
     */
    @SuppressWarnings("unchecked")
    public KStream<K, EnrichedEventFloats> enrichedFloats() {
        if (encoding != TokvecConfig.OutputEncoding.FLOATS) {
            throw new IllegalStateException(TokvecConfig.OUTPUT_ENCODING + "=bytes: the enriched records are EnrichedEvent,"
                    + " see enriched()");
        }
        return (KStream<K, EnrichedEventFloats>) (KStream<K, ?>) enriched;
    }

    /**
     * Every input record that was not enriched, as a {@link DeadLetter}: the reason, a message, where the
     * record came from (topic, partition, offset), its event id once known, and its original key and
     * value bytes where the input had them as bytes ({@link TokvecEnrichment#enrichWireFormat}).
     */
    public KStream<K, DeadLetter> deadLetters() {
        return deadLetters;
    }
}
