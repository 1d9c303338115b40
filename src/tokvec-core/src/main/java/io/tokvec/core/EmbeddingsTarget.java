package io.tokvec.core;

import java.nio.ByteBuffer;

/**
 * Where an {@link Enricher} gathers each event's embeddings, instead of its one reused buffer: so
 * that they land straight in the array that will be sent (tokvec's output serializer writes the
 * rest of the record around them, see {@code io.tokvec.serde.InPlaceEmbeddings}) and no 64 KB
 * copy per event is made. Set with {@link Enricher#gatherInto}; called once per event that has a
 * sequence output, on the enriching thread.
 */
@FunctionalInterface
public interface EmbeddingsTarget {

    /**
     * The place for this event's embeddings.
     *
     * @param partial the event's result so far: {@link EnrichResult#ids()}, {@link EnrichResult#length()},
     *                {@link EnrichResult#truncated()}, {@link EnrichResult#dim()}, {@link EnrichResult#dtype()},
     *                {@link EnrichResult#table()} and {@link EnrichResult#tableVersion()} are set; the mask,
     *                embeddings and pooled vector are not yet
     * @param bytes   the size of the embeddings, {@code max_len x dim x} the element size
     * @return a buffer over an array (not read-only, not direct) whose remaining bytes, at least
     *         {@code bytes}, receive the embeddings from its position on
     */
    ByteBuffer place(EnrichResult partial, int bytes);
}
