package io.tokvec.core;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pooling arithmetic on hand-picked rows (the bit-for-bit torch comparison is BeyondPadSequencesGoldenTest). */
class PoolingTest {

    /** Rows: 0 padding, 1 = (0.0, 1, 1e8), 2 = (-0.0, 2, 1), 3 = (3, -1, -1e8). */
    private static final EmbeddingTable T = EmbeddingTable.fromFloats("t", 1, 4, 3,
            new float[]{9, 9, 9, 0.0f, 1, 1e8f, -0.0f, 2, 1, 3, -1, -1e8f}, null);

    private static float[] pool(Pooling.Mode mode, int... rows) {
        Pooling p = new Pooling(mode);
        p.start(3);
        for (int r : rows) p.add(T, r);
        return p.finish().clone();
    }

    @Test
    void shouldAddRowsInTokenOrderInFloat32WhenSumming() {
        // (1e8 + 1) rounds back to 1e8 in float32, then - 1e8 gives 0: order matters
        assertThat(pool(Pooling.Mode.SUM, 1, 2, 3)[2]).isEqualTo(0f);
        assertThat(pool(Pooling.Mode.SUM, 1, 3, 2)[2]).isEqualTo(1f);
    }

    @Test
    void shouldKeepTheFirstOfEqualValuesWhenTakingTheMax() {
        assertThat(Float.floatToRawIntBits(pool(Pooling.Mode.MAX, 1, 2)[0])).isEqualTo(Float.floatToRawIntBits(0.0f));
        assertThat(Float.floatToRawIntBits(pool(Pooling.Mode.MAX, 2, 1)[0])).isEqualTo(Float.floatToRawIntBits(-0.0f));
        assertThat(pool(Pooling.Mode.MAX, 1, 2, 3)).containsExactly(3f, 2f, 1e8f);
    }

    @Test
    void shouldDivideTheSumByTheCountWhenAveraging() {
        assertThat(pool(Pooling.Mode.MEAN, 1, 2, 3)).containsExactly(1f, 2f / 3f, 0f);
        assertThat(pool(Pooling.Mode.SQRTN, 1, 3)).containsExactly(3f / (float) Math.sqrt(2), 0f / (float) Math.sqrt(2), 0f);
    }

    @Test
    void shouldGiveZerosWhenNoRowWasAdded() {
        for (Pooling.Mode m : List.of(Pooling.Mode.SUM, Pooling.Mode.MEAN, Pooling.Mode.MAX, Pooling.Mode.SQRTN)) {
            assertThat(pool(m)).as(m.name()).containsExactly(0f, 0f, 0f);
        }
    }

    @Test
    void shouldRoundEachWeightedRowBeforeAddingWhenWeighted() {
        Pooling p = new Pooling(Pooling.Mode.SUM);
        p.start(3);
        p.add(T, 1, 0.5f);
        p.add(T, 3, 0f); // a zero weight adds nothing, as BLAS saxpy skips a zero factor
        p.add(T, 2, -2f);
        assertThat(p.finish()).containsExactly(0.0f, -3.5f, 5e7f - 2f);
        assertThat(p.count()).isEqualTo(3);
    }

    @Test
    void shouldRefuseWeightsWhenNotSumming() {
        Pooling p = new Pooling(Pooling.Mode.MEAN);
        p.start(3);
        assertThatThrownBy(() -> p.add(T, 1, 2f)).isInstanceOf(IllegalStateException.class).hasMessageContaining("sum");
        assertThatThrownBy(() -> new Pooling(Pooling.Mode.NONE)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldNameTheModesWhenParsingAnUnknownOne() {
        assertThat(Pooling.Mode.parse("tokvec.pooling", "SqrtN")).isEqualTo(Pooling.Mode.SQRTN);
        assertThatThrownBy(() -> Pooling.Mode.parse("tokvec.pooling", "avg"))
                .hasMessage("tokvec.pooling must be one of none|sum|mean|max|sqrtn, got 'avg'");
    }
}
