package io.tokvec.serde;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.core.IntList;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.Encoder;

import java.io.IOException;
import java.nio.ByteBuffer;
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
