package io.tokvec.tables;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VocabularyFileTest {

    @TempDir
    Path dir;

    @Test
    void shouldReadEmptyFirstLineAsPaddingTokenAndIgnoreFinalNewline() throws IOException {
        assertThat(VocabularyFile.read(file("\n[UNK]\nfoo\n"))).containsExactly("", "[UNK]", "foo");
    }

    @Test
    void shouldReadKerasJoinedFileWithoutFinalNewline() throws IOException {
        assertThat(VocabularyFile.read(file("\n[UNK]\nfoo"))).containsExactly("", "[UNK]", "foo");
    }

    @Test
    void shouldKeepUtf8TokensAndSpacesExactly() throws IOException {
        assertThat(VocabularyFile.read(file("\n[UNK]\nnaïve\n東京\n a b \n"))).containsExactly("", "[UNK]", "naïve", "東京", " a b ");
    }

    @Test
    void shouldRoundTripWrittenTokens() throws IOException {
        Path f = dir.resolve("v.txt");
        List<String> tokens = List.of("", "[UNK]", "x", "ÿ");
        VocabularyFile.write(f, tokens);

        assertThat(Files.readString(f)).isEqualTo("\n[UNK]\nx\nÿ\n");
        assertThat(VocabularyFile.read(f)).isEqualTo(tokens);
    }

    @Test
    void shouldRefuseEmptyLineAfterTheFirst() throws IOException {
        Path f = file("\n[UNK]\nfoo\n\n");

        assertThatThrownBy(() -> VocabularyFile.read(f))
                .isInstanceOf(TableFormatException.class)
                .hasMessageContaining("line 4")
                .hasMessageContaining("only the first line");
    }

    @Test
    void shouldRefuseDuplicateNamingBothLines() throws IOException {
        assertThatThrownBy(() -> VocabularyFile.read(file("\n[UNK]\nfoo\nbar\nfoo\n")))
                .hasMessageContaining("line 5: token 'foo' already appears on line 3");
    }

    @Test
    void shouldAcceptTheOovTokenOncePerOovRowAsGetVocabularyListsIt() throws IOException {
        assertThat(VocabularyFile.read(file("\n[UNK]\n[UNK]\n[UNK]\nfoo\n"))).containsExactly("", "[UNK]", "[UNK]", "[UNK]", "foo");
        assertThatThrownBy(() -> VocabularyFile.read(file("\n[UNK]\n[UNK]\nfoo\n[UNK]\n")))
                .hasMessageContaining("line 5: token '[UNK]' already appears on line 2");
    }

    @Test
    void shouldRefuseWindowsLineEndings() throws IOException {
        assertThatThrownBy(() -> VocabularyFile.read(file("\r\n[UNK]\r\n")))
                .hasMessageContaining("line 1: ends with a carriage return");
    }

    @Test
    void shouldRefuseMalformedUtf8() throws IOException {
        Path f = dir.resolve("bad.txt");
        Files.write(f, new byte[] {'\n', 'a', '\n', (byte) 0xC3, '\n'});

        assertThatThrownBy(() -> VocabularyFile.read(f)).hasMessageContaining("line 3: is not valid UTF-8");
    }

    @Test
    void shouldRefuseByteOrderMark() throws IOException {
        Path f = dir.resolve("bom.txt");
        Files.write(f, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'a', '\n'});

        assertThatThrownBy(() -> VocabularyFile.read(f)).hasMessageContaining("byte order mark");
    }

    private Path file(String content) throws IOException {
        Path f = dir.resolve("vocab-" + System.nanoTime() + ".txt");
        Files.write(f, content.getBytes(StandardCharsets.UTF_8));
        return f;
    }
}
