package io.tokvec.model;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A model record as the store keeps it: an 8-byte big-endian sequence number (the order the
 * registry received records in, which survives restarts and decides whether a commit or an
 * activate record is the newer) followed by the record's original value bytes.
 */
public record StoredRecord(long seq, byte[] value) {

    public byte[] encode() {
        return ByteBuffer.allocate(Long.BYTES + value.length).putLong(seq).put(value).array();
    }

    public static StoredRecord decode(byte[] stored) {
        if (stored == null || stored.length < Long.BYTES) {
            throw new IllegalArgumentException("stored model record is truncated");
        }
        long seq = ByteBuffer.wrap(stored).getLong();
        return new StoredRecord(seq, Arrays.copyOfRange(stored, Long.BYTES, stored.length));
    }
}
