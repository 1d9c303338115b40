package io.tokvec.model;

import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.List;

/**
 * What the store holds of one version's chunks, kept under {@link ModelKey#chunkIndexKey} and
 * rewritten with every chunk put or deleted: the stored chunk indexes, as ranges ({@link ChunkSet}),
 * and the highest sequence among them. {@link VersionCatalog#recover} reads these few bytes per
 * version instead of iterating every chunk value (a multi-GB table's worth of reads through RocksDB)
 * on a restart.
 *
 * <p>Encoding: 8-byte big-endian highest chunk sequence (-1: none), 4-byte range count {@code n},
 * then {@code n} pairs of 4-byte first and last index (inclusive), ascending and disjoint. A version
 * whose chunks form more than {@link #MAX_RANGES} ranges (chunks sent far out of order, or a flood of
 * scattered indexes) keeps an overflow marker (range count -1) instead: rewriting the ranges with
 * every chunk would cost more than the chunk; a restart then looks its chunks up in the store
 * ({@link VersionCatalog#recover}).
 *
 * <p>The encoding before ranges ({@link #decodeLegacy}): the sequence, then {@link BitSet#toByteArray()}.
 */
record ChunkIndex(long maxSeq, ChunkSet chunks) {

    /** Range count that marks an index of a version with more than {@link #MAX_RANGES} ranges: look its chunks up. */
    private static final int OVERFLOW = -1;

    /** Most ranges an index is kept for. */
    static final int MAX_RANGES = 1024;

    /** Largest legacy (bit set) index that is converted (8 Mi chunks); a larger one is ignored and the chunks looked up. */
    static final int MAX_LEGACY_BYTES = 1 << 20;

    /** Whether {@code chunks} is kept in an index ({@link #MAX_RANGES}). */
    static boolean indexable(ChunkSet chunks) {
        return chunks.rangeCount() <= MAX_RANGES;
    }

    /** Whether the version's chunks must be looked up in the store (more than {@link #MAX_RANGES} ranges). */
    boolean overflow() {
        return chunks == null;
    }

    /** The index of {@code chunks}, or an overflow marker when it has more than {@link #MAX_RANGES} ranges. */
    static byte[] encode(long maxSeq, ChunkSet chunks) {
        if (!indexable(chunks)) {
            return ByteBuffer.allocate(Long.BYTES + Integer.BYTES).putLong(maxSeq).putInt(OVERFLOW).array();
        }
        return new ChunkIndex(maxSeq, chunks).encode();
    }

    byte[] encode() {
        List<int[]> ranges = chunks.ranges();
        ByteBuffer b = ByteBuffer.allocate(Long.BYTES + Integer.BYTES + ranges.size() * 2 * Integer.BYTES);
        b.putLong(maxSeq).putInt(ranges.size());
        for (int[] r : ranges) {
            b.putInt(r[0]).putInt(r[1]);
        }
        return b.array();
    }

    /** @throws IllegalArgumentException when the bytes are not an index (truncated, overlapping or unordered ranges) */
    static ChunkIndex decode(byte[] stored) {
        if (stored == null || stored.length < Long.BYTES + Integer.BYTES) {
            throw new IllegalArgumentException("stored chunk index is truncated");
        }
        ByteBuffer b = ByteBuffer.wrap(stored);
        long maxSeq = b.getLong();
        int n = b.getInt();
        if (n == OVERFLOW && b.remaining() == 0) {
            return new ChunkIndex(maxSeq, null);
        }
        if (n < 0 || n > MAX_RANGES || b.remaining() != n * 2 * Integer.BYTES) {
            throw new IllegalArgumentException("stored chunk index holds " + b.remaining() + " bytes for " + n + " ranges");
        }
        ChunkSet chunks = new ChunkSet();
        long previousLast = -2;
        for (int i = 0; i < n; i++) {
            int first = b.getInt();
            int last = b.getInt();
            if (first <= previousLast + 1) {
                throw new IllegalArgumentException("stored chunk index ranges are not ascending and disjoint");
            }
            chunks.addRange(first, last);
            previousLast = last;
        }
        return new ChunkIndex(maxSeq, chunks);
    }

    /** Decodes an index written before ranges: the sequence, then a {@link BitSet}. */
    static ChunkIndex decodeLegacy(byte[] stored) {
        if (stored == null || stored.length < Long.BYTES || stored.length > Long.BYTES + MAX_LEGACY_BYTES) {
            throw new IllegalArgumentException("stored legacy chunk index is truncated or too large");
        }
        ByteBuffer b = ByteBuffer.wrap(stored);
        long maxSeq = b.getLong();
        BitSet bits = BitSet.valueOf(b.slice());
        ChunkSet chunks = new ChunkSet();
        for (int i = bits.nextSetBit(0); i >= 0; i = bits.nextSetBit(i + 1)) {
            int end = bits.nextClearBit(i);
            chunks.addRange(i, end - 1);
            i = end - 1;
        }
        return new ChunkIndex(maxSeq, chunks);
    }
}
