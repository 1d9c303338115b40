package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableDeltaChunk;
import io.tokvec.avro.TableDeltaCommit;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableChecksum;
import io.tokvec.core.TableDelta;
import io.tokvec.core.TableDtype;
import io.tokvec.core.TableMemory;
import io.tokvec.core.TableSegments;
import io.tokvec.core.Vocabulary;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Makes a delta version from its base's table and its delta chunks in the store, verified, in time
 * and memory proportional to the delta: the base's storage is shared, not copied
 * ({@link EmbeddingTable#withDelta}).
 *
 * <p>Two passes over the delta's chunks. The first checks everything before any row storage is
 * allocated: every chunk present and decodable, in index order, of the commit's dim; ids strictly
 * ascending across chunks (no duplicate), below the version's rows, the appended ones (from the base's
 * rows up) contiguous; as many rows as the commit says; with a vocabulary, one new token per appended
 * row (not in the base's vocabulary, not twice) and none otherwise; the {@code delta_checksum}, the
 * {@code tokens_checksum} and the content id chained from the base's ({@link ContentIds}). The second
 * copies the rows into storage of the table's element type ({@link TableMemory}), checking that they
 * are finite unless allowed.
 */
final class DeltaBuilder {

    private final TableBuilder builder;

    DeltaBuilder(TableBuilder builder) {
        this.builder = builder;
    }

    /** The storage name of a delta version's rows. */
    static String fileName(String table, long version, TableDtype dtype) {
        return table + "-v" + version + "-delta." + dtype.configName();
    }

    /**
     * Version {@code version} of {@code table}: {@code base} (its base's table, held by the caller)
     * with the delta's rows. {@code baseContentId} is the base's content id.
     */
    EmbeddingTable build(ModelStore store, String table, long version, TableDeltaCommit commit, EmbeddingTable base,
                         String baseContentId) throws TableRejectedException {
        String what = table + " v" + version;
        builder.bounds().checkDeltaCommit(table, version, commit);
        if (base.rows() != commit.getBaseRows() || base.dim() != commit.getDim()) {
            throw new TableRejectedException(TableRejectedException.Reason.BASE_MISMATCH, what + " is made for a base of "
                    + commit.getBaseRows() + " x " + commit.getDim() + ", but base v" + commit.getBaseVersion() + " is "
                    + base.rows() + " x " + base.dim());
        }
        String chained = ContentIds.of(baseContentId, commit);
        if (!chained.equalsIgnoreCase(commit.getContentId())) {
            throw new TableRejectedException(TableRejectedException.Reason.BASE_MISMATCH, what + ": content_id is "
                    + commit.getContentId() + " but chained from base v" + commit.getBaseVersion() + " it is " + chained);
        }
        Verified v = verify(store, table, version, commit, base);
        TableDelta delta = copyRows(store, table, version, commit, v);
        try {
            return base.withDelta(delta, v.vocabulary);
        } finally {
            delta.release(); // the new table holds its own share
        }
    }

    /** What the first pass found. */
    private static final class Verified {
        int[] ids = new int[1024];
        int count;
        List<String> tokens;
        Vocabulary vocabulary;
    }

    private Verified verify(ModelStore store, String table, long version, TableDeltaCommit commit, EmbeddingTable base)
            throws TableRejectedException {
        final String what = table + " v" + version;
        final int dim = commit.getDim();
        final int baseRows = (int) commit.getBaseRows();
        final int rows = (int) commit.getRows();
        final int rowBytes = dim * Float.BYTES;
        final boolean hasVocab = base.vocabulary() != null;
        // sized for at most 65,536 tokens up front (it grows): the commit's numbers are not trusted for allocations
        final int expectedTokens = Math.min(rows - baseRows, 1 << 16);
        final Vocabulary.Appender appender = hasVocab && rows > baseRows ? new Vocabulary.Appender(base.vocabulary(), expectedTokens) : null;
        final MessageDigest deltaMd = TableChecksum.sha256();
        final MessageDigest tokensMd = TableChecksum.sha256();
        final Verified out = new Verified();
        out.tokens = appender == null ? null : new ArrayList<>(expectedTokens);
        final long[] state = {0, -1, baseRows}; // next chunk index, previous id, next appended id
        final TableRejectedException[] failure = {null};

        store.scan(ModelKey.deltaChunkPrefix(table, version), (key, stored) -> {
            if (failure[0] != null) {
                return;
            }
            try {
                int index = ModelKey.fromStoreKey(key).index();
                if (index >= commit.getChunks()) {
                    return; // not part of the committed version: never read
                }
                TableDeltaChunk chunk = decode(stored, what, index);
                if (index != state[0]) {
                    throw new TableRejectedException(TableRejectedException.Reason.BAD_CHUNK,
                            what + ": delta chunk " + state[0] + " is missing (next present is " + index + ")");
                }
                if (chunk.getDim() != dim) {
                    throw new TableRejectedException(TableRejectedException.Reason.WRONG_DIM,
                            what + ": delta chunk " + index + " has dim " + chunk.getDim() + " but the commit says " + dim);
                }
                ByteBuffer ids = chunk.getIds().duplicate().order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer data = chunk.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
                int n = ids.remaining() / Integer.BYTES;
                if (ids.remaining() % Integer.BYTES != 0 || n < 1 || data.remaining() != (long) n * rowBytes) {
                    throw new TableRejectedException(TableRejectedException.Reason.BAD_CHUNK, what + ": delta chunk " + index
                            + " holds " + ids.remaining() + " bytes of ids and " + data.remaining() + " bytes of rows; " + n
                            + " ids x " + dim + " float32 need " + ((long) n * rowBytes));
                }
                int appended = 0;
                for (int i = 0; i < n; i++) {
                    int id = ids.getInt(ids.position() + i * Integer.BYTES);
                    checkId(what, index, id, state, baseRows, rows);
                    if (id >= baseRows) {
                        appended++;
                    }
                    ContentIds.addDeltaRow(deltaMd, id, data.slice(data.position() + i * rowBytes, rowBytes));
                    if (out.count == out.ids.length) {
                        out.ids = Arrays.copyOf(out.ids, out.ids.length * 2);
                    }
                    out.ids[out.count++] = id;
                }
                checkTokens(what, index, chunk.getTokens(), appended, hasVocab, appender, tokensMd, out.tokens);
                state[0]++;
            } catch (TableRejectedException e) {
                failure[0] = e;
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
        if (state[0] != commit.getChunks()) {
            throw new TableRejectedException(TableRejectedException.Reason.BAD_CHUNK, what + ": " + state[0]
                    + " delta chunks found, the commit says " + commit.getChunks());
        }
        if (out.count != commit.getDeltaRows() || state[2] != rows) {
            throw new TableRejectedException(TableRejectedException.Reason.BAD_DELTA, what + ": the chunks carry " + out.count
                    + " rows appending " + (state[2] - baseRows) + ", but the commit says " + commit.getDeltaRows()
                    + " rows appending " + (rows - baseRows) + " (rows " + baseRows + " -> " + rows + ")");
        }
        String sum = TableChecksum.format(deltaMd);
        if (!sum.equalsIgnoreCase(commit.getDeltaChecksum())) {
            throw new TableRejectedException(TableRejectedException.Reason.CHECKSUM_MISMATCH,
                    what + ": delta checksum is " + sum + " but the commit says " + commit.getDeltaChecksum());
        }
        if (appender != null) {
            String tsum = TableChecksum.format(tokensMd);
            if (!tsum.equalsIgnoreCase(String.valueOf(commit.getTokensChecksum()))) {
                throw new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH,
                        what + ": tokens checksum is " + tsum + " but the commit says " + commit.getTokensChecksum());
            }
            out.vocabulary = appender.build();
        } else {
            if (commit.getTokensChecksum() != null) {
                throw new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH,
                        what + ": the commit has a tokens_checksum but the delta appends no token");
            }
            out.vocabulary = base.vocabulary();
        }
        out.ids = Arrays.copyOf(out.ids, out.count);
        return out;
    }

    private static void checkId(String what, int index, int id, long[] state, int baseRows, int rows) throws TableRejectedException {
        String where = what + ": delta chunk " + index + ": id " + id;
        if (id < 0) {
            throw new TableRejectedException(TableRejectedException.Reason.BAD_DELTA, where + " is negative");
        }
        if (id <= state[1]) {
            throw new TableRejectedException(TableRejectedException.Reason.BAD_DELTA, where + (id == state[1]
                    ? " appears twice (ids are unique)" : " comes after id " + state[1] + " (ids ascend strictly)"));
        }
        if (id >= rows) {
            throw new TableRejectedException(TableRejectedException.Reason.BAD_DELTA, where + " is beyond the " + rows
                    + " rows of the version (" + baseRows + " base rows + " + (rows - baseRows) + " appended)");
        }
        if (id >= baseRows && id != state[2]) {
            throw new TableRejectedException(TableRejectedException.Reason.BAD_DELTA, where + " leaves a gap: appended rows"
                    + " continue the base's rows contiguously, the next one is " + state[2]);
        }
        if (id >= baseRows) {
            state[2]++;
        }
        state[1] = id;
    }

    private static void checkTokens(String what, int index, List<String> tokens, int appended, boolean hasVocab,
                                    Vocabulary.Appender appender, MessageDigest md, List<String> out)
            throws TableRejectedException {
        int n = tokens == null ? 0 : tokens.size();
        if (!hasVocab) {
            if (n > 0) {
                throw new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH, what + ": delta chunk " + index
                        + " carries " + n + " tokens but the table has no vocabulary");
            }
            return;
        }
        if (n != appended) {
            throw new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH, what + ": delta chunk " + index
                    + " appends " + appended + " rows with " + n + " tokens (one new token per appended row)");
        }
        for (int i = 0; i < n; i++) {
            String token = tokens.get(i);
            try {
                appender.add(token);
            } catch (IllegalArgumentException e) {
                throw new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH, what + ": " + e.getMessage());
            }
            TableChecksum.addToken(md, token);
            out.add(token);
        }
    }

    private TableDelta copyRows(ModelStore store, String table, long version, TableDeltaCommit commit, Verified v)
            throws TableRejectedException {
        String what = table + " v" + version;
        TableDtype dtype = builder.dtype();
        int dim = commit.getDim();
        TableSegments segs;
        try {
            segs = builder.memory().allocate(fileName(table, version, dtype), v.count, dim * dtype.bytes());
        } catch (TableMemory.TableMemoryException e) {
            throw new TableRejectedException(TableRejectedException.Reason.OUT_OF_MEMORY, what + ": " + e.getMessage());
        }
        boolean ok = false;
        try {
            final int[] next = {0};
            final long[] firstBad = {-1};
            final TableRejectedException[] failure = {null};
            store.scan(ModelKey.deltaChunkPrefix(table, version), (key, stored) -> {
                int index = ModelKey.fromStoreKey(key).index();
                if (failure[0] != null || index >= commit.getChunks()) {
                    return;
                }
                try {
                    TableDeltaChunk chunk = decode(stored, what, index);
                    ByteBuffer data = chunk.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
                    int n = chunk.getIds().remaining() / Integer.BYTES;
                    long bad = TableBuilder.storeRows(dtype, data, segs, next[0], n, dim);
                    if (bad >= 0 && firstBad[0] < 0) {
                        firstBad[0] = (long) next[0] * dim + bad;
                    }
                    next[0] += n;
                } catch (TableRejectedException e) {
                    failure[0] = e;
                }
            });
            if (failure[0] != null) {
                throw failure[0];
            }
            if (next[0] != v.count) {
                throw new TableRejectedException(TableRejectedException.Reason.BAD_CHUNK, what
                        + ": the delta chunks changed while they were read");
            }
            if (!builder.allowNonFinite() && firstBad[0] >= 0) {
                int i = (int) (firstBad[0] / dim);
                throw new TableRejectedException(TableRejectedException.Reason.NON_FINITE, what + ": the row of id " + v.ids[i]
                        + " has a value at column " + (firstBad[0] % dim) + " that is NaN or infinite"
                        + (dtype == TableDtype.FLOAT32 ? "" : " in " + dtype.configName())
                        + " (set tokvec.table.allow.nonfinite=true to accept NaN/Inf)");
            }
            TableDelta delta = new TableDelta(version, (int) commit.getBaseRows(), (int) commit.getRows(), v.ids, segs, v.tokens);
            ok = true;
            return delta;
        } catch (OutOfMemoryError | InternalError e) {
            throw new TableRejectedException(TableRejectedException.Reason.OUT_OF_MEMORY, what + ": out of memory while building ("
                    + e + "); the active version stays");
        } finally {
            if (!ok) {
                segs.free();
            }
        }
    }

    private TableDeltaChunk decode(byte[] stored, String what, int index) throws TableRejectedException {
        ModelRecord r;
        try {
            r = StoredRecord.decodeValue(stored, builder.decoder());
        } catch (RuntimeException e) {
            throw new TableRejectedException(TableRejectedException.Reason.UNDECODABLE,
                    what + ": delta chunk " + index + " does not decode: " + e.getMessage());
        }
        if (!(r.getBody() instanceof TableDeltaChunk c)) {
            throw new TableRejectedException(TableRejectedException.Reason.BAD_RECORD,
                    what + ": record under delta chunk key " + index + " is not a TableDeltaChunk");
        }
        return c;
    }
}
