package io.tokvec.cli;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichOptions;
import io.tokvec.core.EnrichResult;
import io.tokvec.core.Enricher;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class EnrichRowTextsTest {

    private final EmbeddingTable table = EmbeddingTable.fromFloats("t", 0, 3, 2,
            new float[] {0.5f, -0.0f, 1e-7f, 3.4028235e38f, Float.MIN_VALUE, 0.1f}, null);

    @Test
    void shouldPrintTheSameTextWithOrWithoutTheCache() throws Exception {
        EnrichOptions zeros = EnrichOptions.of(4).withPadVector(EnrichOptions.PadVector.ZEROS);
        for (EnrichOptions o : new EnrichOptions[] {EnrichOptions.of(4), zeros}) {
            EnrichResult r = new Enricher(o).enrichIds(table, new int[] {2, 1, 2}, 3);
            String cached = print(r, 1 << 20, 3);
            assertThat(cached).isEqualTo(print(r, 0, 1));
            assertThat(cached).isEqualTo(print(r, 10, 1));
        }
    }

    @Test
    void shouldPrintShortestRoundTripDecimals() throws Exception {
        EnrichResult r = new Enricher(EnrichOptions.of(3)).enrichIds(table, new int[] {1, 2}, 2);

        assertThat(print(r, 1 << 20, 1)).isEqualTo("0.5,-0.0,1.0E-7,3.4028235E38,1.4E-45,0.1");
    }

    @Test
    void shouldNotUseARowsTextForZeroPadding() throws Exception {
        EnrichOptions zeros = EnrichOptions.of(2).withPadVector(EnrichOptions.PadVector.ZEROS);
        EnrichResult r = new Enricher(zeros).enrichIds(table, new int[] {0}, 1);

        assertThat(print(r, 1 << 20, 2)).isEqualTo("0.0,0.0,0.0,0.0");
    }

    @Test
    void shouldKeepEveryRowTheBudgetHoldsAndPrintTheSameTextsAsWithoutTheCache() throws Exception {
        int rows = 5000;
        float[] values = new float[rows * 2];
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < values.length; i++) values[i] = random.nextFloat() * 2 - 1;
        EmbeddingTable big = EmbeddingTable.fromFloats("big", 0, rows, 2, values, null);
        int[] ids = new int[rows];
        for (int i = 0; i < rows; i++) ids[i] = (i * 7919) % rows; // every row once, scattered
        EnrichResult r = new Enricher(EnrichOptions.of(rows)).enrichIds(big, ids, rows);

        EnrichRowTexts all = new EnrichRowTexts(big, 4L << 20);
        String plain = print(big, r, new EnrichRowTexts(big, 0), 1);
        assertThat(print(big, r, all, 2)).isEqualTo(plain);
        assertThat(all.cachedRows()).isEqualTo(rows);
        assertThat(all.slots()).isEqualTo(16384); // 5,000 rows at most half full

        // 200 KB holds 3,571 rows at 56 bytes (the shortest text, its header, 4 slots): 8,192 slots of
        // 8 bytes; the texts of these random floats are longer, so the budget ends it before the slots
        EnrichRowTexts some = new EnrichRowTexts(big, 200_000);
        assertThat(some.slots()).isEqualTo(8192);
        assertThat(print(big, r, some, 2)).isEqualTo(plain);
        assertThat(some.cachedRows()).isBetween(1, 4095);
        assertThat(some.budgetLeft()).isBetween(-(16L * 2 + 16), 0L);
    }

    /** Prints every position of r, {@code passes} times through one cache, and returns the last pass. */
    private String print(EnrichResult r, long budget, int passes) throws Exception {
        return print(table, r, new EnrichRowTexts(table, budget), passes);
    }

    private static String print(EmbeddingTable table, EnrichResult r, EnrichRowTexts texts, int passes) throws Exception {
        String last = null;
        for (int pass = 0; pass < passes; pass++) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            EnrichByteSink sink = new EnrichByteSink(bytes, 64);
            for (int p = 0; p < r.maxLen(); p++) {
                if (p > 0) sink.write(',');
                texts.write(sink, r.embeddings(), p, r.ids()[p]);
            }
            sink.flush();
            last = bytes.toString(StandardCharsets.US_ASCII);
        }
        return last;
    }
}
