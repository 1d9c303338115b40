package io.tokvec.model;

import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * What the store holds of one version's chunks, kept under {@link ModelKey#chunkIndexKey} and
 * rewritten with every chunk put or deleted: the indexes of the stored chunks and the highest
 * sequence among them. {@link TableRegistry#recover} reads these few bytes per version instead of
 * iterating every chunk value (a multi-GB table's worth of reads through RocksDB) on a restart.
 *
 * <p>Encoding: 8-byte big-endian highest chunk sequence (-1: none), then {@link BitSet#toByteArray()}.
 */
record ChunkIndex(long maxSeq, BitSet chunks) {

    byte[] encode() {
        byte[] bits = chunks.toByteArray();
        return ByteBuffer.allocate(Long.BYTES + bits.length).putLong(maxSeq).put(bits).array();
    }

    static ChunkIndex decode(byte[] stored) {
        if (stored == null || stored.length < Long.BYTES) {
            throw new IllegalArgumentException("stored chunk index is truncated");
        }
        ByteBuffer b = ByteBuffer.wrap(stored);
        long maxSeq = b.getLong();
        return new ChunkIndex(maxSeq, BitSet.valueOf(b.slice()));
    }
}
