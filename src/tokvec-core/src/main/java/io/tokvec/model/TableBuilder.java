package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import io.tokvec.core.DirectTableMemory;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.Half;
import io.tokvec.core.TableChecksum;
import io.tokvec.core.TableDtype;
import io.tokvec.core.TableMemory;
import io.tokvec.core.TableSegments;
import io.tokvec.core.Vocabulary;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * Assembles one committed version from its chunks in the store into a dense {@link EmbeddingTable}
 * and verifies it: every chunk present and decodable, chunks tiling rows {@code [0, rows)} in index
 * order, dim as committed, SHA-256 of the table (and of the vocabulary) as committed, no NaN or
 * infinity unless allowed, size within the limit. Only a table that passes everything is returned.
 *
 * <p>Memory: chunks are streamed, one at a time, from the store straight into the version's
 * off-heap segments ({@link TableMemory}), converted to the configured dtype on the way, while the
 * SHA-256 of the float32 chunk bytes is updated; the heap holds one decoded chunk at a time (plus
 * the vocabulary, when there is one). A version that cannot get its memory (allocation refused, or
 * the JVM out of memory while building) is rejected with {@code OUT_OF_MEMORY}; whatever it had
 * allocated is freed at once. With {@link TableSnapshots}, a version already built and verified
 * into the snapshot directory before a restart is mapped from there instead of rebuilt.
 */
public final class TableBuilder {

    private final RecordBounds bounds;
    private final boolean allowNonFinite;
    private final ModelDecoder decoder;
    private final TableDtype dtype;
    private final TableMemory memory;
    private final TableSnapshots snapshots;

    /** float32 tables in direct memory (tests and tools); the app passes its mapped memory. */
    public TableBuilder(long maxBytes, boolean allowNonFinite, ModelDecoder decoder) {
        this(maxBytes, allowNonFinite, decoder, TableDtype.FLOAT32, new DirectTableMemory(Long.MAX_VALUE), null);
    }

    /**
     * @param dtype     element type the tables are stored in
     * @param memory    where tables get their bytes
     * @param snapshots null, or where verified tables are kept for the next start (over {@code memory})
     */
    public TableBuilder(long maxBytes, boolean allowNonFinite, ModelDecoder decoder, TableDtype dtype, TableMemory memory,
                        TableSnapshots snapshots) {
        this.bounds = new RecordBounds(maxBytes, dtype);
        this.allowNonFinite = allowNonFinite;
        this.decoder = Objects.requireNonNull(decoder);
        this.dtype = Objects.requireNonNull(dtype);
        this.memory = Objects.requireNonNull(memory);
        this.snapshots = snapshots;
    }

    public TableDtype dtype() { return dtype; }
    public TableMemory memory() { return memory; }
    /** Whether NaN and infinite values are accepted ({@code tokvec.table.allow.nonfinite}). */
    public boolean allowNonFinite() { return allowNonFinite; }
    /** Decodes stored model records. */
    ModelDecoder decoder() { return decoder; }
    /** Where verified tables are kept for the next start, or null. */
    TableSnapshots snapshots() { return snapshots; }

    /** The limits records are checked against: {@code tokvec.table.max.bytes} in this builder's dtype. */
    public RecordBounds bounds() { return bounds; }

    /** Checks a commit's own numbers before any chunk is read ({@link RecordBounds#checkCommit}). */
    public void checkCommit(String table, long version, TableCommit commit) throws TableRejectedException {
        bounds.checkCommit(table, version, commit);
    }

    /** Builds and verifies the version (or maps its verified snapshot); the store must hold all of its chunks. */
    public EmbeddingTable build(ModelStore store, String table, long version, TableCommit commit) throws TableRejectedException {
        checkCommit(table, version, commit);
        String what = table + " v" + version;
        try {
            if (snapshots != null) {
                EmbeddingTable kept = snapshots.open(table, version, commit, dtype);
                if (kept != null) {
                    return kept;
                }
            }
            TableSegments segs;
            try {
                segs = memory.allocate(TableSnapshots.fileName(table, version, dtype), (int) commit.getRows(),
                        commit.getDim() * dtype.bytes());
            } catch (TableMemory.TableMemoryException e) {
                throw new TableRejectedException(TableRejectedException.Reason.OUT_OF_MEMORY, what + ": " + e.getMessage());
            }
            boolean ok = false;
            try {
                EmbeddingTable t = fill(store, table, version, commit, segs);
                if (snapshots != null) {
                    snapshots.seal(t, commit);
                }
                ok = true;
                return t;
            } finally {
                if (!ok) {
                    segs.free();
                }
            }
        } catch (OutOfMemoryError | InternalError e) {
            // InternalError: a fault in a mapped buffer, e.g. the disk filled up under the table file
            throw new TableRejectedException(TableRejectedException.Reason.OUT_OF_MEMORY, what + ": out of memory while building ("
                    + e + "); the active version stays");
        }
    }

    private EmbeddingTable fill(ModelStore store, String table, long version, TableCommit commit, TableSegments segs)
            throws TableRejectedException {
        final int rows = (int) commit.getRows();
        final int dim = commit.getDim();
        final int rowBytes = dim * Float.BYTES;
        // the tokens go straight into the vocabulary and its checksum, without a list of Strings
        final CheckedVocabulary vocab = new CheckedVocabulary(Math.min(rows, 1 << 16));
        final int[] state = {0, 0, -1}; // chunks seen, next row, whether chunks carry tokens (-1 unknown, 0 no, 1 yes)
        final long[] firstBad = {-1};
        final TableRejectedException[] failure = {null};
        final String what = table + " v" + version;
        final MessageDigest md = TableChecksum.sha256();

        store.scan(ModelKey.chunkPrefix(table, version), (key, stored) -> {
            if (failure[0] != null) {
                return;
            }
            try {
                ModelKey k = ModelKey.fromStoreKey(key);
                if (k.index() >= commit.getChunks()) {
                    return; // not part of the committed version (a stray record under a higher index): never read
                }
                TableChunk chunk = decodeChunk(stored, what, k.index());
                if (k.index() != state[0]) {
                    throw new TableRejectedException(TableRejectedException.Reason.BAD_CHUNK,
                            what + ": chunk " + state[0] + " is missing (next present is " + k.index() + ")");
                }
                if (chunk.getDim() != dim) {
                    throw new TableRejectedException(TableRejectedException.Reason.WRONG_DIM,
                            what + ": chunk " + k.index() + " has dim " + chunk.getDim() + " but the commit says " + dim);
                }
                if (chunk.getRowOffset() != state[1] || chunk.getRowCount() < 1
                        || chunk.getRowOffset() + chunk.getRowCount() > rows) {
                    throw new TableRejectedException(TableRejectedException.Reason.BAD_CHUNK, what + ": chunk " + k.index()
                            + " covers rows [" + chunk.getRowOffset() + ", " + (chunk.getRowOffset() + chunk.getRowCount())
                            + ") but rows [" + state[1] + ", ...) of " + rows + " come next");
                }
                ByteBuffer src = chunk.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
                if (src.remaining() != (long) chunk.getRowCount() * rowBytes) {
                    throw new TableRejectedException(TableRejectedException.Reason.BAD_CHUNK, what + ": chunk " + k.index()
                            + " holds " + src.remaining() + " bytes, " + chunk.getRowCount() + " rows x " + dim + " float32 need "
                            + ((long) chunk.getRowCount() * rowBytes));
                }
                md.update(src.duplicate());
                long bad = storeRows(dtype, src, segs, state[1], chunk.getRowCount(), dim);
                if (bad >= 0 && firstBad[0] < 0) {
                    firstBad[0] = (long) state[1] * dim + bad;
                }
                int hasTokens = chunk.getTokens() != null ? 1 : 0;
                if (state[2] >= 0 && state[2] != hasTokens) {
                    throw new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH,
                            what + ": some chunks carry vocabulary tokens and others do not (chunk " + k.index() + ")");
                }
                state[2] = hasTokens;
                if (hasTokens == 1) {
                    if (chunk.getTokens().size() != chunk.getRowCount()) {
                        throw new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH, what + ": chunk "
                                + k.index() + " has " + chunk.getTokens().size() + " tokens for " + chunk.getRowCount() + " rows");
                    }
                    for (String token : chunk.getTokens()) {
                        vocab.add(token);
                    }
                }
                state[0]++;
                state[1] += chunk.getRowCount();
            } catch (TableRejectedException e) {
                failure[0] = e;
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
        if (state[0] != commit.getChunks() || state[1] != rows) {
            throw new TableRejectedException(TableRejectedException.Reason.BAD_CHUNK, what + ": " + state[0]
                    + " chunks cover " + state[1] + " rows but the commit says " + commit.getChunks() + " chunks and " + rows + " rows");
        }

        String sum = TableChecksum.format(md);
        if (!sum.equalsIgnoreCase(commit.getChecksum())) {
            throw new TableRejectedException(TableRejectedException.Reason.CHECKSUM_MISMATCH,
                    what + ": table checksum is " + sum + " but the commit says " + commit.getChecksum());
        }
        Vocabulary vocabulary = null;
        if (state[2] == 1 || commit.getVocabChecksum() != null) {
            if (state[2] != 1 || commit.getVocabChecksum() == null) {
                throw new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH, what
                        + ": the chunks " + (state[2] == 1 ? "carry" : "carry no") + " vocabulary but the commit "
                        + (commit.getVocabChecksum() == null ? "has no" : "has a") + " vocab_checksum");
            }
            vocabulary = vocab.verify(what, commit.getVocabChecksum());
        }
        EmbeddingTable t = new EmbeddingTable(table, version, rows, dim, dtype, segs, vocabulary);
        if (!allowNonFinite && firstBad[0] >= 0) {
            int row = (int) (firstBad[0] / dim);
            int col = (int) (firstBad[0] % dim);
            throw new TableRejectedException(TableRejectedException.Reason.NON_FINITE, what + ": value at row " + row
                    + ", column " + col + " is " + t.get(row, col)
                    + (dtype == TableDtype.FLOAT32 ? "" : " in " + dtype.configName())
                    + " (set tokvec.table.allow.nonfinite=true to accept NaN/Inf)");
        }
        return t;
    }

    /**
     * Writes {@code count} float32 rows from {@code src} into the segments from row {@code first} on, in
     * the stored dtype. Returns the index (within these rows) of the first value that is not finite
     * once stored (a NaN or infinity, or a float32 beyond the dtype's range), or -1.
     */
    static long storeRows(TableDtype dtype, ByteBuffer src, TableSegments segs, int first, int count, int dim) {
        long bad = -1;
        int in = src.position();
        for (int r = 0; r < count; r++) {
            ByteBuffer seg = segs.segmentOf(first + r);
            int at = segs.offsetOf(first + r);
            switch (dtype) {
                case FLOAT32 -> {
                    seg.put(at, src, in, dim * Float.BYTES);
                    if (bad < 0) {
                        for (int k = 0; k < dim; k++) {
                            if (!Float.isFinite(src.getFloat(in + k * 4))) {
                                bad = (long) r * dim + k;
                                break;
                            }
                        }
                    }
                }
                case FLOAT16, BFLOAT16 -> {
                    boolean half = dtype == TableDtype.FLOAT16;
                    for (int k = 0; k < dim; k++) {
                        float v = src.getFloat(in + k * 4);
                        short h = half ? Half.floatToHalf(v) : Half.floatToBfloat16(v);
                        seg.putShort(at + k * 2, h);
                        if (bad < 0 && ((half ? h & 0x7c00 : h & 0x7f80) == (half ? 0x7c00 : 0x7f80))) {
                            bad = (long) r * dim + k;
                        }
                    }
                }
            }
            in += dim * Float.BYTES;
        }
        return bad;
    }

    private TableChunk decodeChunk(byte[] stored, String what, int index) throws TableRejectedException {
        ModelRecord r;
        try {
            r = StoredRecord.decodeValue(stored, decoder);
        } catch (RuntimeException e) {
            throw new TableRejectedException(TableRejectedException.Reason.UNDECODABLE,
                    what + ": chunk " + index + " does not decode: " + e.getMessage());
        }
        if (!(r.getBody() instanceof TableChunk c)) {
            throw new TableRejectedException(TableRejectedException.Reason.BAD_RECORD,
                    what + ": record under chunk key " + index + " is not a TableChunk");
        }
        return c;
    }
}
