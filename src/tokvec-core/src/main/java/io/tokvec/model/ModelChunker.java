package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableActivate;
import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableChecksum;
import io.tokvec.core.Vocabulary;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Splits a table into model-topic records: chunks of whole rows whose data (and vocabulary tokens)
 * stay within a byte budget, so that every record fits Kafka's default 1 MiB limit, then the
 * commit. Chunks are produced lazily, as float32 whatever the table's dtype (the wire format and
 * the checksum are float32): a table is never held twice.
 */
public final class ModelChunker {

    /** Default budget of one chunk's payload (rows plus tokens); leaves room for framing under 1 MiB. */
    public static final int DEFAULT_CHUNK_BYTES = 900 * 1024;

    /** One record to publish. */
    public record Keyed(ModelKey key, ModelRecord record) {
    }

    private final EmbeddingTable table;
    private final List<int[]> ranges = new ArrayList<>(); // {firstRow, rowCount}
    /** SHA-256 of the chunks produced so far in index order (the commit's checksum without a second pass). */
    private final MessageDigest digest = TableChecksum.sha256();
    private int digested;
    private String digestedSum;

    public ModelChunker(EmbeddingTable table, int chunkBytes) {
        this.table = table;
        int rowBytes = table.dim() * Float.BYTES;
        Vocabulary vocab = table.vocabulary();
        int start = 0;
        long size = 0;
        for (int row = 0; row < table.rows(); row++) {
            long cost = rowBytes + (vocab == null ? 0 : 5L + vocab.tokens().get(row).getBytes(StandardCharsets.UTF_8).length);
            if (cost > chunkBytes) {
                throw new IllegalArgumentException("row " + row + " needs " + cost + " bytes, over the chunk budget of "
                        + chunkBytes + " bytes (dim " + table.dim() + " is too large for one record)");
            }
            if (size + cost > chunkBytes) {
                ranges.add(new int[] {start, row - start});
                start = row;
                size = 0;
            }
            size += cost;
        }
        ranges.add(new int[] {start, table.rows() - start});
    }

    public int chunkCount() {
        return ranges.size();
    }

    /** The chunk records, built one at a time. */
    public Iterator<Keyed> chunks() {
        return new Iterator<>() {
            private int i;

            @Override
            public boolean hasNext() {
                return i < ranges.size();
            }

            @Override
            public Keyed next() {
                if (!hasNext()) throw new NoSuchElementException();
                return chunk(i++);
            }
        };
    }

    public Keyed chunk(int index) {
        int[] r = ranges.get(index);
        int rowBytes = table.dim() * Float.BYTES;
        byte[] bytes = new byte[r[1] * rowBytes];
        table.copyRowsFloat32(r[0], r[1], bytes, 0);
        if (index == digested) {
            digest.update(bytes);
            digested++;
        }
        ByteBuffer data = ByteBuffer.wrap(bytes);
        List<String> tokens = table.vocabulary() == null ? null
                : new ArrayList<>(table.vocabulary().tokens().subList(r[0], r[0] + r[1]));
        TableChunk chunk = TableChunk.newBuilder()
                .setIndex(index)
                .setRowOffset(r[0])
                .setRowCount(r[1])
                .setDim(table.dim())
                .setData(data)
                .setTokens(tokens)
                .build();
        return new Keyed(ModelKey.chunk(table.name(), table.version(), index), wrap(table.name(), table.version(), chunk));
    }

    /** The commit record: rows, dim, chunk count and the checksums of the whole table and vocabulary. */
    public Keyed commit(Map<String, String> metadata) {
        TableCommit commit = TableCommit.newBuilder()
                .setRows(table.rows())
                .setDim(table.dim())
                .setChunks(ranges.size())
                .setChecksum(tableChecksum())
                .setVocabChecksum(table.vocabulary() == null ? null : TableChecksum.ofVocabulary(table.vocabulary().tokens()))
                .setCreatedMs(System.currentTimeMillis())
                .setMetadata(metadata)
                .build();
        return new Keyed(ModelKey.commit(table.name(), table.version()), wrap(table.name(), table.version(), commit));
    }

    private String tableChecksum() {
        if (digested == ranges.size()) {
            digestedSum = TableChecksum.format(digest); // digest() resets it: keep the result
            digested = -1;
        }
        return digestedSum != null ? digestedSum : checksum(table);
    }

    /** The commit checksum (SHA-256 of the float32 rows), computed in blocks of rows: no copy of the table. */
    public static String checksum(EmbeddingTable table) {
        MessageDigest md = TableChecksum.sha256();
        int rowBytes = table.dim() * Float.BYTES;
        int block = Math.max(1, (1 << 20) / rowBytes);
        byte[] buf = new byte[block * rowBytes];
        for (int first = 0; first < table.rows(); first += block) {
            int n = Math.min(block, table.rows() - first);
            table.copyRowsFloat32(first, n, buf, 0);
            md.update(buf, 0, n * rowBytes);
        }
        return TableChecksum.format(md);
    }

    /** An activate (rollback / roll-forward) record. */
    public static Keyed activate(String table, long version, String reason) {
        return new Keyed(ModelKey.activate(table),
                wrap(table, version, TableActivate.newBuilder().setReason(reason).build()));
    }

    private static ModelRecord wrap(String table, long version, Object body) {
        return ModelRecord.newBuilder().setTable(table).setVersion(version).setBody(body).build();
    }
}
