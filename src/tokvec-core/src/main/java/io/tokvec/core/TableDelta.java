package io.tokvec.core;

import java.util.List;
import java.util.Objects;

/**
 * The verified rows of one delta version: {@code ids} (strictly ascending) with their rows in
 * {@link TableSegments} of the table's element type, row {@code i} of the storage for row
 * {@code ids[i]} of the version; ids below {@link #baseRows()} replace rows of the base, the others
 * append rows {@code baseRows .. rows - 1}, each with its token in {@link #appendedTokens()} when the
 * table has a vocabulary.
 *
 * <p>The storage is shared ({@link TableSegments#share()}) by every table version that reads it (the
 * delta's version and the versions made over it, see {@link RowOverlay}); whoever creates a delta
 * holds the first share and gives it back with {@link #release()} once the tables that use it have
 * taken theirs.
 */
public final class TableDelta {

    private final long version;
    private final int baseRows;
    private final int rows;
    private final int[] ids;
    private final TableSegments data;
    private final List<String> appendedTokens;

    /**
     * @param ids            strictly ascending, below {@code rows}; those from {@code baseRows} up are exactly {@code baseRows .. rows - 1}
     * @param data           {@code ids.length} rows, row {@code i} for {@code ids[i]}
     * @param appendedTokens null, or one token per appended row, in id order
     */
    public TableDelta(long version, int baseRows, int rows, int[] ids, TableSegments data, List<String> appendedTokens) {
        this.version = version;
        this.baseRows = baseRows;
        this.rows = rows;
        this.ids = Objects.requireNonNull(ids);
        this.data = Objects.requireNonNull(data);
        this.appendedTokens = appendedTokens;
        if (data.rows() != ids.length) {
            throw new IllegalArgumentException(ids.length + " ids for " + data.rows() + " rows of data");
        }
        if (appendedTokens != null && appendedTokens.size() != rows - baseRows) {
            throw new IllegalArgumentException(appendedTokens.size() + " tokens for " + (rows - baseRows) + " appended rows");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= rows || (i > 0 && ids[i] <= ids[i - 1])) {
                throw new IllegalArgumentException("delta ids must ascend strictly within [0, " + rows + "): ids[" + i + "] = " + ids[i]);
            }
        }
    }

    public long version() { return version; }
    /** Rows of the base. */
    public int baseRows() { return baseRows; }
    /** Rows of the version this delta makes. */
    public int rows() { return rows; }
    /** Row ids, ascending (not a copy: do not change). */
    public int[] ids() { return ids; }
    /** How many rows the delta carries. */
    public int size() { return ids.length; }
    /** The rows' storage. */
    public TableSegments data() { return data; }
    /** Tokens of the appended rows in id order, or null. */
    public List<String> appendedTokens() { return appendedTokens; }
    /** Bytes of the rows' storage. */
    public long bytes() { return data.bytes(); }

    /** Gives back the creator's share of the storage. */
    public void release() {
        data.unshare();
    }
}
