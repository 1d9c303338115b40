package io.tokvec.model;

import io.tokvec.avro.ModelRecord;

import java.nio.ByteBuffer;

/**
 * A model record as the store keeps it: an 8-byte big-endian sequence number (the order the
 * registry received records in, which survives restarts and decides whether a commit or an
 * activate record is the newer) followed by the record's original value bytes. Reading never
 * copies the value: a table version's chunks add up to the whole table.
 */
public final class StoredRecord {

    private StoredRecord() {
    }

    public static byte[] encode(long seq, byte[] value) {
        return ByteBuffer.allocate(Long.BYTES + value.length).putLong(seq).put(value).array();
    }

    public static long seq(byte[] stored) {
        check(stored);
        return ByteBuffer.wrap(stored).getLong();
    }

    /** Decodes the value part in place. */
    public static ModelRecord decodeValue(byte[] stored, ModelDecoder decoder) {
        check(stored);
        return decoder.decode(stored, Long.BYTES, stored.length - Long.BYTES);
    }

    private static void check(byte[] stored) {
        if (stored == null || stored.length < Long.BYTES) {
            throw new IllegalArgumentException("stored model record is truncated");
        }
    }
}
