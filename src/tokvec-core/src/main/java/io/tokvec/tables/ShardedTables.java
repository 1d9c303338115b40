package io.tokvec.tables;

import io.tokvec.core.EmbeddingTable;

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
     * The whole table, row-major little-endian float32, in global id order.
     *
     * @param shards the shards in partition order (shard 0 first)
     * @param names  a name for each shard in messages (its file)
     * @throws IllegalArgumentException naming the shard when the shapes do not fit the strategy
     */
    public static NpyReader.NpyMatrix assemble(List<NpyReader.NpyMatrix> shards, List<String> names, Strategy strategy) {
        int n = shards.size();
        if (n == 0) {
            throw new IllegalArgumentException("no shards");
        }
        int dim = shards.get(0).dim();
        long rows = 0;
        for (int p = 0; p < n; p++) {
            NpyReader.NpyMatrix s = shards.get(p);
            if (s.dim() != dim) {
                throw new IllegalArgumentException("shard " + p + " (" + names.get(p) + ") has dim " + s.dim()
                        + " but shard 0 (" + names.get(0) + ") has dim " + dim + ": shards differ only in their rows");
            }
            rows += s.rows();
        }
        for (int p = 0; p < n; p++) {
            long want = shardRows(rows, n, p);
            if (shards.get(p).rows() != want) {
                throw new IllegalArgumentException("shard " + p + " (" + names.get(p) + ") has " + shards.get(p).rows()
                        + " rows, but " + rows + " rows in " + n + " shards give shard " + p + " " + want + " rows under "
                        + "either partition strategy (the first rows % shards = " + (rows % n)
                        + " shards hold one row more); are the shards in partition order?");
            }
        }
        long bytes = rows * dim * Float.BYTES;
        if (bytes > EmbeddingTable.MAX_HEAP_BYTES) {
            throw new IllegalArgumentException(n + " shards make a table of " + rows + " x " + dim + " float32 ("
                    + bytes + " bytes), larger than the " + EmbeddingTable.MAX_HEAP_BYTES + " bytes shards are assembled in");
        }
        byte[] out = new byte[(int) bytes];
        int rowBytes = dim * Float.BYTES;
        long next = 0;
        for (int p = 0; p < n; p++) {
            NpyReader.NpyMatrix s = shards.get(p);
            if (strategy == Strategy.DIV) {
                System.arraycopy(s.data(), 0, out, (int) (next * rowBytes), s.data().length);
                next += s.rows();
            } else {
                for (int r = 0; r < s.rows(); r++) {
                    long global = (long) r * n + p;
                    System.arraycopy(s.data(), r * rowBytes, out, (int) (global * rowBytes), rowBytes);
                }
            }
        }
        return new NpyReader.NpyMatrix((int) rows, dim, out);
    }
}
