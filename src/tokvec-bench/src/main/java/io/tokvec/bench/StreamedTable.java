package io.tokvec.bench;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import io.tokvec.core.TableChecksum;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.ModelKey;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * The model-topic records of a gaussian table ({@link Workload#gaussianTable} with the same seed),
 * generated chunk by chunk so that the whole table never exists in the bench's heap: the chunks
 * (whole rows, {@link ModelChunker#DEFAULT_CHUNK_BYTES} at most, exactly as {@link ModelChunker}
 * tiles them), then the commit with the SHA-256 of everything sent. The swap part publishes these
 * instead of calling {@code ModelPublisher.publish(table)}, which needs the table in memory: in the
 * same JVM as the application, that copy would sit in the heap whose peak the swap part measures.
 * The commit must be taken last (its checksum covers the chunks handed out before).
 */
final class StreamedTable implements Iterator<ModelChunker.Keyed> {

    private final String table;
    private final long version;
    private final int rows;
    private final int dim;
    private final int rowsPerChunk;
    private final int chunks;
    private final SplittableRandom rnd;
    private final MessageDigest sha = TableChecksum.sha256();
    private int next;
    private TableCommit commit;

    StreamedTable(String table, long version, int rows, int dim, long seed) {
        this.table = table;
        this.version = version;
        this.rows = rows;
        this.dim = dim;
        this.rowsPerChunk = Math.max(1, ModelChunker.DEFAULT_CHUNK_BYTES / (dim * Float.BYTES));
        this.chunks = (rows + rowsPerChunk - 1) / rowsPerChunk;
        this.rnd = new SplittableRandom(seed);
    }

    int chunkCount() {
        return chunks;
    }

    long bytes() {
        return (long) rows * dim * Float.BYTES;
    }

    /** The commit, once {@link #next()} made it (the last record), else null. */
    TableCommit commit() {
        return commit;
    }

    /** True while chunks or the commit remain. */
    @Override
    public boolean hasNext() {
        return next <= chunks;
    }

    /** The next chunk; after the last chunk, the commit. */
    @Override
    public ModelChunker.Keyed next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        int index = next++;
        if (index == chunks) {
            commit = TableCommit.newBuilder()
                    .setRows(rows)
                    .setDim(dim)
                    .setChunks(chunks)
                    .setChecksum(TableChecksum.format(sha))
                    .setVocabChecksum(null)
                    .setCreatedMs(System.currentTimeMillis())
                    .setMetadata(Map.of("source", "tokvec bench"))
                    .build();
            return new ModelChunker.Keyed(ModelKey.commit(table, version), wrap(commit));
        }
        int first = index * rowsPerChunk;
        int count = Math.min(rowsPerChunk, rows - first);
        byte[] data = new byte[count * dim * Float.BYTES];
        Workload.fillGaussian(data, 0, count * dim, rnd);
        sha.update(data);
        TableChunk chunk = TableChunk.newBuilder()
                .setIndex(index)
                .setRowOffset(first)
                .setRowCount(count)
                .setDim(dim)
                .setData(ByteBuffer.wrap(data))
                .setTokens(null)
                .build();
        return new ModelChunker.Keyed(ModelKey.chunk(table, version, index), wrap(chunk));
    }

    private ModelRecord wrap(Object body) {
        return ModelRecord.newBuilder().setTable(table).setVersion(version).setBody(body).build();
    }
}
