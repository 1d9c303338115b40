package io.tokvec.tables;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableDtype;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Reassembles a table saved as shards, in the global id order that TensorFlow's
 * {@code tf.compat.v1.nn.embedding_lookup(params_list, ids, partition_strategy)} defines for a list of
 * {@code n} shards of {@code rows} rows in all:
 * <ul>
 *   <li>{@link Strategy#MOD}: id {@code g} is row {@code g / n} of shard {@code g % n} ("13 ids are
 *       split across 5 partitions as [[0, 5, 10], [1, 6, 11], [2, 7, 12], [3, 8], [4, 9]]");</li>
 *   <li>{@link Strategy#DIV}: contiguous blocks, shard after shard ("[[0, 1, 2], [3, 4, 5], [6, 7, 8],
 *       [9, 10], [11, 12]]").</li>
 * </ul>
 * In both, "if the id space does not evenly divide the number of partitions, each of the first
 * {@code (max_id + 1) % len(params)} partitions will be assigned one more id": shard {@code p} must
 * have {@code rows / n + (p < rows % n ? 1 : 0)} rows, and shards of other sizes (or of different
 * dims) are refused, since TensorFlow would look up other rows than the ones saved.
 */
public final class ShardedTables {

    /** TensorFlow's {@code partition_strategy}. */
    public enum Strategy {
        MOD, DIV;

        public static Strategy parse(String s) {
            for (Strategy v : values()) {
                if (v.name().equalsIgnoreCase(s.trim())) {
                    return v;
                }
            }
            throw new IllegalArgumentException("partition strategy must be mod or div, got '" + s + "'");
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private ShardedTables() {
    }

    /** Rows that shard {@code p} of {@code n} holds of a table of {@code rows} rows (either strategy). */
    public static long shardRows(long rows, int n, int p) {
        return rows / n + (p < rows % n ? 1 : 0);
    }

    /**
     * The whole table in global id order, as little-endian float32 in temporary off-heap storage (see
     * {@link ScratchRows}; any size, freed with the table): each shard's rows (float16 widened exactly)
     * are copied to their global rows, one row at a time, so the heap does not grow with the table.
     * The shards are left as they are (the caller frees them).
     *
     * @param shards the shards in partition order (shard 0 first)
     * @param names  a name for each shard in messages (its file)
     * @param source the file named if the storage cannot be had (shard 0's)
     * @throws IllegalArgumentException naming the shard when the shapes do not fit the strategy
     * @throws TableFormatException naming {@code source} and the size when the storage cannot be had
     */
    public static EmbeddingTable assemble(List<EmbeddingTable> shards, List<String> names, Strategy strategy, Path source,
                                          String name, long version) throws TableFormatException {
        int n = shards.size();
        int[] rows = checkShapes(shards, names);
        long total = total(rows);
        int dim = shards.get(0).dim();
        try (ScratchRows out = ScratchRows.allocate(source, n + " shards make " + total + " rows x " + dim + " float32",
                total, dim * Float.BYTES)) {
            byte[] row = new byte[dim * Float.BYTES];
            long[] first = firstRows(rows);
            for (int p = 0; p < n; p++) {
                EmbeddingTable s = shards.get(p);
                for (int r = 0; r < s.rows(); r++) {
                    s.copyRow(r, TableDtype.FLOAT32, row, 0);
                    out.put((int) globalRow(strategy, n, first, p, r), row, 0);
                }
            }
            return new EmbeddingTable(name, version, (int) total, dim, TableDtype.FLOAT32, out.finish((int) total), null);
        }
    }

    /** Global id of row {@code r} of shard {@code p}; {@code first[p]} is the first global row of shard p under div. */
    private static long globalRow(Strategy strategy, int n, long[] first, int p, int r) {
        return strategy == Strategy.DIV ? first[p] + r : (long) r * n + p;
    }

    private static long[] firstRows(int[] rows) {
        long[] first = new long[rows.length];
        for (int p = 1; p < rows.length; p++) {
            first[p] = first[p - 1] + rows[p - 1];
        }
        return first;
    }

    private static long total(int[] rows) {
        long total = 0;
        for (int r : rows) total += r;
        return total;
    }

    /**
     * Refuses shards of different dims, of row counts that do not fit either strategy, or of more rows
     * in all than a table holds; returns the rows of each shard.
     */
    private static int[] checkShapes(List<EmbeddingTable> shards, List<String> names) {
        int n = shards.size();
        if (n == 0) {
            throw new IllegalArgumentException("no shards");
        }
        int[] shardRows = new int[n];
        int dim = shards.get(0).dim();
        long rows = 0;
        for (int p = 0; p < n; p++) {
            int d = shards.get(p).dim();
            if (d != dim) {
                throw new IllegalArgumentException("shard " + p + " (" + names.get(p) + ") has dim " + d
                        + " but shard 0 (" + names.get(0) + ") has dim " + dim + ": shards differ only in their rows");
            }
            shardRows[p] = shards.get(p).rows();
            rows += shardRows[p];
        }
        for (int p = 0; p < n; p++) {
            long want = shardRows(rows, n, p);
            if (shardRows[p] != want) {
                throw new IllegalArgumentException("shard " + p + " (" + names.get(p) + ") has " + shardRows[p]
                        + " rows, but " + rows + " rows in " + n + " shards give shard " + p + " " + want + " rows under "
                        + "either partition strategy (the first rows % shards = " + (rows % n)
                        + " shards hold one row more); are the shards in partition order?");
            }
        }
        if (rows > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(n + " shards hold " + rows + " rows, more than a table may (" + Integer.MAX_VALUE + ")");
        }
        return shardRows;
    }
}
