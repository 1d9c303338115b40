package io.tokvec.tables;

import io.tokvec.core.EmbeddingTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TableFilesTest {

    @TempDir
    Path dir;

    @Test
    void shouldLoadNpyWithVocabulary() throws IOException {
        Path npy = npy(3, 2, new float[] {0, 0, 1, 1, 2, 2});
        Path vocab = dir.resolve("vocab.txt");
        Files.writeString(vocab, "\n[UNK]\nfoo\n");

        EmbeddingTable t = TableFiles.load(npy, TableFormat.NPY, vocab, "t", 7);

        assertThat(t.name()).isEqualTo("t");
        assertThat(t.version()).isEqualTo(7);
        assertThat(t.vocabulary().lookup("foo")).isEqualTo(2);
        assertThat(t.vocabulary().lookup("bar")).isEqualTo(1);
        assertThat(t.get(2, 1)).isEqualTo(2f);
    }

    @Test
    void shouldLoadNpyWithoutVocabulary() throws IOException {
        EmbeddingTable t = TableFiles.load(npy(2, 1, new float[] {0, 5}), TableFormat.NPY, null, "t", 1);

        assertThat(t.vocabulary()).isNull();
        assertThat(t.get(1, 0)).isEqualTo(5f);
    }

    @Test
    void shouldRefuseVocabularyOfOtherLength() throws IOException {
        Path npy = npy(3, 2, new float[6]);
        Path vocab = dir.resolve("vocab.txt");
        Files.writeString(vocab, "\n[UNK]\n");

        assertThatThrownBy(() -> TableFiles.load(npy, TableFormat.NPY, vocab, "t", 1))
                .isInstanceOf(TableFormatException.class)
                .hasMessageContaining(vocab.toString())
                .hasMessageContaining("lists 2 tokens but table")
                .hasMessageContaining("has 3 rows");
    }

    @Test
    void shouldRefuseVocabularyFileForWordFormats() {
        assertThatThrownBy(() -> TableFiles.load(GloveReaderTest.sample(), TableFormat.GLOVE, dir.resolve("v.txt"), "t", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("npy tables only");
    }

    @Test
    void shouldRefuseNonFiniteNpyUnlessAllowed() throws IOException {
        Path npy = npy(2, 2, new float[] {0, 0, 1, Float.NEGATIVE_INFINITY});

        assertThatThrownBy(() -> TableFiles.load(npy, TableFormat.NPY, null, "t", 1))
                .hasMessageContaining("row 1, column 1: value -Infinity is not a finite float32");
        assertThat(TableFiles.load(npy, TableFormat.NPY, null, "t", 1, true).get(1, 1)).isInfinite();
    }

    @Test
    void shouldDispatchWordFormats() throws IOException {
        Path w2v = dir.resolve("w.txt");
        Files.writeString(w2v, "1 2\nx 1 2\n");

        assertThat(TableFiles.load(GloveReaderTest.sample(), TableFormat.GLOVE, null, "g", 1).rows()).isEqualTo(13);
        assertThat(TableFiles.load(w2v, TableFormat.WORD2VEC, null, "w", 1).vocabulary().tokens()).containsExactly("", "[UNK]", "x");
    }

    private Path npy(int rows, int dim, float[] values) throws IOException {
        Path f = dir.resolve("t-" + System.nanoTime() + ".npy");
        NpyWriter.write(f, rows, dim, NpyReaderTest.le(values));
        return f;
    }
}
