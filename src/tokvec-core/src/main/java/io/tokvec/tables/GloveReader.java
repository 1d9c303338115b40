package io.tokvec.tables;

import io.tokvec.core.EmbeddingTable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads a GloVe text file: one {@code word v1 v2 ... vd} per line, space-separated, UTF-8, no
 * header; {@code d} is taken from the first line and every line must have exactly {@code d} values.
 * Blank lines are skipped; trailing spaces and {@code '\r'} are ignored.
 *
 * <p><b>Row layout.</b> A GloVe file has no padding or OOV row, so tokvec adds them: row 0 is
 * {@code ''} (padding, all zeros), row 1 is {@code '[UNK]'} (OOV, all zeros), and file word
 * {@code i} (0-based, in file order) is row {@code i + 2}. The vocabulary is therefore
 * {@code ['', '[UNK]', word0, word1, ...]}, exactly what Keras' {@code get_vocabulary()} lists for a
 * {@code StringLookup(mask_token='', vocabulary=words)} built over the file's words, so ids from
 * that layer index this table directly. A file word that is {@code ''} or {@code '[UNK]'}, or
 * appears twice, is refused with its line number.
 *
 * <p>Values become exactly the float32 numpy makes of the text ({@code np.float32("0.418")},
 * {@code np.loadtxt(..., dtype=np.float32)}): the nearest float64, rounded to float32; for the short
 * decimals these files hold that is the nearest float32 of the text. NaN and infinities are refused
 * unless allowed.
 *
 * <p>The file is read twice, streaming: once to count its lines (an upper bound of its words, to
 * size the table's off-heap storage once, see {@link ScratchRows}; blank lines are trimmed off at
 * the end) and once to parse them. The heap holds one line and the words, whatever the table's size.
 */
public final class GloveReader {

    private GloveReader() {
    }

    public static EmbeddingTable read(Path file, String name, long version) throws IOException {
        return read(file, name, version, false);
    }

    public static EmbeddingTable read(Path file, String name, long version, boolean allowNonFinite) throws IOException {
        long lines = countLines(file);
        WordTableBuilder table = null;
        try (ByteLineReader in = new ByteLineReader(Files.newInputStream(file))) {
            while (in.next()) {
                byte[] b = in.bytes();
                int n = WordTableBuilder.trimEnd(b, in.length());
                if (n == 0) {
                    continue;
                }
                if (table == null) {
                    int dim = WordTableBuilder.countValues(b, n);
                    if (dim == 0) {
                        throw new TableFormatException(file, "line " + in.lineNumber(), "has a word but no values");
                    }
                    if (dim == 1 && looksLikeWord2VecHeader(b, n)) {
                        throw new TableFormatException(file, "line " + in.lineNumber(), "looks like a word2vec header"
                                + " ('count dim'), not a GloVe line; use format word2vec");
                    }
                    table = new WordTableBuilder(file, "line", dim, lines, allowNonFinite);
                }
                table.addLine(b, n, in.lineNumber());
            }
            if (table == null) {
                throw new TableFormatException(file, null, "holds no word vectors");
            }
            EmbeddingTable built = table.build(name, version);
            table = null;
            return built;
        } finally {
            if (table != null) {
                table.close(); // frees the off-heap rows of a file that failed to load
            }
        }
    }

    private static boolean looksLikeWord2VecHeader(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (b[i] != ' ' && (b[i] < '0' || b[i] > '9')) {
                return false;
            }
        }
        return true;
    }

    /** Number of lines, counting a last line without {@code '\n'}. */
    static long countLines(Path file) throws IOException {
        long count = 0;
        byte last = '\n';
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (ch.read(buf.clear()) > 0) {
                byte[] a = buf.array();
                int lim = buf.position();
                for (int i = 0; i < lim; i++) {
                    if (a[i] == '\n') count++;
                }
                last = a[lim - 1];
            }
        }
        return last == '\n' ? count : count + 1;
    }
}
