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

    /** Prints every position of r, {@code passes} times through one cache, and returns the last pass. */
    private String print(EnrichResult r, long budget, int passes) throws Exception {
        EnrichRowTexts texts = new EnrichRowTexts(table, budget);
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
