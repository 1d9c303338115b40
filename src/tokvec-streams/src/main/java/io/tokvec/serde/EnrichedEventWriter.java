package io.tokvec.serde;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.core.IntList;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.Encoder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Writes an {@link EnrichedEvent} with exactly its own schema field by field, through the same
 * {@link Encoder} calls in the same order as Avro's {@code SpecificDatumWriter} (so the bytes are
 * the same), but reads the ids of an {@link IntList} from its array: no boxed Integer per
 * position. Used only for {@code EnrichedEvent.SCHEMA$} ({@link #supports}); any other schema is
 * written by {@code SpecificDatumWriter}.
 */
final class EnrichedEventWriter implements DatumWriter<Object> {

    static boolean supports(Schema schema) {
        return EnrichedEvent.getClassSchema().equals(schema);
    }

    @Override
    public void setSchema(Schema schema) {
        if (!supports(schema)) {
            throw new IllegalArgumentException("EnrichedEventWriter writes EnrichedEvent's own schema only, not " + schema);
        }
    }

    @Override
    public void write(Object datum, Encoder out) throws IOException {
        EnrichedEvent e = (EnrichedEvent) datum;
        out.writeString(e.getId());
        out.writeString(e.getTable());
        out.writeLong(e.getTableVersion());
        writeInts(e.getIds(), out);
        List<Boolean> mask = e.getMask();
        int n = mask.size();
        out.writeArrayStart();
        out.setItemCount(n);
        for (int i = 0; i < n; i++) {
            out.startItem();
            out.writeBoolean(mask.get(i));
        }
        out.writeArrayEnd();
        out.writeInt(e.getLength());
        out.writeBoolean(e.getTruncated());
        out.writeInt(e.getDim());
        out.writeBytes(e.getEmbeddings());
        Long ts = e.getTimestampMs();
        if (ts == null) {
            out.writeIndex(0);
            out.writeNull();
        } else {
            out.writeIndex(1);
            out.writeLong(ts);
        }
        Map<String, String> metadata = e.getMetadata();
        out.writeMapStart();
        out.setItemCount(metadata.size());
        for (Map.Entry<String, String> m : metadata.entrySet()) {
            out.startItem();
            out.writeString(m.getKey());
            out.writeString(m.getValue());
        }
        out.writeMapEnd();
        ByteBuffer pooled = e.getPooled();
        if (pooled == null) {
            out.writeIndex(0);
            out.writeNull();
        } else {
            out.writeIndex(1);
            out.writeBytes(pooled);
        }
        out.writeString(e.getDtype());
    }

    /**
     * The exact number of bytes {@link #write} writes for {@code e}, or -1 above 2 GiB, so that the
     * serializer can write the record straight into its final array (one 64 KB copy per output record
     * less than writing into a buffer and copying it out).
     */
    static int encodedSize(EnrichedEvent e) {
        long n = stringSize(e.getId()) + stringSize(e.getTable()) + longSize(e.getTableVersion());
        List<Integer> ids = e.getIds();
        int count = ids.size();
        n += arrayFraming(count);
        if (ids instanceof IntList list) {
            int[] a = list.array();
            for (int i = 0; i < count; i++) n += intSize(a[i]);
        } else {
            for (int i = 0; i < count; i++) n += intSize(ids.get(i));
        }
        n += arrayFraming(e.getMask().size()) + e.getMask().size(); // a boolean is one byte
        n += intSize(e.getLength()) + 1 + intSize(e.getDim()) + bytesSize(e.getEmbeddings());
        n += 1 + (e.getTimestampMs() == null ? 0 : longSize(e.getTimestampMs())); // union index, then the branch
        Map<String, String> metadata = e.getMetadata();
        n += arrayFraming(metadata.size());
        for (Map.Entry<String, String> m : metadata.entrySet()) {
            n += stringSize(m.getKey()) + stringSize(m.getValue());
        }
        n += 1 + (e.getPooled() == null ? 0 : bytesSize(e.getPooled()));
        n += stringSize(e.getDtype());
        return n > Integer.MAX_VALUE ? -1 : (int) n;
    }

    /** An array or map: its item count (when not empty) and the end marker, around the items. */
    private static int arrayFraming(int count) {
        return (count == 0 ? 0 : longSize(count)) + 1;
    }

    private static long bytesSize(ByteBuffer b) {
        int len = b.remaining();
        return intSize(len) + (long) len;
    }

    /** Avro writes a string as its length, then its UTF-8 bytes ({@code String.getBytes(UTF_8)} when not ASCII). */
    private static long stringSize(String s) {
        int len = s.length();
        for (int i = 0; i < len; i++) {
            if (s.charAt(i) >= 0x80) {
                len = s.getBytes(StandardCharsets.UTF_8).length;
                break;
            }
        }
        return intSize(len) + (long) len;
    }

    /** Bytes of a zig-zag varint int. */
    private static int intSize(int v) {
        return longSize(v);
    }

    /** Bytes of a zig-zag varint long (1 to 10). */
    private static int longSize(long v) {
        long z = (v << 1) ^ (v >> 63);
        return z == 0 ? 1 : (63 - Long.numberOfLeadingZeros(z)) / 7 + 1;
    }

    private static void writeInts(List<Integer> ints, Encoder out) throws IOException {
        int n = ints.size();
        out.writeArrayStart();
        out.setItemCount(n);
        if (ints instanceof IntList list) {
            int[] a = list.array();
            for (int i = 0; i < n; i++) {
                out.startItem();
                out.writeInt(a[i]);
            }
        } else {
            for (int i = 0; i < n; i++) {
                out.startItem();
                out.writeInt(ints.get(i));
            }
        }
        out.writeArrayEnd();
    }
}
