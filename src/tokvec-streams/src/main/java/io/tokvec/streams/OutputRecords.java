package io.tokvec.streams;

import io.tokvec.config.TokvecConfig;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.EnrichedEventFloats;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichResult;
import io.tokvec.core.IntList;
import io.tokvec.serde.AvroSize;
import io.tokvec.serde.WireFormat;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.ByteBuffer;
import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * Turns an {@link EnrichResult} into the output record. The lists are views over the result's
 * reusable arrays (no per-token copies): the record must be serialized before the next event is
 * enriched, which holds because the sink serializes inside {@code forward}.
 */
final class OutputRecords {

    private OutputRecords() {
    }

    static SpecificRecord build(TokvecConfig.OutputEncoding encoding, TokenEvent event, EnrichResult r) {
        if (encoding == TokvecConfig.OutputEncoding.FLOATS) {
            return EnrichedEventFloats.newBuilder()
                    .setId(event.getId())
                    .setTable(r.table())
                    .setTableVersion(r.tableVersion())
                    .setIds(new IntList(r.ids(), r.ids().length))
                    .setMask(new BoolView(r.mask()))
                    .setLength(r.length())
                    .setTruncated(r.truncated())
                    .setDim(r.dim())
                    .setEmbeddings(new FloatView(r.embeddings()))
                    .setPooled(r.pooled() == null ? null : new FloatView(r.pooled()))
                    .setTimestampMs(event.getTimestampMs())
                    .setMetadata(event.getMetadata())
                    .build();
        }
        return EnrichedEvent.newBuilder()
                .setId(event.getId())
                .setTable(r.table())
                .setTableVersion(r.tableVersion())
                .setIds(new IntList(r.ids(), r.ids().length))
                .setMask(new BoolView(r.mask()))
                .setLength(r.length())
                .setTruncated(r.truncated())
                .setDim(r.dim())
                .setEmbeddings(ByteBuffer.wrap(r.embeddings()))
                .setPooled(r.pooled() == null ? null : ByteBuffer.wrap(r.pooled()))
                .setDtype(r.dtype().configName())
                .setTimestampMs(event.getTimestampMs())
                .setMetadata(event.getMetadata())
                .build();
    }

    /** Bytes of record-batch and per-record framing the producer adds around key, value and headers (an upper bound). */
    static final int RECORD_OVERHEAD = 61 + 21;

    /**
     * An upper bound of what the producer will count for this output record: the Confluent wire
     * header (5 bytes), the Avro body ({@link AvroSize}), key ({@code keyBytes} at most), headers and
     * framing.
     */
    static long sizeUpperBound(long keyBytes, Headers headers, SpecificRecord out) {
        long n = RECORD_OVERHEAD + WireFormat.HEADER_SIZE + AvroSize.upperBound(out) + keyBytes;
        for (Header h : headers) {
            n += 10 + 3L * h.key().length() + (h.value() == null ? 0 : h.value().length);
        }
        return n;
    }

    /**
     * A copy of an output record that owns its lists and buffers (Avro's deep copy), for operators that
     * keep records past the next one: the DSL's downstream of the enrichment.
     */
    static SpecificRecord copy(SpecificRecord out) {
        return SpecificData.get().deepCopy(out.getSchema(), out);
    }

    static final class BoolView extends AbstractList<Boolean> implements RandomAccess {
        private final boolean[] a;

        BoolView(boolean[] a) { this.a = a; }

        @Override public Boolean get(int i) { return a[i]; }
        @Override public int size() { return a.length; }
    }

    static final class FloatView extends AbstractList<Float> implements RandomAccess {
        private final byte[] le;

        FloatView(byte[] littleEndianFloats) { this.le = littleEndianFloats; }

        @Override public Float get(int i) { return EmbeddingTable.floatAt(le, i); }
        @Override public int size() { return le.length / Float.BYTES; }
    }
}
