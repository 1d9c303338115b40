package io.tokvec.tables;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.testutil.GoldenCases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class GloveReaderTest {

    @TempDir
    Path dir;

    static Path sample() {
        return GoldenCases.gloveSample();
    }

    @Test
    void shouldBeTheSharedSampleWhereThereIsOne() throws IOException {
        Path shared = GoldenCases.sharedDir().resolve("data").resolve("glove-sample.txt");
        assumeTrue(Files.isRegularFile(shared), "no shared data directory beside the checkout");

        assertThat(Files.readAllBytes(sample())).isEqualTo(Files.readAllBytes(shared));
    }

    @Test
    void shouldAddZeroPaddingAndOovRowsBeforeTheFileWords() throws IOException {
        EmbeddingTable t = GloveReader.read(sample(), "glove", 3);

        assertThat(t.rows()).isEqualTo(2 + 11);
        assertThat(t.dim()).isEqualTo(8);
        assertThat(t.name()).isEqualTo("glove");
        assertThat(t.version()).isEqualTo(3);
        assertThat(t.vocabulary().tokens()).containsExactly("", "[UNK]", "the", "like", "between", "did", "just",
                "national", "day", "country", "under", "such", "second");
        for (int row = 0; row < 2; row++) {
            for (int c = 0; c < 8; c++) {
                assertThat(Float.floatToRawIntBits(t.get(row, c))).as("row %d col %d", row, c).isZero();
            }
        }
    }

    @Test
    void shouldParseValuesToTheNearestFloat32() throws IOException {
        EmbeddingTable t = GloveReader.read(sample(), "glove", 1);

        // the 0.418 0.24968 -0.41242 0.1217 0.34527 -0.044457 -0.49688 -0.17862
        float[] the = {0.418f, 0.24968f, -0.41242f, 0.1217f, 0.34527f, -0.044457f, -0.49688f, -0.17862f};
        assertThat(t.vocabulary().lookup("the")).isEqualTo(2);
        for (int c = 0; c < 8; c++) {
            assertThat(Float.floatToRawIntBits(t.get(2, c))).as("the[%d]", c).isEqualTo(Float.floatToRawIntBits(the[c]));
        }
        // second -0.29809 ... 0.62309, the last line
        assertThat(t.get(12, 0)).isEqualTo(-0.29809f);
        assertThat(t.get(12, 7)).isEqualTo(0.62309f);
    }

    @Test
    void shouldRoundLongDecimalsAsNumpyDoes() throws IOException {
        // exactly halfway between two float32 values, printed to 17 digits (so just past the midpoint):
        // numpy rounds the text to float64 (the midpoint itself), then ties to even: -93.00644
        String text = "-9.3006443023681641e+01";
        EmbeddingTable t = GloveReader.read(file("a " + text + "\n"), "g", 1);

        assertThat(Float.floatToRawIntBits(t.get(2, 0))).isEqualTo(Float.floatToRawIntBits(-93.00644f));
        assertThat(Float.parseFloat(text)).as("a single rounding would differ").isEqualTo(-93.00645f);
    }

    @Test
    void shouldSkipBlankLinesAndTolerateTrailingSpacesAndCr() throws IOException {
        EmbeddingTable t = GloveReader.read(file("a 1 2 \r\n\nb  3 -4e-2\n\n"), "g", 1);

        assertThat(t.vocabulary().tokens()).containsExactly("", "[UNK]", "a", "b");
        assertThat(t.get(3, 1)).isEqualTo(-0.04f);
        assertThat(t.sizeBytes()).isEqualTo(4 * 2 * 4);
    }

    @Test
    void shouldRefuseLineWithWrongNumberOfValues() throws IOException {
        Path f = file("a 1 2 3\nb 1 2\n");

        assertThatThrownBy(() -> GloveReader.read(f, "g", 1))
                .isInstanceOf(TableFormatException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("line 2: has 2 values, expected 3");
    }

    @Test
    void shouldRefuseTooManyValues() throws IOException {
        assertThatThrownBy(() -> GloveReader.read(file("a 1 2\nb 1 2 3\n"), "g", 1))
                .hasMessageContaining("line 2: has more than 2 values");
    }

    @Test
    void shouldRefuseReservedUnkWord() throws IOException {
        assertThatThrownBy(() -> GloveReader.read(file("a 1 2\n[UNK] 1 2\n"), "g", 1))
                .hasMessageContaining("line 2: the word '[UNK]' is reserved");
    }

    @Test
    void shouldRefuseEmptyWord() throws IOException {
        assertThatThrownBy(() -> GloveReader.read(file("a 1 2\n 1 2\n"), "g", 1))
                .hasMessageContaining("line 2: the word is empty");
    }

    @Test
    void shouldRefuseDuplicateWord() throws IOException {
        assertThatThrownBy(() -> GloveReader.read(file("a 1 2\nb 1 2\na 3 4\n"), "g", 1))
                .hasMessageContaining("line 3: the word 'a' appears twice (first at line 1)");
    }

    @Test
    void shouldRefuseValueThatIsNotANumber() throws IOException {
        assertThatThrownBy(() -> GloveReader.read(file("a 1 2\nb 1 0x1p3\n"), "g", 1))
                .hasMessageContaining("line 2: value 2 '0x1p3' is not a number");
    }

    @Test
    void shouldRefuseNonFiniteValuesUnlessAllowed() throws IOException {
        Path f = file("a 1 nan\nb 1e39 2\n");

        assertThatThrownBy(() -> GloveReader.read(f, "g", 1)).hasMessageContaining("line 1: value 2 'nan' is not a finite float32");
        EmbeddingTable t = GloveReader.read(f, "g", 1, true);
        assertThat(t.get(2, 1)).isNaN();
        assertThat(t.get(3, 0)).isEqualTo(Float.POSITIVE_INFINITY);
    }

    @Test
    void shouldPointWord2VecFilesToTheirFormat() throws IOException {
        assertThatThrownBy(() -> GloveReader.read(file("2 3\na 1 2 3\nb 1 2 3\n"), "g", 1))
                .hasMessageContaining("line 1: looks like a word2vec header");
    }

    @Test
    void shouldRefuseEmptyFile() throws IOException {
        assertThatThrownBy(() -> GloveReader.read(file("\n\n"), "g", 1)).hasMessageContaining("holds no word vectors");
    }

    private Path file(String content) throws IOException {
        Path f = dir.resolve("glove-" + System.nanoTime() + ".txt");
        Files.write(f, content.getBytes(StandardCharsets.UTF_8));
        return f;
    }
}
