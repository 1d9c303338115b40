package io.tokvec.tables;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichOptions;
import io.tokvec.core.EnrichResult;
import io.tokvec.core.Enricher;
import io.tokvec.testutil.GoldenCases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Sharded tables against numpy shards and the examples of TensorFlow's embedding_lookup documentation. */
class ShardedTablesTest {

    @TempDir
    Path dir;

    private static NpyReader.NpyMatrix matrix(int rows, int dim, float... values) {
        byte[] b = new byte[values.length * Float.BYTES];
        for (int i = 0; i < values.length; i++) EmbeddingTable.putFloat(b, i, values[i]);
        return new NpyReader.NpyMatrix(rows, dim, b);
    }

    private static float[] floats(NpyReader.NpyMatrix m) {
        float[] f = new float[m.rows() * m.dim()];
        for (int i = 0; i < f.length; i++) f[i] = EmbeddingTable.floatAt(m.data(), i);
        return f;
    }

    private static EmbeddingTable shard(int rows, int dim, float... values) {
        return EmbeddingTable.fromFloats("shard", 1, rows, dim, values, null);
    }

    /** The shards reassembled as {@link TableFiles#loadShards} does (off the heap). */
    private EmbeddingTable assemble(List<EmbeddingTable> shards, List<String> names, ShardedTables.Strategy strategy)
            throws TableFormatException {
        return ShardedTables.assemble(shards, names, strategy, dir.resolve(names.get(0)), "t", 1);
    }

    @Test
    void shouldReassembleNumpyShardsInGlobalIdOrderForEitherStrategy() throws IOException {
        JsonNode sets = GoldenCases.resourceJson("shards/shards.json").get("sets");
        assertThat(sets.size()).isEqualTo(8);
        for (JsonNode set : sets) {
            List<Path> files = new ArrayList<>();
            set.get("shards").forEach(f -> files.add(GoldenCases.copyResource("shards/" + f.asText(), dir)));
            ShardedTables.Strategy strategy = ShardedTables.Strategy.parse(set.get("strategy").asText());
            EmbeddingTable t = TableFiles.loadShards(files, strategy, null, "t", 1, false);
            NpyReader.NpyMatrix whole = NpyReader.read(GoldenCases.copyResource("shards/" + set.get("table").asText() + ".npy", dir));
            assertThat(t.rows()).isEqualTo(whole.rows());
            assertThat(t.data()).as("%s %s x%d", set.get("table"), strategy, files.size()).isEqualTo(whole.data());
        }
    }

    @Test
    void shouldSplitThirteenIdsAcrossFivePartitionsAsTheTensorflowDocumentationSays() throws IOException {
        // tf.compat.v1.nn.embedding_lookup: "13 ids are split across 5 partitions as:
        // [[0, 5, 10], [1, 6, 11], [2, 7, 12], [3, 8], [4, 9]]" (mod) and
        // "[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10], [11, 12]]" (div). Row i of doc13 is (i, -i).
        int[][] mod = {{0, 5, 10}, {1, 6, 11}, {2, 7, 12}, {3, 8}, {4, 9}};
        int[][] div = {{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {9, 10}, {11, 12}};
        for (String strategy : List.of("mod", "div")) {
            int[][] ids = strategy.equals("mod") ? mod : div;
            List<Path> files = new ArrayList<>();
            for (int p = 0; p < 5; p++) {
                Path f = GoldenCases.copyResource("shards/doc13-" + strategy + "-5-" + p + ".npy", dir);
                files.add(f);
                float[] shard = floats(NpyReader.read(f));
                assertThat(shard).hasSize(2 * ids[p].length);
                for (int r = 0; r < ids[p].length; r++) {
                    assertThat(shard[2 * r]).as("%s shard %d row %d", strategy, p, r).isEqualTo(ids[p][r]);
                }
            }
            EmbeddingTable t = TableFiles.loadShards(files, ShardedTables.Strategy.parse(strategy), null, "t", 1, false);
            for (int g = 0; g < 13; g++) {
                assertThat(t.get(g, 0)).isEqualTo(g);
                assertThat(t.get(g, 1)).isEqualTo(-g);
            }
        }
    }

    @Test
    void shouldGatherTheModExampleWhenTwoShardsHoldScalarRows() throws Exception {
        // params [[1, 2], [10, 20]] (two shards of two one-value rows), ids [2, 0, 2, 1, 2, 3], mod -> [2, 1, 2, 10, 2, 20]
        EmbeddingTable t = assemble(List.of(shard(2, 1, 1, 2), shard(2, 1, 10, 20)), List.of("p0", "p1"), ShardedTables.Strategy.MOD);
        EnrichResult r = new Enricher(EnrichOptions.of(6)).enrichIds(t, List.of(2, 0, 2, 1, 2, 3));
        assertThat(r.embeddingsAsFloats()).containsExactly(2, 1, 2, 10, 2, 20);
    }

    @Test
    void shouldGatherTheDivExampleOfTheDocumentationWhenShardsAreUneven() throws Exception {
        // tf.nn.embedding_lookup (r2.5): params[0] [[1, 2], [3, 4]], params[1] [[5, 6], [7, 8]], params[2] [[9, 10]],
        // ids [0, 3, 4] -> [[1, 2], [7, 8], [9, 10]]
        EmbeddingTable t = assemble(List.of(shard(2, 2, 1, 2, 3, 4), shard(2, 2, 5, 6, 7, 8), shard(1, 2, 9, 10)),
                List.of("p0", "p1", "p2"), ShardedTables.Strategy.DIV);
        EnrichResult r = new Enricher(EnrichOptions.of(3)).enrichIds(t, List.of(0, 3, 4));
        assertThat(r.embeddingsAsFloats()).containsExactly(1, 2, 7, 8, 9, 10);
    }

    @Test
    void shouldRefuseShardsWhoseShapesDoNotFitTheStrategy() {
        assertThatThrownBy(() -> assemble(List.of(shard(1, 1, 1), shard(2, 1, 2, 3)),
                List.of("a.npy", "b.npy"), ShardedTables.Strategy.MOD))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("shard 0 (a.npy) has 1 rows, but 3 rows in 2 shards give shard 0 2 rows under either partition "
                        + "strategy (the first rows % shards = 1 shards hold one row more); are the shards in partition order?");
        assertThatThrownBy(() -> assemble(List.of(shard(1, 1, 1), shard(1, 2, 2, 3)),
                List.of("a.npy", "b.npy"), ShardedTables.Strategy.DIV))
                .hasMessageContaining("shard 1 (b.npy) has dim 2 but shard 0 (a.npy) has dim 1");
        assertThatThrownBy(() -> ShardedTables.Strategy.parse("range")).hasMessage("partition strategy must be mod or div, got 'range'");
    }

    @Test
    void shouldNameTheShardFileWhenAShardHoldsNaN() throws IOException {
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.npy");
        NpyWriter.write(a, 1, 1, matrix(1, 1, 1).data());
        NpyWriter.write(b, 1, 1, matrix(1, 1, Float.NaN).data());
        assertThatThrownBy(() -> TableFiles.loadShards(List.of(a, b), ShardedTables.Strategy.MOD, null, "t", 1, false))
                .isInstanceOf(TableFormatException.class).hasMessageContaining("b.npy: row 0, column 0");
        assertThat(TableFiles.loadShards(List.of(a, b), ShardedTables.Strategy.MOD, null, "t", 1, true).rows()).isEqualTo(2);
    }
}
