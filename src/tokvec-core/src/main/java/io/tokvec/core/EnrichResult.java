package io.tokvec.core;

/**
 * The reusable output buffer of an {@link Enricher}: padded ids, mask and {@code [max_len, dim]}
 * little-endian float32 embeddings of one event. Overwritten by the next call; copy what you keep.
 */
public final class EnrichResult {

    final int[] ids;
    final boolean[] mask;
    byte[] embeddings;
    /** The pooled vector as little-endian {@link #dtype()} bytes, or null without pooling. */
    byte[] pooled;
    TableDtype dtype = TableDtype.FLOAT32;
    int dim;
    int length;
    boolean truncated;
    int oovCount;
    String table;
    long tableVersion;

    EnrichResult(int maxLen) {
        this.ids = new int[maxLen];
        this.mask = new boolean[maxLen];
        this.embeddings = new byte[0];
    }

    public int maxLen() { return ids.length; }
    /** Padded ids, {@code max_len} of them (the internal array: do not modify). */
    public int[] ids() { return ids; }
    /** {@code ids != 0}, {@code max_len} of them (the internal array: do not modify). */
    public boolean[] mask() { return mask; }
    /**
     * Little-endian {@link #dtype()} row-major {@code [max_len, dim]} (the internal array, exactly that
     * long); empty when the options turn the sequence output off.
     */
    public byte[] embeddings() { return embeddings; }
    /** The pooled vector, little-endian {@link #dtype()} {@code [dim]} (the internal array), or null when not pooling. */
    public byte[] pooled() { return pooled; }
    /** Element type of {@link #embeddings()} and {@link #pooled()}: float32, or float16 with {@code tokvec.output.dtype=float16}. */
    public TableDtype dtype() { return dtype; }
    public int dim() { return dim; }
    /** Number of event tokens kept (&le; max_len). */
    public int length() { return length; }
    /** Whether tokens were dropped. */
    public boolean truncated() { return truncated; }
    /**
     * Kept tokens whose id is an OOV row {@code 1..tokvec.oov.buckets} (unknown strings, those ids
     * themselves, or out-of-range ids under oov=unk); 0 with Keras Hashing, which has no OOV rows.
     */
    public int oovCount() { return oovCount; }
    public String table() { return table; }
    public long tableVersion() { return tableVersion; }

    /** The embeddings as a new float array, row-major {@code [max_len, dim]}. */
    public float[] embeddingsAsFloats() {
        float[] out = new float[embeddings.length / dtype.bytes()];
        for (int i = 0; i < out.length; i++) {
            out[i] = dtype == TableDtype.FLOAT16 ? EmbeddingTable.halfAt(embeddings, i) : EmbeddingTable.floatAt(embeddings, i);
        }
        return out;
    }

    /** The pooled vector as a new float array, or null when not pooling. */
    public float[] pooledAsFloats() {
        if (pooled == null) {
            return null;
        }
        float[] out = new float[dim];
        for (int i = 0; i < out.length; i++) {
            out[i] = dtype == TableDtype.FLOAT16 ? EmbeddingTable.halfAt(pooled, i) : EmbeddingTable.floatAt(pooled, i);
        }
        return out;
    }
}
