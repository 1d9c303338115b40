package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableDeltaChunk;
import io.tokvec.avro.TableDeltaCommit;
import io.tokvec.core.TableChecksum;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * Splits a delta version into model-topic records (src/site/markdown/model-topic.md, "Delta versions"):
 * delta chunks of rows in ascending id order whose ids, rows and tokens stay within a byte budget, then
 * the delta commit with its checksums and content id ({@link ContentIds}). Checks first, with one-line
 * reasons, what the application would refuse and can be known from the base's commit: ids beyond the
 * rows, duplicate ids, appended ids with a gap, tokens missing, extra or repeated, tokens for a table
 * without vocabulary. Chunks are produced lazily, rows as float32.
 */
public final class DeltaChunker {

    /** What the delta applies to: the base's version, shape, content id and whether it has a vocabulary. */
    public record Base(long version, long rows, int dim, String contentId, boolean vocabulary) {
    }

    /** The delta's rows in the caller's order: row {@code i} (of {@code ids[i]}) as {@code dim} little-endian float32 into {@code dst} at {@code off}. */
    @FunctionalInterface
    public interface Rows {
        void copyRow(int i, byte[] dst, int off);
    }

    private final String table;
    private final long version;
    private final Base base;
    private final int[] order; // positions in the caller's order, by ascending id
    private final int[] ids;
    private final Rows rows;
    private final List<String> tokens;
    private final int newRows;
    private final List<int[]> ranges = new ArrayList<>(); // {first, count} in sorted order
    private final MessageDigest deltaMd = TableChecksum.sha256();
    private final MessageDigest tokensMd = TableChecksum.sha256();
    private int digested;
    private String deltaSum;
    private String tokensSum;

    /**
     * @param ids    row ids in any order, each once: below the base's rows they replace rows, from them up they
     *               append rows, contiguously
     * @param tokens null, or with a vocabulary one new token per appended row, in id order
     * @throws IllegalArgumentException (one line) when the delta does not fit its base
     */
    public DeltaChunker(String table, long version, Base base, int[] ids, Rows rows, List<String> tokens, int chunkBytes) {
        this.table = table;
        this.version = version;
        this.base = base;
        this.rows = rows;
        this.tokens = tokens;
        if (version <= base.version()) {
            throw new IllegalArgumentException("delta v" + version + " must be above its base v" + base.version());
        }
        if (ids.length == 0) {
            throw new IllegalArgumentException("a delta needs at least one row id");
        }
        long[] byId = new long[ids.length]; // id in the high half, position in the low: sorts by id, then position
        for (int i = 0; i < ids.length; i++) byId[i] = (long) ids[i] << 32 | i;
        Arrays.sort(byId);
        this.order = new int[ids.length];
        this.ids = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            order[i] = (int) byId[i];
            this.ids[i] = (int) (byId[i] >> 32);
        }
        long next = base.rows();
        for (int i = 0; i < this.ids.length; i++) {
            int id = this.ids[i];
            if (id < 0) {
                throw new IllegalArgumentException("row id " + id + " is negative");
            }
            if (i > 0 && id == this.ids[i - 1]) {
                throw new IllegalArgumentException("row id " + id + " appears twice (at positions " + order[i - 1] + " and " + order[i] + ")");
            }
            if (id >= base.rows()) {
                if (id != next) {
                    throw new IllegalArgumentException("row id " + id + " leaves a gap: appended rows continue v" + base.version()
                            + "'s " + base.rows() + " rows contiguously, the next one is " + next);
                }
                next++;
            }
        }
        this.newRows = (int) (next - base.rows());
        if (newRows > 0 && base.vocabulary()) {
            if (tokens == null || tokens.size() != newRows) {
                throw new IllegalArgumentException("v" + base.version() + " has a vocabulary: the " + newRows + " appended rows need "
                        + newRows + " tokens (one per line, in id order), got " + (tokens == null ? "none" : tokens.size()));
            }
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                if (t == null || t.isEmpty() || t.indexOf('\n') >= 0) {
                    throw new IllegalArgumentException("token of appended row " + (base.rows() + i) + " is empty or holds a line break");
                }
                if (!seen.add(t)) {
                    throw new IllegalArgumentException("token '" + t + "' is appended twice");
                }
            }
        } else if (tokens != null && !tokens.isEmpty()) {
            throw new IllegalArgumentException(newRows == 0 ? "tokens given, but the delta appends no row"
                    : "tokens given, but v" + base.version() + " has no vocabulary");
        }
        int rowBytes = Integer.BYTES + base.dim() * Float.BYTES;
        int start = 0;
        long size = 0;
        for (int i = 0; i < this.ids.length; i++) {
            long cost = rowBytes + (this.ids[i] >= base.rows() && base.vocabulary()
                    ? 5L + tokens.get(this.ids[i] - (int) base.rows()).getBytes(StandardCharsets.UTF_8).length : 0);
            if (cost > chunkBytes) {
                throw new IllegalArgumentException("row id " + this.ids[i] + " needs " + cost + " bytes, over the chunk budget of "
                        + chunkBytes + " bytes (dim " + base.dim() + " is too large for one record)");
            }
            if (size + cost > chunkBytes) {
                ranges.add(new int[] {start, i - start});
                start = i;
                size = 0;
            }
            size += cost;
        }
        ranges.add(new int[] {start, this.ids.length - start});
    }

    public int chunkCount() { return ranges.size(); }
    /** Rows the delta carries. */
    public int deltaRows() { return ids.length; }
    /** Rows it appends. */
    public int appendedRows() { return newRows; }
    /** Rows of the version it makes. */
    public long rows() { return base.rows() + newRows; }
    /** The ids, ascending. */
    public int[] sortedIds() { return ids.clone(); }

    /** The chunk records, built one at a time. */
    public Iterator<ModelChunker.Keyed> chunks() {
        return new Iterator<>() {
            private int i;

            @Override
            public boolean hasNext() {
                return i < ranges.size();
            }

            @Override
            public ModelChunker.Keyed next() {
                if (!hasNext()) throw new NoSuchElementException();
                return chunk(i++);
            }
        };
    }

    public ModelChunker.Keyed chunk(int index) {
        int[] r = ranges.get(index);
        int dim = base.dim();
        int rowBytes = dim * Float.BYTES;
        ByteBuffer idBytes = ByteBuffer.allocate(r[1] * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        byte[] data = new byte[r[1] * rowBytes];
        List<String> chunkTokens = null;
        for (int k = 0; k < r[1]; k++) {
            int i = r[0] + k;
            idBytes.putInt(k * Integer.BYTES, ids[i]);
            rows.copyRow(order[i], data, k * rowBytes);
            if (ids[i] >= base.rows() && base.vocabulary()) {
                if (chunkTokens == null) chunkTokens = new ArrayList<>();
                chunkTokens.add(tokens.get(ids[i] - (int) base.rows()));
            }
        }
        if (index == digested) {
            ByteBuffer d = ByteBuffer.wrap(data);
            for (int k = 0; k < r[1]; k++) {
                ContentIds.addDeltaRow(deltaMd, ids[r[0] + k], d.slice(k * rowBytes, rowBytes));
            }
            if (chunkTokens != null) chunkTokens.forEach(t -> TableChecksum.addToken(tokensMd, t));
            digested++;
        }
        TableDeltaChunk chunk = TableDeltaChunk.newBuilder()
                .setIndex(index)
                .setIds(idBytes)
                .setDim(dim)
                .setData(ByteBuffer.wrap(data))
                .setTokens(chunkTokens)
                .build();
        return new ModelChunker.Keyed(ModelKey.deltaChunk(table, version, index), wrap(chunk));
    }

    /** Every chunk record, then the commit record. */
    public List<ModelChunker.Keyed> chunksAndCommit() {
        List<ModelChunker.Keyed> out = new ArrayList<>();
        chunks().forEachRemaining(out::add);
        out.add(commit(Map.of()));
        return out;
    }

    /** The delta commit: base, shape, checksums and content id (every chunk made first computes the checksums on the way). */
    public ModelChunker.Keyed commit(Map<String, String> metadata) {
        if (deltaSum == null) {
            while (digested < ranges.size()) {
                chunk(digested); // digests it
            }
            deltaSum = TableChecksum.format(deltaMd);
            tokensSum = newRows > 0 && base.vocabulary() ? TableChecksum.format(tokensMd) : null;
        }
        TableDeltaCommit c = TableDeltaCommit.newBuilder()
                .setBaseVersion(base.version())
                .setBaseRows(base.rows())
                .setRows(rows())
                .setDim(base.dim())
                .setDeltaRows(ids.length)
                .setChunks(ranges.size())
                .setDeltaChecksum(deltaSum)
                .setTokensChecksum(tokensSum)
                .setContentId("")
                .setCreatedMs(System.currentTimeMillis())
                .setMetadata(metadata)
                .build();
        c.setContentId(ContentIds.of(base.contentId(), c));
        return new ModelChunker.Keyed(ModelKey.deltaCommit(table, version), wrap(c));
    }

    private ModelRecord wrap(Object body) {
        return ModelRecord.newBuilder().setTable(table).setVersion(version).setBody(body).build();
    }
}
