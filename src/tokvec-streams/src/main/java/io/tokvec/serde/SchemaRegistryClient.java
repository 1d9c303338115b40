package io.tokvec.serde;

import java.io.IOException;
import org.apache.avro.Schema;

/**
 * The part of a Confluent-compatible schema registry the serdes need. Implementations are
 * thread-safe and cache their answers: registering the same schema under the same subject talks to
 * the registry once, and each id is fetched once.
 *
 * <p>Failures are {@link IOException}s: {@link UnknownSchemaException} when the registry does not
 * know the schema, {@link SchemaRegistryException} for other registry errors (with HTTP status and
 * Confluent error code), plain {@code IOException} for network trouble.
 */
public interface SchemaRegistryClient extends AutoCloseable {

    /**
     * Registers {@code schema} under {@code subject} (a no-op in the registry if it is already
     * there) and returns its global id. The same schema gets the same id under every subject.
     */
    int register(String subject, Schema schema) throws IOException;

    /**
     * Returns the schema with the given id.
     *
     * @throws UnknownSchemaException if the registry has no Avro schema with that id
     */
    Schema getById(int id) throws IOException;

    /**
     * Returns the id of {@code schema} if it is registered under {@code subject}, without
     * registering it (used when {@code auto.register.schemas=false}). Not every implementation
     * supports this; the default throws.
     *
     * @throws UnknownSchemaException if the schema is not registered under the subject
     */
    default int getId(String subject, Schema schema) throws IOException {
        throw new IOException(getClass().getSimpleName()
                + " cannot look up schema ids without registering; set auto.register.schemas=true");
    }

    /** Releases resources; never throws. Closing a client shared by several serdes is harmless. */
    @Override
    void close();
}
