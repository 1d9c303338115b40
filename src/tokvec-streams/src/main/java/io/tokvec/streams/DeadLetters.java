package io.tokvec.streams;

import io.tokvec.avro.DeadLetter;

import java.nio.ByteBuffer;

/**
 * The one place that builds {@link DeadLetter} records, for the enrichment processor (bad input)
 * and for the processing exception handler (unexpected failures) alike, so that every dead letter
 * carries the same fields: the machine-readable reason, a message, where the record came from and
 * its original key and value bytes.
 */
public final class DeadLetters {

    /** Where a dead-lettered record came from, with its original bytes (either may be null). */
    public record Source(String topic, int partition, long offset, long timestampMs, byte[] key, byte[] value) {
    }

    private DeadLetters() {
    }

    /**
     * @param eventId      the event id, when the record decoded far enough to have one
     * @param table        the table name
     * @param tableVersion the version that was active when the record was rejected, or null
     */
    public static DeadLetter of(DeadLetterReason reason, String message, Source source, String eventId, String table,
                                Long tableVersion) {
        return DeadLetter.newBuilder()
                .setReason(reason.name())
                .setMessage(message)
                .setTopic(source.topic())
                .setPartition(source.partition())
                .setOffset(source.offset())
                .setTimestampMs(source.timestampMs())
                .setKey(source.key() == null ? null : ByteBuffer.wrap(source.key()))
                .setValue(source.value() == null ? null : ByteBuffer.wrap(source.value()))
                .setEventId(eventId)
                .setTable(table)
                .setTableVersion(tableVersion)
                .build();
    }
}
