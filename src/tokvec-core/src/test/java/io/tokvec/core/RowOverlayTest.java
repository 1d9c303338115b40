package io.tokvec.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Delta versions read as a root's storage with an overlay of changed rows: every read equals the
 * table the deltas make when applied to plain arrays, for every version of the chain, and storage is
 * freed only when the last version that reads it is done.
 */
class RowOverlayTest {

    private static final int ROWS = 1000;
    private static final int DIM = 3;
    private final DirectTableMemory memory = new DirectTableMemory(Long.MAX_VALUE, 256); // small segments: rows span several
    private final Random random = new Random(7);

    private TableSegments segments(int rows) throws Exception {
        return memory.allocate("t", rows, DIM * Float.BYTES);
    }

    private EmbeddingTable root(float[][] w) throws Exception {
        TableSegments s = segments(w.length);
        for (int r = 0; r < w.length; r++) {
            for (int k = 0; k < DIM; k++) s.segmentOf(r).putFloat(s.offsetOf(r) + k * 4, w[r][k]);
        }
        return new EmbeddingTable("t", 1, w.length, DIM, TableDtype.FLOAT32, s, null);
    }

    /** A delta of {@code replaced} random rows below {@code base.length} and {@code appended} rows; applies it to a copy of {@code base} into {@code out}. */
    private TableDelta delta(long version, float[][] base, int replaced, int appended, List<float[][]> out) throws Exception {
        TreeSet<Integer> ids = new TreeSet<>();
        while (ids.size() < replaced) ids.add(random.nextInt(base.length));
        for (int i = 0; i < appended; i++) ids.add(base.length + i);
        int[] sorted = ids.stream().mapToInt(Integer::intValue).toArray();
        TableSegments data = segments(sorted.length);
        float[][] next = Arrays.copyOf(base, base.length + appended);
        for (int i = 0; i < sorted.length; i++) {
            float[] row = new float[DIM];
            for (int k = 0; k < DIM; k++) {
                row[k] = random.nextFloat();
                data.segmentOf(i).putFloat(data.offsetOf(i) + k * 4, row[k]);
            }
            next[sorted[i]] = row;
        }
        out.add(next);
        return new TableDelta(version, base.length, base.length + appended, sorted, data, null);
    }

    private static void assertReads(EmbeddingTable t, float[][] expected) {
        assertThat(t.rows()).isEqualTo(expected.length);
        byte[] f32 = new byte[DIM * 4];
        byte[] f16 = new byte[DIM * 2];
        float[] row = new float[DIM];
        for (int r = 0; r < expected.length; r++) {
            t.copyRow(r, TableDtype.FLOAT32, f32, 0);
            t.copyRow(r, TableDtype.FLOAT16, f16, 0);
            t.readRow(r, row, 0);
            for (int k = 0; k < DIM; k++) {
                assertThat(EmbeddingTable.floatAt(f32, k)).as("v%d row %d", t.version(), r).isEqualTo(expected[r][k]);
                assertThat(EmbeddingTable.halfAt(f16, k)).isEqualTo(Half.halfToFloat(Half.floatToHalf(expected[r][k])));
                assertThat(row[k]).isEqualTo(expected[r][k]);
                assertThat(t.get(r, k)).isEqualTo(expected[r][k]);
            }
        }
    }

    @Test
    void shouldReadEveryVersionOfAChainAsTheDeltasAppliedToArrays() throws Exception {
        float[][] w1 = new float[ROWS][DIM];
        for (float[] row : w1) for (int k = 0; k < DIM; k++) row[k] = random.nextFloat();
        List<float[][]> w = new ArrayList<>();
        w.add(w1);
        EmbeddingTable v1 = root(w1);
        TableDelta d2 = delta(2, w.get(0), 10, 0, w);
        EmbeddingTable v2 = v1.withDelta(d2, null);
        TableDelta d3 = delta(3, w.get(1), 300, 5, w);
        EmbeddingTable v3 = v2.withDelta(d3, null);
        TableDelta d4 = delta(4, w.get(2), 500, 2, w); // overlaps most rows changed before: the newest wins
        EmbeddingTable v4 = v3.withDelta(d4, null);
        assertReads(v1, w.get(0));
        assertReads(v2, w.get(1));
        assertReads(v3, w.get(2));
        assertReads(v4, w.get(3));
        assertThat(v4.rootVersion()).isEqualTo(1);
        assertThat(v4.overlay().layers()).extracting(TableDelta::version).containsExactly(2L, 3L, 4L);

        EmbeddingTable again2 = v4.asOf(2, null);
        EmbeddingTable again1 = v4.asOf(1, null);
        assertReads(again2, w.get(1));
        assertReads(again1, w.get(0));
        assertThat(again1.overlay()).isNull();
        assertThatThrownBy(() -> v4.asOf(9, null)).isInstanceOf(IllegalArgumentException.class);

        // a chain re-made over a new root (a fold of v3): the same reads
        float[][] w3 = w.get(2);
        EmbeddingTable folded = new EmbeddingTable("t", 3, w3.length, DIM, TableDtype.FLOAT32, root(w3).segments(), null);
        EmbeddingTable rebased = folded.withDeltas(List.of(d4), null);
        assertReads(rebased, w.get(3));
        assertThat(rebased.rootVersion()).isEqualTo(3);
        d2.release();
        d3.release();
        d4.release();
        for (EmbeddingTable t : List.of(v1, v2, v3, v4, again1, again2, folded, rebased)) t.retire();
        assertThat(memory.usedBytes()).isZero();
    }

    @Test
    void shouldFreeTheRootOnlyWhenTheLastVersionReadingItIsDone() throws Exception {
        float[][] w1 = new float[ROWS][DIM];
        List<float[][]> w = new ArrayList<>();
        w.add(w1);
        EmbeddingTable v1 = root(w1);
        TableDelta d2 = delta(2, w1, 3, 1, w);
        EmbeddingTable v2 = v1.withDelta(d2, null);
        d2.release();
        long both = memory.usedBytes();
        v1.retire();
        assertThat(v1.freed()).isTrue();
        assertThat(v1.segments().freed()).as("v2 still reads v1's rows").isFalse();
        assertThat(memory.usedBytes()).isEqualTo(both);
        assertReads(v2, w.get(1));
        assertThat(v2.retain()).isTrue(); // a reader's lease
        v2.retire();
        assertThat(memory.usedBytes()).isEqualTo(both);
        v2.release();
        assertThat(v1.segments().freed()).isTrue();
        assertThat(memory.usedBytes()).isZero();
        assertThatThrownBy(() -> v1.withDelta(d2, null)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldExtendTheVocabularyWithTheAppendedTokensOnly() {
        Vocabulary base = Vocabulary.of(List.of("", "[UNK]", "[UNK]", "the", "day"));
        Vocabulary.Appender a = new Vocabulary.Appender(base, 2);
        a.add("kafka");
        assertThatThrownBy(() -> a.add("the")).hasMessage("token 'the' of appended row 6 is already row 3 of the vocabulary");
        assertThatThrownBy(() -> a.add("[UNK]")).hasMessageContaining("is already row 1");
        assertThatThrownBy(() -> a.add("kafka")).hasMessageContaining("is already row 5");
        assertThatThrownBy(() -> a.add("")).hasMessageContaining("empty token");
        a.add("streams");
        Vocabulary v = a.build();
        assertThat(v.tokens()).containsExactly("", "[UNK]", "[UNK]", "the", "day", "kafka", "streams");
        assertThat(v.indexOf("streams")).isEqualTo(6);
        assertThat(v.indexOf("the")).isEqualTo(3);
        assertThat(v.indexOf("[UNK]")).isEqualTo(Vocabulary.NOT_FOUND);
        assertThat(v.lookup("nope")).isEqualTo(Vocabulary.OOV);
        assertThat(v.oovRows()).isEqualTo(2);
        Vocabulary.Appender b = new Vocabulary.Appender(v, 1); // over an extended one: the root is shared, the appended copied
        b.add("delta");
        Vocabulary w = b.build();
        assertThat(w.tokens()).containsExactly("", "[UNK]", "[UNK]", "the", "day", "kafka", "streams", "delta");
        assertThat(w.appendedSize()).isEqualTo(3);
        assertThat(w.root().tokens()).containsExactly("", "[UNK]", "[UNK]", "the", "day");
        assertThat(v.tokens()).hasSize(7);
    }
}
