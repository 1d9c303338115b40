package io.tokvec.serde;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.EnrichedEventFloats;
import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableActivate;
import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import io.tokvec.avro.TokenEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/** One or more instances of every generated record type, and an independent Avro encoder. */
final class SampleRecords {

    private SampleRecords() {
    }

    static TokenEvent tokenEvent(String id, int... tokenIds) {
        return TokenEvent.newBuilder()
                .setId(id)
                .setTokenIds(Stream.of(box(tokenIds)).toList())
                .setTimestampMs(1_700_000_000_123L)
                .setMetadata(Map.of("source", "test", "lang", "en"))
                .build();
    }

    static List<SpecificRecord> all() {
        return List.of(
                tokenEvent("ev-1", 5, 7, 0, 1),
                TokenEvent.newBuilder().setId("ev-2").setTokens(List.of("hello", "wörld", "")).build(),
                EnrichedEvent.newBuilder()
                        .setId("ev-1").setTable("glove").setTableVersion(3)
                        .setIds(List.of(5, 7, 0)).setMask(List.of(true, true, false))
                        .setLength(2).setTruncated(false).setDim(2)
                        .setEmbeddings(floats(0.5f, -1.25f, 3f, 4f, 0f, 0f))
                        .setTimestampMs(42L).setMetadata(Map.of("k", "v"))
                        .build(),
                EnrichedEventFloats.newBuilder()
                        .setId("ev-1").setTable("glove").setTableVersion(3)
                        .setIds(List.of(5, 0)).setMask(List.of(true, false))
                        .setLength(1).setTruncated(true).setDim(2)
                        .setEmbeddings(List.of(0.5f, -1.25f, 0f, 0f))
                        .setTimestampMs(null)
                        .build(),
                ModelRecord.newBuilder().setTable("glove").setVersion(3)
                        .setBody(TableChunk.newBuilder().setIndex(0).setRowOffset(0).setRowCount(2).setDim(2)
                                .setData(floats(1f, 2f, 3f, 4f)).setTokens(List.of("", "[OOV]")).build())
                        .build(),
                ModelRecord.newBuilder().setTable("glove").setVersion(3)
                        .setBody(TableCommit.newBuilder().setRows(2).setDim(2).setChunks(1)
                                .setChecksum("sha256:00ff").setVocabChecksum(null).setCreatedMs(99)
                                .setMetadata(Map.of()).build())
                        .build(),
                ModelRecord.newBuilder().setTable("glove").setVersion(2)
                        .setBody(TableActivate.newBuilder().setReason("rollback").build())
                        .build(),
                DeadLetter.newBuilder()
                        .setReason("BAD_MAGIC").setMessage("expected magic byte 0").setTopic("in")
                        .setPartition(3).setOffset(1234567890123L).setTimestampMs(-1)
                        .setKey(null).setValue(ByteBuffer.wrap(new byte[] {0x7b, 0x7d}))
                        .setEventId(null).setTable(null).setTableVersion(null)
                        .build());
    }

    /** Avro binary of {@code record} with its own schema, as Confluent's serializer writes it. */
    static byte[] avroBinary(SpecificRecord record) {
        return write(new SpecificDatumWriter<>(record.getSchema(), SpecificData.getForClass(record.getClass())), record);
    }

    /** Avro binary of a generic datum written with {@code schema}. */
    static byte[] avroBinary(Schema schema, Object datum) {
        return write(new GenericDatumWriter<>(schema), datum);
    }

    private static <D> byte[] write(org.apache.avro.io.DatumWriter<D> writer, D datum) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            writer.write(datum, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Hand-made framing, independent of {@link WireFormat}. */
    static byte[] frame(int id, byte[] payload) {
        byte[] out = new byte[5 + payload.length];
        out[0] = 0;
        out[1] = (byte) (id >> 24);
        out[2] = (byte) (id >> 16);
        out[3] = (byte) (id >> 8);
        out[4] = (byte) id;
        System.arraycopy(payload, 0, out, 5, payload.length);
        return out;
    }

    static ByteBuffer floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        b.flip();
        return b;
    }

    private static Integer[] box(int[] values) {
        Integer[] out = new Integer[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
