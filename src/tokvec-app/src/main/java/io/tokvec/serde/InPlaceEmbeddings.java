package io.tokvec.serde;

import io.tokvec.core.EmbeddingsTarget;
import io.tokvec.core.EnrichResult;

import java.nio.ByteBuffer;
import java.util.Map;

/**
 * Gathers an event's embeddings straight into the array {@link ConfluentAvroSerializer} will
 * return for its {@code EnrichedEvent}: an array of the record's exact wire size (Confluent header
 * and Avro body), the embeddings at the place where their bytes go. The serializer then writes the
 * header and the other fields around them and hands the array on, so the 64 KB of embeddings of an
 * event are written once, not gathered into a buffer and copied out. The bytes are those of the
 * usual path ({@code HotPathCodecTest}); a record serialized by any other serializer (Confluent's
 * {@code KafkaAvroSerializer}) reads its embeddings from the buffer as usual.
 *
 * <p>One instance per enriching thread (a processor): {@link #event} before each event is enriched,
 * {@link #done} after the record was forwarded. The array is offered to the serializer of the same
 * thread only, and taken by it once: a second serialization of the same record, or of a record
 * whose embeddings are not where this placed them, writes into an array of its own as before, and
 * never writes into the offered one.
 */
public final class InPlaceEmbeddings implements EmbeddingsTarget {

    /** The array placed for the current event on this thread, until a serializer takes it or {@link #done}. */
    private static final ThreadLocal<byte[]> OFFERED = new ThreadLocal<>();

    private final boolean pooled;
    private String id;
    private Long timestampMs;
    private Map<String, String> metadata;

    /** @param pooled whether the records carry a pooled vector ({@code tokvec.pooling} is set) */
    public InPlaceEmbeddings(boolean pooled) {
        this.pooled = pooled;
    }

    /** The fields of the next record that come from the event, not from the enrichment. */
    public void event(String id, Long timestampMs, Map<String, String> metadata) {
        this.id = id;
        this.timestampMs = timestampMs;
        this.metadata = metadata;
    }

    @Override
    public ByteBuffer place(EnrichResult r, int bytes) {
        long head = WireFormat.HEADER_SIZE + EnrichedEventWriter.headSize(id, r.table(), r.tableVersion(),
                EnrichedEventWriter.intsSize(r.ids(), r.maxLen()), r.maxLen(), r.length(), r.dim(), bytes);
        long size = head + bytes + EnrichedEventWriter.suffixSize(timestampMs, metadata,
                pooled ? r.dim() * r.dtype().bytes() : -1, r.dtype().configName());
        if (size > Integer.MAX_VALUE - 16) { // no array this large; the record is dead-lettered as too large
            OFFERED.remove();
            return ByteBuffer.allocate(bytes);
        }
        byte[] array = new byte[(int) size];
        OFFERED.set(array);
        return ByteBuffer.wrap(array, (int) head, bytes);
    }

    /** Drops this thread's offered array, if the serializer did not take it (the record was dead-lettered). */
    public static void done() {
        OFFERED.remove();
    }

    /**
     * The array placed for {@code embeddings} on this thread, when its size is {@code size} and the
     * embeddings start at {@code offset} in it; otherwise null. Taken once: the next call returns null.
     */
    static byte[] take(ByteBuffer embeddings, int size, long offset) {
        byte[] offered = OFFERED.get();
        if (offered == null || !embeddings.hasArray() || embeddings.array() != offered) {
            return null;
        }
        OFFERED.remove();
        return offered.length == size && embeddings.arrayOffset() + embeddings.position() == offset ? offered : null;
    }

    @Override
    public String toString() {
        return "InPlaceEmbeddings(pooled=" + pooled + ")";
    }
}
