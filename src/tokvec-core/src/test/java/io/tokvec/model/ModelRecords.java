package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableActivate;
import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableChecksum;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/** Model records for the registry's unit tests: plain Avro binary (no registry framing), and a map store. */
final class ModelRecords {

    static {
        // tokvec's generated classes may be decoded (the application's serdes install the same trust)
        org.apache.avro.util.ClassSecurityValidator.setGlobal(org.apache.avro.util.ClassSecurityValidator.composite(
                org.apache.avro.util.ClassSecurityValidator.getGlobal(), c -> c.getName().startsWith("io.tokvec.avro.")));
    }

    private ModelRecords() {
    }

    /** Decodes what {@link #encode} writes. */
    static final ModelDecoder DECODER = (buf, offset, length) -> {
        try {
            BinaryDecoder d = DecoderFactory.get().binaryDecoder(buf, offset, length, null);
            return new SpecificDatumReader<>(ModelRecord.class).read(null, d);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a ModelRecord: " + e.getMessage(), e);
        }
    };

    static byte[] encode(ModelRecord r) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder e = EncoderFactory.get().binaryEncoder(out, null);
            new SpecificDatumWriter<>(ModelRecord.class).write(r, e);
            e.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ModelRecord record(String table, long version, Object body) {
        return ModelRecord.newBuilder().setTable(table).setVersion(version).setBody(body).build();
    }

    /** A chunk of {@code rows} rows of {@code dim} zeros starting at {@code offset}. */
    static TableChunk chunk(int index, long offset, int rows, int dim) {
        return TableChunk.newBuilder().setIndex(index).setRowOffset(offset).setRowCount(rows).setDim(dim)
                .setData(ByteBuffer.wrap(new byte[rows * dim * Float.BYTES])).setTokens(null).build();
    }

    static TableCommit commit(long rows, int dim, int chunks) {
        return TableCommit.newBuilder().setRows(rows).setDim(dim).setChunks(chunks)
                .setChecksum(TableChecksum.PREFIX + "0".repeat(64)).setVocabChecksum(null)
                .setCreatedMs(0).setMetadata(Map.of()).build();
    }

    static ModelRecord activate(String table, long version) {
        return record(table, version, TableActivate.newBuilder().setReason("test").build());
    }

    /** The chunks and commit of {@code t} as {@link ModelChunker} makes them, {@code chunkBytes} each at most. */
    static List<ModelChunker.Keyed> records(EmbeddingTable t, int chunkBytes) {
        ModelChunker c = new ModelChunker(t, chunkBytes);
        List<ModelChunker.Keyed> out = new java.util.ArrayList<>();
        c.chunks().forEachRemaining(out::add);
        out.add(c.commit(Map.of()));
        return out;
    }

    /** A sorted map standing in for the RocksDB store (same ordering of String keys). */
}
