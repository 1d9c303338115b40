package io.tokvec.tables;

import io.tokvec.core.EmbeddingTable;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a word2vec file, text or binary, as the original {@code word2vec} tool and gensim's
 * {@code KeyedVectors.save_word2vec_format(binary=False|True)} write them:
 * <ul>
 *   <li>text: a header line {@code count dim}, then {@code count} lines {@code word v1 ... vd}
 *       (space-separated, UTF-8; trailing spaces, {@code '\r'} and blank lines are ignored);</li>
 *   <li>binary: the header line {@code count dim\n}, then for each word its UTF-8 bytes up to a
 *       space, then {@code dim} little-endian float32, optionally followed by {@code '\n'}.</li>
 * </ul>
 * {@link #read} tells them apart by content: the file is text when the first line after the header
 * is printable ASCII after its word and holds exactly {@code dim} values, which float32 bytes
 * practically never do. {@link #readText} and {@link #readBinary} skip the guess.
 *
 * <p><b>Row layout.</b> Row 0 is {@code ''} (padding, all zeros), row 1 is {@code '[UNK]'} (OOV,
 * all zeros), and file word {@code i} (0-based, in file order) is row {@code i + 2}: the vocabulary
 * is {@code ['', '[UNK]', word0, word1, ...]}, what Keras' {@code get_vocabulary()} lists for a
 * {@code StringLookup(mask_token='', vocabulary=words)} over the file's words. A file word that is
 * {@code ''} or {@code '[UNK]'} or a duplicate, a line with the wrong number of values, and a word
 * count that differs from the header are refused, naming the line (text) or word number and byte
 * offset (binary). Text values become exactly the float32 numpy (and gensim) make of the text.
 */
public final class Word2VecReader {

    private static final int SNIFF = 1 << 16;

    private Word2VecReader() {
    }

    public static EmbeddingTable read(Path file, String name, long version) throws IOException {
        return read(file, name, version, false);
    }

    /** Reads a text or binary word2vec file, telling them apart by content. */
    public static EmbeddingTable read(Path file, String name, long version, boolean allowNonFinite) throws IOException {
        return isBinary(file) ? readBinary(file, name, version, allowNonFinite) : readText(file, name, version, allowNonFinite);
    }

    /** Whether a word2vec file is in the binary format (see the class comment). */
    public static boolean isBinary(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(SNIFF);
        }
        int nl = indexOf(head, (byte) '\n', 0, head.length);
        if (nl < 0) {
            return false; // no complete header: let the text reader explain
        }
        int dim = header(file, head, nl)[1];
        int start = nl + 1;
        while (start < head.length && head[start] == '\n') start++;
        int end = indexOf(head, (byte) '\n', start, head.length);
        if (end < 0) end = head.length;
        int sp = indexOf(head, (byte) ' ', start, end);
        if (sp < 0) {
            return false; // no word: let the text reader explain
        }
        for (int i = sp + 1; i < end; i++) {
            int c = head[i] & 0xff;
            if ((c < 0x20 || c > 0x7e) && c != '\t' && c != '\r') {
                return true;
            }
        }
        byte[] line = Arrays.copyOfRange(head, start, end);
        return WordTableBuilder.countValues(line, WordTableBuilder.trimEnd(line, line.length)) != dim;
    }

    public static EmbeddingTable readText(Path file, String name, long version, boolean allowNonFinite) throws IOException {
        try (ByteLineReader in = new ByteLineReader(Files.newInputStream(file))) {
            if (!in.next()) {
                throw new TableFormatException(file, null, "is empty (expected a 'count dim' header line)");
            }
            int[] header = header(file, in.bytes(), in.length());
            long count = header[0];
            // at most one word per 2 * dim + 1 bytes: a header claiming more cannot size the table beyond the file
            long most = Math.min(count, Files.size(file) / (2L * header[1] + 1) + 1);
            try (WordTableBuilder table = new WordTableBuilder(file, "line", header[1], most, allowNonFinite)) {
                return readText(file, in, table, count, name, version);
            }
        }
    }

    private static EmbeddingTable readText(Path file, ByteLineReader in, WordTableBuilder table, long count, String name,
                                           long version) throws IOException {
        while (in.next()) {
            byte[] b = in.bytes();
            int n = WordTableBuilder.trimEnd(b, in.length());
            if (n == 0) {
                continue;
            }
            if (table.wordCount() == count) {
                throw new TableFormatException(file, "line " + in.lineNumber(), "is more than the " + count
                        + " words the header (line 1) announces");
            }
            table.addLine(b, n, in.lineNumber());
        }
        if (table.wordCount() != count) {
            throw new TableFormatException(file, null, "holds " + table.wordCount() + " words but the header (line 1) says "
                    + count);
        }
        return table.build(name, version);
    }

    public static EmbeddingTable readBinary(Path file, String name, long version, boolean allowNonFinite) throws IOException {
        try (CountingInput in = new CountingInput(Files.newInputStream(file))) {
            byte[] line = new byte[256];
            int n = 0;
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0 || n == line.length) {
                    throw new TableFormatException(file, "line 1", "is not a 'count dim' header line");
                }
                line[n++] = (byte) c;
            }
            int[] header = header(file, line, n);
            int count = header[0];
            int dim = header[1];
            // at most one word per dim * 4 + 2 bytes: a header claiming more cannot size the table beyond the file
            long most = Math.min(count, Files.size(file) / ((long) dim * Float.BYTES + 2) + 1);
            try (WordTableBuilder table = new WordTableBuilder(file, "word", dim, most, allowNonFinite)) {
                return readBinary(file, in, table, count, name, version);
            }
        }
    }

    private static EmbeddingTable readBinary(Path file, CountingInput in, WordTableBuilder table, int count, String name,
                                             long version) throws IOException {
        int dim = table.dim();
        int c;
        byte[] word = new byte[64];
        for (int w = 1; w <= count; w++) {
            c = in.read();
            while (c == '\n') {
                c = in.read(); // the optional newline after the previous vector
            }
            long wordStart = in.position() - (c >= 0 ? 1 : 0);
            int len = 0;
            while (c != ' ') {
                if (c < 0) {
                    throw new TableFormatException(file, "word " + w + " (byte " + wordStart + ")", "unexpected end of file; "
                            + "the header says " + count + " words");
                }
                if (len == word.length) {
                    if (len >= 1 << 20) {
                        throw new TableFormatException(file, "word " + w + " (byte " + wordStart + ")",
                                "no space after 1 MiB of word bytes; not a word2vec binary file?");
                    }
                    word = Arrays.copyOf(word, len * 2);
                }
                word[len++] = (byte) c;
                c = in.read();
            }
            String text;
            try {
                text = Utf8.decode(word, 0, len);
            } catch (CharacterCodingException e) {
                throw new TableFormatException(file, "word " + w + " (byte " + wordStart + ")", "the word is not valid UTF-8");
            }
            table.addWord(text, w);
            if (in.readNBytes(table.row(), 0, dim * Float.BYTES) != dim * Float.BYTES) {
                throw new TableFormatException(file, "word " + w + " (byte " + in.position() + ")", "unexpected end of file in "
                        + "the " + dim + " float32 of '" + text + "'");
            }
            table.putRow(w);
        }
        while ((c = in.read()) == '\n') {
            // the optional newline after the last vector
        }
        if (c >= 0) {
            throw new TableFormatException(file, "byte " + (in.position() - 1), "data after the " + count
                    + " words the header announces");
        }
        return table.build(name, version);
    }

    /** Parses {@code count dim}; both must be positive. */
    private static int[] header(Path file, byte[] b, int n) throws TableFormatException {
        String text = new String(b, 0, WordTableBuilder.trimEnd(b, n), StandardCharsets.ISO_8859_1);
        String[] parts = text.strip().split(" +");
        try {
            if (parts.length == 2) {
                int count = Integer.parseInt(parts[0]);
                int dim = Integer.parseInt(parts[1]);
                if (count >= 1 && dim >= 1) {
                    return new int[] {count, dim};
                }
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        String shown = text.length() > 60 ? text.substring(0, 60) + "..." : text;
        throw new TableFormatException(file, "line 1", "'" + shown + "' is not a word2vec header 'count dim' with "
                + "count and dim >= 1");
    }

    private static int indexOf(byte[] b, byte v, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == v) return i;
        }
        return -1;
    }

    /** A buffered stream that knows its byte offset, for error messages. */
    private static final class CountingInput extends BufferedInputStream {
        private long position;

        CountingInput(InputStream in) {
            super(in, 1 << 16);
        }

        @Override
        public synchronized int read() throws IOException {
            int c = super.read();
            if (c >= 0) position++;
            return c;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) position += n;
            return n;
        }

        long position() {
            return position;
        }
    }
}
