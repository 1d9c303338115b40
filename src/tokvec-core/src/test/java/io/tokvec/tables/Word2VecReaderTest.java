package io.tokvec.tables;

import io.tokvec.core.EmbeddingTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Word2VecReaderTest {

    @TempDir
    Path dir;

    @Test
    void shouldReadTextFormatAfterTheReservedRows() throws IOException {
        Path f = text("3 2\nking 0.1 -0.2 \nqueen 1e-3 2\nrené 3 4\n");

        EmbeddingTable t = Word2VecReader.read(f, "w2v", 1);

        assertThat(Word2VecReader.isBinary(f)).isFalse();
        assertThat(t.vocabulary().tokens()).containsExactly("", "[UNK]", "king", "queen", "rené");
        assertThat(t.get(0, 0)).isZero();
        assertThat(t.get(1, 1)).isZero();
        assertThat(t.get(2, 1)).isEqualTo(-0.2f);
        assertThat(t.get(3, 0)).isEqualTo(0.001f);
        assertThat(t.get(4, 1)).isEqualTo(4f);
    }

    @Test
    void shouldReadBinaryFormatWithAndWithoutNewlines() throws IOException {
        Path f = binary("3 2\n", new String[] {"king", "queen", "東京"}, new float[][] {{0.1f, -0.2f}, {1e-3f, 2f}, {3f, 4f}},
                new boolean[] {true, false, true});

        EmbeddingTable t = Word2VecReader.read(f, "w2v", 1);

        assertThat(Word2VecReader.isBinary(f)).isTrue();
        assertThat(t.rows()).isEqualTo(5);
        assertThat(t.vocabulary().tokens()).containsExactly("", "[UNK]", "king", "queen", "東京");
        assertThat(t.get(2, 0)).isEqualTo(0.1f);
        assertThat(t.get(3, 0)).isEqualTo(1e-3f);
        assertThat(t.get(4, 1)).isEqualTo(4f);
        assertThat(t.get(0, 0)).isZero();
    }

    @Test
    void shouldRefuseTextWithFewerWordsThanTheHeader() throws IOException {
        assertThatThrownBy(() -> Word2VecReader.read(text("3 2\na 1 2\nb 1 2\n"), "w", 1))
                .hasMessageContaining("holds 2 words but the header (line 1) says 3");
    }

    @Test
    void shouldRefuseTextWithMoreWordsThanTheHeader() throws IOException {
        assertThatThrownBy(() -> Word2VecReader.read(text("1 2\na 1 2\nb 1 2\n"), "w", 1))
                .hasMessageContaining("line 3: is more than the 1 words the header (line 1) announces");
    }

    @Test
    void shouldRefuseTextLineWithWrongNumberOfValues() throws IOException {
        assertThatThrownBy(() -> Word2VecReader.readText(text("2 3\na 1 2 3\nb 1 2\n"), "w", 1, false))
                .hasMessageContaining("line 3: has 2 values, expected 3");
    }

    @Test
    void shouldRefuseBadHeader() throws IOException {
        assertThatThrownBy(() -> Word2VecReader.read(text("the 1 2\n"), "w", 1))
                .hasMessageContaining("line 1: 'the 1 2' is not a word2vec header 'count dim'");
    }

    @Test
    void shouldRefuseReservedWordsInText() throws IOException {
        assertThatThrownBy(() -> Word2VecReader.read(text("2 1\na 1\n[UNK] 2\n"), "w", 1))
                .hasMessageContaining("line 3: the word '[UNK]' is reserved");
    }

    @Test
    void shouldRefuseDuplicateWordInBinaryNamingItsNumber() throws IOException {
        Path f = binary("2 2\n", new String[] {"a", "a"}, new float[][] {{1, 2}, {3, 4}}, new boolean[] {true, true});

        assertThatThrownBy(() -> Word2VecReader.read(f, "w", 1))
                .hasMessageContaining("word 2: the word 'a' appears twice (first at word 1)");
    }

    @Test
    void shouldRefuseTruncatedBinary() throws IOException {
        Path f = binary("3 2\n", new String[] {"a", "b"}, new float[][] {{1, 2}, {3, 4}}, new boolean[] {true, true});

        assertThatThrownBy(() -> Word2VecReader.readBinary(f, "w", 1, false))
                .hasMessageContaining("word 3 (byte " + Files.size(f) + "): unexpected end of file; the header says 3 words");
    }

    @Test
    void shouldRefuseBinaryWithDataAfterTheCount() throws IOException {
        Path f = binary("1 2\n", new String[] {"a", "b"}, new float[][] {{1, 2}, {3, 4}}, new boolean[] {true, true});

        assertThatThrownBy(() -> Word2VecReader.readBinary(f, "w", 1, false))
                .hasMessageContaining("data after the 1 words the header announces");
    }

    @Test
    void shouldRefuseNonFiniteBinaryValue() throws IOException {
        Path f = binary("1 2\n", new String[] {"a"}, new float[][] {{1, Float.NaN}}, new boolean[] {true});

        assertThatThrownBy(() -> Word2VecReader.read(f, "w", 1)).hasMessageContaining("word 1: value 2 is NaN");
        assertThat(Word2VecReader.read(f, "w", 1, true).get(2, 1)).isNaN();
    }

    private Path text(String content) throws IOException {
        Path f = dir.resolve("w2v-" + System.nanoTime() + ".txt");
        Files.write(f, content.getBytes(StandardCharsets.UTF_8));
        return f;
    }

    /** A word2vec binary file as the original tool writes it: word, space, little-endian float32, optional newline. */
    private Path binary(String header, String[] words, float[][] vectors, boolean[] newline) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < words.length; i++) {
            out.write(words[i].getBytes(StandardCharsets.UTF_8));
            out.write(' ');
            ByteBuffer b = ByteBuffer.allocate(vectors[i].length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : vectors[i]) b.putFloat(v);
            out.write(b.array());
            if (newline[i]) out.write('\n');
        }
        Path f = dir.resolve("w2v-" + System.nanoTime() + ".bin");
        Files.write(f, out.toByteArray());
        return f;
    }
}
