package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableActivate;
import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import io.tokvec.avro.TableDeltaChunk;
import io.tokvec.avro.TableDeltaCommit;
import io.tokvec.core.TableChecksum;
import io.tokvec.core.TableDtype;

import java.nio.ByteBuffer;

/**
 * Checks every number of a decoded model record against the key it came under, against the largest
 * table accepted ({@code tokvec.table.max.bytes}, in the stored dtype), and against the version's
 * commit when it is known, before anything is stored or allocated for it. A record that fails is
 * refused with a reason; one that passes costs the registry a few bytes of bookkeeping besides what
 * it carries, whatever its numbers say (a chunk's index, row offset, row count and dim are checked
 * against each other and against its data; a commit's rows, dim and chunks against each other and
 * the limit).
 *
 * <p>The checks, in order, with their reasons:
 * <ul>
 *   <li>key and value agree (table, version, index, kind): {@code BAD_RECORD};</li>
 *   <li>chunk: dim and row count at least 1, row offset at least 0 ({@code BAD_CHUNK}); one row, and
 *       the rows up to the chunk's last, within the limit ({@code TOO_LARGE}); index at most the row
 *       offset, since every earlier chunk holds at least one row, and data of exactly
 *       {@code row_count x dim} float32 ({@code BAD_CHUNK}); as many tokens as rows
 *       ({@code VOCAB_MISMATCH}); with the commit known: its dim ({@code WRONG_DIM}), index below its
 *       chunk count and rows within its row count ({@code BAD_CHUNK});</li>
 *   <li>commit: rows, dim and chunks at least 1, chunks at most rows, checksums of the form
 *       {@code sha256:} and 64 hex digits ({@code BAD_RECORD}); rows x dim within the limit
 *       ({@code TOO_LARGE});</li>
 *   <li>activate: a version of at least 1 ({@code BAD_RECORD});</li>
 *   <li>delta chunk: dim at least 1, ids of whole int32s, at least one ({@code BAD_CHUNK}); dim, the
 *       row count and the index within the limit ({@code TOO_LARGE}); data of exactly
 *       {@code ids x dim} float32 ({@code BAD_CHUNK}); at most one token per row
 *       ({@code VOCAB_MISMATCH}); ids from 0, strictly ascending, within the limit
 *       ({@code BAD_DELTA}); with the commit known: its dim ({@code WRONG_DIM}), index below its chunk
 *       count ({@code BAD_CHUNK}), at most its delta rows and ids below its rows ({@code BAD_DELTA});</li>
 *   <li>delta commit: a base version from 1 to below its own version, base rows, dim, delta rows
 *       and chunks at least 1, rows at least the base rows, chunks at most the delta rows, checksums
 *       and content id of the form {@code sha256:} and 64 hex digits ({@code BAD_RECORD}); rows x dim
 *       within the limit ({@code TOO_LARGE}); delta rows at most the rows and at least the appended
 *       rows ({@code BAD_DELTA}).</li>
 * </ul>
 */
public final class RecordBounds {

    private final long maxBytes;
    private final TableDtype dtype;

    /**
     * @param maxBytes the largest table accepted, as stored ({@code tokvec.table.max.bytes})
     * @param dtype    the element type tables are stored in
     */
    public RecordBounds(long maxBytes, TableDtype dtype) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be >= 1, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
        this.dtype = dtype;
    }

    /** No limit but what one table can address (tests and tools). */
    public static RecordBounds unlimited() {
        return new RecordBounds(Long.MAX_VALUE, TableDtype.FLOAT32);
    }

    public long maxBytes() { return maxBytes; }
    public TableDtype dtype() { return dtype; }

    /** The largest dim one row of which fits the limit (and a Java array). */
    public int maxDim() {
        return (int) Math.min(Integer.MAX_VALUE / Float.BYTES, maxBytes / dtype.bytes());
    }

    /** The most rows a table of {@code dim} may have within the limit (at most {@link Integer#MAX_VALUE}). */
    public long maxRows(int dim) {
        return Math.min(Integer.MAX_VALUE, maxBytes / ((long) dim * dtype.bytes()));
    }

    /** Checks {@code record}, found under {@code key}; {@code commit} is the version's commit when known, else null. */
    public void check(ModelKey key, ModelRecord record, TableCommit commit) throws TableRejectedException {
        check(key, record, commit, null);
    }

    /**
     * Checks {@code record}, found under {@code key}; {@code commit} and {@code delta} are the version's
     * commit and delta commit when known, else null.
     */
    public void check(ModelKey key, ModelRecord record, TableCommit commit, TableDeltaCommit delta) throws TableRejectedException {
        checkAgrees(key, record);
        switch (key.kind()) {
            case CHUNK -> checkChunk(key, (TableChunk) record.getBody(), commit);
            case COMMIT -> checkCommit(key.table(), key.version(), (TableCommit) record.getBody());
            case DELTA_CHUNK -> checkDeltaChunk(key, (TableDeltaChunk) record.getBody(), delta);
            case DELTA_COMMIT -> checkDeltaCommit(key.table(), key.version(), (TableDeltaCommit) record.getBody());
            case ACTIVATE -> {
                if (record.getVersion() < 1) {
                    throw rejected(TableRejectedException.Reason.BAD_RECORD, "activate record under key '" + key
                            + "' names version " + record.getVersion() + "; versions are >= 1");
                }
            }
        }
    }

    /** The key's table, version, index and kind are the record's. */
    static void checkAgrees(ModelKey key, ModelRecord r) throws TableRejectedException {
        String problem = null;
        if (!key.table().equals(r.getTable())) {
            problem = "names table '" + ModelKey.printable(String.valueOf(r.getTable())) + "'";
        } else if (key.kind() != ModelKey.Kind.ACTIVATE && key.version() != r.getVersion()) {
            problem = "names version " + r.getVersion();
        } else {
            Object body = r.getBody();
            boolean kindOk = switch (key.kind()) {
                case CHUNK -> body instanceof TableChunk c && c.getIndex() == key.index();
                case COMMIT -> body instanceof TableCommit;
                case ACTIVATE -> body instanceof TableActivate;
                case DELTA_CHUNK -> body instanceof TableDeltaChunk c && c.getIndex() == key.index();
                case DELTA_COMMIT -> body instanceof TableDeltaCommit;
            };
            if (!kindOk) {
                problem = "holds a " + (body == null ? "null body" : body.getClass().getSimpleName())
                        + (body instanceof TableChunk c ? " with index " + c.getIndex() : "")
                        + (body instanceof TableDeltaChunk c ? " with index " + c.getIndex() : "");
            }
        }
        if (problem != null) {
            throw rejected(TableRejectedException.Reason.BAD_RECORD, "model record under key '" + key + "' " + problem);
        }
    }

    /** A chunk's numbers, against each other, the limit and (when not null) the version's commit. */
    void checkChunk(ModelKey key, TableChunk c, TableCommit commit) throws TableRejectedException {
        String what = key.table() + " v" + key.version() + ": chunk " + c.getIndex();
        int dim = c.getDim();
        long offset = c.getRowOffset();
        int count = c.getRowCount();
        if (dim < 1 || count < 1 || offset < 0) {
            throw rejected(TableRejectedException.Reason.BAD_CHUNK, what + " needs dim >= 1, row_count >= 1 and row_offset >= 0,"
                    + " got dim=" + dim + " row_count=" + count + " row_offset=" + offset);
        }
        if (dim > maxDim()) {
            throw rejected(TableRejectedException.Reason.TOO_LARGE, what + " has dim " + dim + ": one row of "
                    + ((long) dim * dtype.bytes()) + " bytes (" + dtype.configName() + ") is over tokvec.table.max.bytes=" + maxBytes);
        }
        long maxRows = maxRows(dim);
        if (offset > maxRows - count) {
            throw rejected(TableRejectedException.Reason.TOO_LARGE, what + " covers rows [" + offset + ", " + (offset + count)
                    + "), beyond the " + maxRows + " rows a table of dim " + dim + " may have within tokvec.table.max.bytes="
                    + maxBytes + " (" + dtype.configName() + ")");
        }
        if (c.getIndex() > offset) {
            throw rejected(TableRejectedException.Reason.BAD_CHUNK, what + " starts at row " + offset
                    + ", but chunk i starts at row i or later (every chunk holds at least one row)");
        }
        ByteBuffer data = c.getData();
        long expected = (long) count * dim * Float.BYTES;
        if (data == null || data.remaining() != expected) {
            throw rejected(TableRejectedException.Reason.BAD_CHUNK, what + " holds " + (data == null ? 0 : data.remaining())
                    + " bytes, " + count + " rows x " + dim + " float32 need " + expected);
        }
        if (c.getTokens() != null && c.getTokens().size() != count) {
            throw rejected(TableRejectedException.Reason.VOCAB_MISMATCH, what + " has " + c.getTokens().size()
                    + " tokens for " + count + " rows");
        }
        if (commit != null) {
            if (dim != commit.getDim()) {
                throw rejected(TableRejectedException.Reason.WRONG_DIM, what + " has dim " + dim + " but the commit says "
                        + commit.getDim());
            }
            if (c.getIndex() >= commit.getChunks() || offset + count > commit.getRows()) {
                throw rejected(TableRejectedException.Reason.BAD_CHUNK, what + " covers rows [" + offset + ", " + (offset + count)
                        + "), but the commit says " + commit.getChunks() + " chunks of " + commit.getRows() + " rows");
            }
        }
    }

    /** A commit's own numbers, before any chunk is read. */
    public void checkCommit(String table, long version, TableCommit commit) throws TableRejectedException {
        String what = table + " v" + version;
        long rows = commit.getRows();
        int dim = commit.getDim();
        int chunks = commit.getChunks();
        if (rows < 1 || dim < 1 || chunks < 1) {
            throw rejected(TableRejectedException.Reason.BAD_RECORD, what + ": commit needs rows, dim and chunks >= 1, got rows="
                    + rows + " dim=" + dim + " chunks=" + chunks);
        }
        if (dim > maxDim() || rows > maxRows(dim)) {
            throw rejected(TableRejectedException.Reason.TOO_LARGE, what + ": " + rows + " x " + dim + " " + dtype.configName()
                    + " is " + (dim > maxDim() || rows > Long.MAX_VALUE / dim / dtype.bytes() ? "more than 2^63"
                            : Long.toString(rows * dim * dtype.bytes())) + " bytes, over tokvec.table.max.bytes=" + maxBytes
                    + (rows > Integer.MAX_VALUE ? " (and over the 2^31-1 rows a table may have)" : ""));
        }
        if (chunks > rows) {
            throw rejected(TableRejectedException.Reason.BAD_RECORD, what + ": commit says " + chunks + " chunks for " + rows
                    + " rows, but every chunk holds at least one row");
        }
        checkChecksum(what, "checksum", commit.getChecksum());
        if (commit.getVocabChecksum() != null) {
            checkChecksum(what, "vocab_checksum", commit.getVocabChecksum());
        }
    }

    /** A delta chunk's numbers and ids, against each other, the limit and (when not null) the version's delta commit. */
    void checkDeltaChunk(ModelKey key, TableDeltaChunk c, TableDeltaCommit commit) throws TableRejectedException {
        String what = key.table() + " v" + key.version() + ": delta chunk " + c.getIndex();
        int dim = c.getDim();
        ByteBuffer ids = c.getIds();
        int idBytes = ids == null ? 0 : ids.remaining();
        if (dim < 1 || idBytes < Integer.BYTES || idBytes % Integer.BYTES != 0) {
            throw rejected(TableRejectedException.Reason.BAD_CHUNK, what + " needs dim >= 1 and ids of one or more little-endian"
                    + " int32, got dim=" + dim + " and " + idBytes + " bytes of ids");
        }
        if (dim > maxDim()) {
            throw rejected(TableRejectedException.Reason.TOO_LARGE, what + " has dim " + dim + ": one row of "
                    + ((long) dim * dtype.bytes()) + " bytes (" + dtype.configName() + ") is over tokvec.table.max.bytes=" + maxBytes);
        }
        int n = idBytes / Integer.BYTES;
        long maxRows = maxRows(dim);
        if (n > maxRows || c.getIndex() >= maxRows) {
            throw rejected(TableRejectedException.Reason.TOO_LARGE, what + " carries " + n + " rows, beyond the " + maxRows
                    + " rows a table of dim " + dim + " may have within tokvec.table.max.bytes=" + maxBytes + " ("
                    + dtype.configName() + ")");
        }
        ByteBuffer data = c.getData();
        long expected = (long) n * dim * Float.BYTES;
        if (data == null || data.remaining() != expected) {
            throw rejected(TableRejectedException.Reason.BAD_CHUNK, what + " holds " + (data == null ? 0 : data.remaining())
                    + " bytes of rows, " + n + " ids x " + dim + " float32 need " + expected);
        }
        if (c.getTokens() != null && c.getTokens().size() > n) {
            throw rejected(TableRejectedException.Reason.VOCAB_MISMATCH, what + " has " + c.getTokens().size()
                    + " tokens for " + n + " rows (one token per appended row)");
        }
        long limit = commit == null ? maxRows : commit.getRows();
        ByteBuffer le = ids.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long previous = -1;
        for (int i = 0; i < n; i++) {
            int id = le.getInt(le.position() + i * Integer.BYTES);
            if (id <= previous || id >= limit) {
                throw rejected(TableRejectedException.Reason.BAD_DELTA, what + ": ids[" + i + "] = " + id + (id <= previous
                        ? (id < 0 ? " is negative" : " does not ascend from " + previous + " (ids ascend strictly: no duplicates)")
                        : " is beyond the " + limit + " rows " + (commit == null ? "the limit allows" : "of the version")));
            }
            previous = id;
        }
        if (commit != null) {
            if (dim != commit.getDim()) {
                throw rejected(TableRejectedException.Reason.WRONG_DIM, what + " has dim " + dim + " but the commit says "
                        + commit.getDim());
            }
            if (c.getIndex() >= commit.getChunks()) {
                throw rejected(TableRejectedException.Reason.BAD_CHUNK, what + " is beyond the " + commit.getChunks()
                        + " chunks the commit says");
            }
            if (n > commit.getDeltaRows()) {
                throw rejected(TableRejectedException.Reason.BAD_DELTA, what + " carries " + n + " rows, more than the "
                        + commit.getDeltaRows() + " of the whole delta");
            }
        }
    }

    /** A delta commit's own numbers, before any chunk is read. */
    public void checkDeltaCommit(String table, long version, TableDeltaCommit c) throws TableRejectedException {
        String what = table + " v" + version + ": delta commit";
        long base = c.getBaseVersion();
        if (base < 1 || base >= version) {
            throw rejected(TableRejectedException.Reason.BAD_RECORD, what + " names base v" + base
                    + "; a delta's base is a version from 1 to below its own");
        }
        long rows = c.getRows();
        long baseRows = c.getBaseRows();
        int dim = c.getDim();
        long deltaRows = c.getDeltaRows();
        int chunks = c.getChunks();
        if (baseRows < 1 || dim < 1 || deltaRows < 1 || chunks < 1 || rows < baseRows) {
            throw rejected(TableRejectedException.Reason.BAD_RECORD, what + " needs base_rows, dim, delta_rows and chunks >= 1"
                    + " and rows >= base_rows, got base_rows=" + baseRows + " rows=" + rows + " dim=" + dim + " delta_rows="
                    + deltaRows + " chunks=" + chunks);
        }
        if (dim > maxDim() || rows > maxRows(dim)) {
            throw rejected(TableRejectedException.Reason.TOO_LARGE, what + ": " + rows + " x " + dim + " " + dtype.configName()
                    + " is over tokvec.table.max.bytes=" + maxBytes + (rows > Integer.MAX_VALUE ? " (and over the 2^31-1 rows a table may have)" : ""));
        }
        if (deltaRows > rows || deltaRows < rows - baseRows) {
            throw rejected(TableRejectedException.Reason.BAD_DELTA, what + " says " + deltaRows + " delta rows for " + rows
                    + " rows over a base of " + baseRows + ": a delta carries every appended row (" + (rows - baseRows)
                    + ") and at most every row");
        }
        if (chunks > deltaRows) {
            throw rejected(TableRejectedException.Reason.BAD_RECORD, what + " says " + chunks + " chunks for " + deltaRows
                    + " rows, but every chunk holds at least one row");
        }
        checkChecksum(what, "delta_checksum", c.getDeltaChecksum());
        if (c.getTokensChecksum() != null) {
            checkChecksum(what, "tokens_checksum", c.getTokensChecksum());
        }
        checkChecksum(what, "content_id", c.getContentId());
    }

    private static void checkChecksum(String what, String field, String value) throws TableRejectedException {
        boolean ok = value != null && value.length() == TableChecksum.PREFIX.length() + 64 && value.startsWith(TableChecksum.PREFIX);
        for (int i = TableChecksum.PREFIX.length(); ok && i < value.length(); i++) {
            char c = value.charAt(i);
            ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        }
        if (!ok) {
            throw rejected(TableRejectedException.Reason.BAD_RECORD, what + ": " + field + " must be '" + TableChecksum.PREFIX
                    + "' and 64 hex digits, got '" + ModelKey.printable(String.valueOf(value)) + "'");
        }
    }

    private static TableRejectedException rejected(TableRejectedException.Reason reason, String message) {
        return new TableRejectedException(reason, message);
    }
}
