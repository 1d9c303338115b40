package io.tokvec.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record could not be (de)serialized in the Confluent wire format, with a machine-readable
 * {@link Reason} so the topology can dead-letter it — or, for {@link Reason#REGISTRY_UNAVAILABLE},
 * retry instead, as the record itself is not known to be bad.
 */
public class WireFormatException extends SerializationException {

    private static final long serialVersionUID = 1L;

    /** Why a record failed. */
    public enum Reason {
        /** Fewer than {@link WireFormat#HEADER_SIZE} bytes (includes an empty array). */
        TOO_SHORT,
        /** The first byte is not {@link WireFormat#MAGIC_BYTE}: not the Confluent wire format. */
        BAD_MAGIC,
        /** The registry has no (Avro) schema with the record's id. */
        UNKNOWN_SCHEMA,
        /**
         * The payload is not valid Avro for the writer schema (or cannot be resolved to the reader
         * schema), or bytes remain after the record.
         */
        UNDECODABLE,
        /**
         * The registry could not answer: network error, timeout, HTTP 5xx, authentication failure or
         * a response that is not from a schema registry. Transient or configuration trouble, not a
         * bad record.
         */
        REGISTRY_UNAVAILABLE
    }

    private final Reason reason;
    private final int schemaId;

    /**
     * @param reason why
     * @param schemaId the record's schema id, or -1 when unknown
     * @param message what happened, for humans
     */
    public WireFormatException(Reason reason, int schemaId, String message) {
        this(reason, schemaId, message, null);
    }

    /**
     * @param reason why
     * @param schemaId the record's schema id, or -1 when unknown
     * @param message what happened, for humans
     * @param cause the underlying failure, may be null
     */
    public WireFormatException(Reason reason, int schemaId, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.schemaId = schemaId;
    }

    /** The machine-readable reason. */
    public Reason reason() {
        return reason;
    }

    /** The schema id from the record's header, or -1 when it could not be read or does not apply. */
    public int schemaId() {
        return schemaId;
    }

    /** True for {@link Reason#REGISTRY_UNAVAILABLE}: retrying later may succeed. */
    public boolean isTransient() {
        return reason == Reason.REGISTRY_UNAVAILABLE;
    }
}
