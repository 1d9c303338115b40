package io.tokvec.streams;

/**
 * Reason codes of dead-letter records ({@code DeadLetter.reason}). An input record that cannot be
 * enriched goes to the dead-letter topic with its original bytes, topic, partition, offset and one
 * of these; nothing is dropped without a trace.
 */
public enum DeadLetterReason {
    /** The value is not Avro in the Confluent wire format (too short, or the Avro body does not decode). */
    UNDECODABLE,
    /** The first byte is not the wire format's magic byte 0 (e.g. JSON or plain Avro was produced). */
    BAD_MAGIC,
    /** The schema id in the header is not known to the schema registry. */
    UNKNOWN_SCHEMA,
    /** The record has a null value (or the library's {@link EventMapper} mapped it to null). */
    NULL_VALUE,
    /** The library's {@link EventMapper} threw for the record (the exception is in the message). */
    MAPPING_FAILED,
    /** The event has neither token_ids nor tokens. */
    NO_TOKENS,
    /** The event has both token_ids and tokens. */
    BOTH_TOKENS,
    /** A token id is negative or not below the table's row count (tokvec.oov=error). */
    ID_OUT_OF_RANGE,
    /** A token id or string in the event is null. */
    NULL_TOKEN,
    /** String tokens but the active table has no vocabulary. */
    NO_VOCABULARY,
    /** Per-token weights that do not fit: another count than the tokens, null or non-finite, or without tokvec.pooling=sum. */
    BAD_WEIGHTS,
    /** The active table does not fit tokvec.oov.buckets (its OOV rows) or tokvec.hashing.bins (rows, vocabulary). */
    TABLE_MISMATCH,
    /** More tokens than tokvec.max.tokens. */
    TOO_MANY_TOKENS,
    /** No table version is active yet. */
    NO_TABLE,
    /**
     * This instance's table is older than the newest version already used for the record's
     * partition (which moved here from another instance) and did not catch up within
     * tokvec.version.catchup.timeout.ms; enriching it would make versions go back.
     */
    VERSION_BEHIND,
    /** An unexpected exception while processing the record (see the message); the record is kept here. */
    PROCESSING_ERROR,
    /**
     * The enriched record would exceed the producer's max.request.size (max_len x dim x 4 bytes of
     * embeddings plus ids, mask and metadata): caught before sending, as a refused send would abort the
     * transaction under exactly_once_v2.
     */
    OUTPUT_TOO_LARGE,
    /** The enriched record could not be written (e.g. larger than max.request.size or the topic's max.message.bytes). */
    OUTPUT_REJECTED
}
