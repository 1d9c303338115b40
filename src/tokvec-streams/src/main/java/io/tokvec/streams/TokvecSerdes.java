package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.EnrichedEventFloats;
import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TokenEvent;
import io.tokvec.serde.ConfluentAvroSerde;
import io.tokvec.serde.SchemaRegistryClient;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/**
 * Value serdes of tokvec's records in the Confluent Schema Registry wire format (magic byte 0, 4-byte
 * schema id, Avro binary; subjects {@code <topic>-value}), on the schema registry of an enrichment's
 * {@code schema.registry.url} ({@code http(s)://...} or {@code mock://scope}): what any
 * Confluent-compatible client reads and writes. Each call returns a new serde; they share the
 * enrichment's registry client, which the enrichment closes.
 *
 * <pre>{@code
 * enriched.enriched().to("enriched", Produced.with(Serdes.String(), tokvec.serdes().enrichedEvent()));
 * }</pre>
 */
public final class TokvecSerdes {

    private final SchemaRegistryClient client;

    TokvecSerdes(SchemaRegistryClient client) {
        this.client = client;
    }

    /** Input events ({@code schemas/TokenEvent.avsc}). */
    public Serde<TokenEvent> tokenEvent() {
        return serde(TokenEvent.class);
    }

    /** Enriched records, embeddings as bytes ({@code tokvec.output.encoding=bytes}, the default). */
    public Serde<EnrichedEvent> enrichedEvent() {
        return serde(EnrichedEvent.class);
    }

    /** Enriched records, embeddings as {@code array<float>} ({@code tokvec.output.encoding=floats}). */
    public Serde<EnrichedEventFloats> enrichedEventFloats() {
        return serde(EnrichedEventFloats.class);
    }

    /** Dead letters ({@code schemas/DeadLetter.avsc}). */
    public Serde<DeadLetter> deadLetter() {
        return serde(DeadLetter.class);
    }

    /** Records of the model topic: table chunks, commits and activate records ({@code schemas/ModelRecord.avsc}). */
    public Serde<ModelRecord> modelRecord() {
        return serde(ModelRecord.class);
    }

    private <T extends SpecificRecord> Serde<T> serde(Class<T> type) {
        return new ConfluentAvroSerde<>(type, client, false);
    }
}
