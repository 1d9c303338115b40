package io.tokvec.serde;

import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A {@link ConfluentAvroSerializer} and a {@link ConfluentAvroDeserializer} for the generated
 * class {@code T}, configured together. The drop-in counterpart of Confluent's
 * {@code SpecificAvroSerde}.
 */
public final class ConfluentAvroSerde<T extends SpecificRecord> implements Serde<T> {

    private final ConfluentAvroSerializer<T> serializer;
    private final ConfluentAvroDeserializer<T> deserializer;
    private volatile boolean hasClient;
    private volatile SchemaRegistryClient ownClient;

    /** For {@code type}; {@link #configure} (with {@code schema.registry.url}) must be called before use. */
    public ConfluentAvroSerde(Class<T> type) {
        this.serializer = new ConfluentAvroSerializer<>();
        this.deserializer = new ConfluentAvroDeserializer<>(type);
    }

    /**
     * For {@code type} with the given registry client (owned by the caller), ready to use.
     *
     * @param isKey true to use {@code <topic>-key} subjects
     */
    public ConfluentAvroSerde(Class<T> type, SchemaRegistryClient client, boolean isKey) {
        this.serializer = new ConfluentAvroSerializer<>(client, isKey);
        this.deserializer = new ConfluentAvroDeserializer<>(type, client, isKey);
        this.hasClient = true;
    }

    /**
     * Configures both halves. Without a client from the constructor, the first call creates one
     * client from {@code configs} (see {@link SchemaRegistries#forConfig}) shared by both halves, so
     * a schema registered by the serializer is not fetched again by the deserializer.
     */
    @Override
    public synchronized void configure(Map<String, ?> configs, boolean isKey) {
        if (!hasClient) {
            ownClient = SchemaRegistries.forConfig(configs);
            serializer.useClient(ownClient, false);
            deserializer.useClient(ownClient, false);
            hasClient = true;
        }
        serializer.configure(configs, isKey);
        deserializer.configure(configs, isKey);
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }

    @Override
    public void close() {
        serializer.close();
        deserializer.close();
        SchemaRegistryClient c = ownClient;
        if (c != null) {
            c.close();
        }
    }
}
