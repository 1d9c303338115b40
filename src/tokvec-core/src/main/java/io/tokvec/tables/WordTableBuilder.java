package io.tokvec.tables;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.Vocabulary;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds the table of a word-vector file (GloVe, word2vec): row 0 is the padding token {@code ''}
 * and row 1 the OOV token {@code '[UNK]'}, both all zeros; file word {@code i} becomes row
 * {@code i + 2}. Refuses the reserved words, duplicates and non-finite values, naming the position
 * ({@code "line 12"} or {@code "word 12"}) the reader passes.
 */
final class WordTableBuilder {

    static final String PAD = "";
    static final String UNK = "[UNK]";
    private static final int RESERVED = 2;

    private final Path file;
    private final String unit;
    private final int dim;
    private final boolean allowNonFinite;
    private final int rowBytes;
    private byte[] data;
    private int rows = RESERVED;
    private final List<String> words;
    private Map<String, Long> seen = new HashMap<>();

    /**
     * @param unit          what positions count in error messages: {@code "line"} or {@code "word"}
     * @param expectedWords how many words the file should hold at most (sizes the array once)
     */
    WordTableBuilder(Path file, String unit, int dim, long expectedWords, boolean allowNonFinite) throws TableFormatException {
        this.file = file;
        this.unit = unit;
        this.dim = dim;
        this.allowNonFinite = allowNonFinite;
        this.rowBytes = dim * Float.BYTES;
        long bytes = (expectedWords + RESERVED) * rowBytes;
        if (bytes > EmbeddingTable.MAX_HEAP_BYTES) {
            throw new TableFormatException(file, null, (expectedWords + RESERVED) + " rows x " + dim + " float32 need "
                    + bytes + " bytes, more than the " + EmbeddingTable.MAX_HEAP_BYTES + " one table may hold");
        }
        this.data = new byte[(int) bytes];
        this.words = new ArrayList<>((int) Math.min(expectedWords + RESERVED, 1 << 24));
        words.add(PAD);
        words.add(UNK);
    }

    int dim() {
        return dim;
    }

    /** Number of file words added so far. */
    int wordCount() {
        return rows - RESERVED;
    }

    /**
     * Adds a word and returns the byte offset of its row in {@link #data()}, for the caller to fill.
     *
     * @param pos the word's line or word number, for error messages
     */
    int addWord(String word, long pos) throws TableFormatException {
        if (word.isEmpty()) {
            throw new TableFormatException(file, where(pos), "the word is empty; row 0 is the padding token '' and the file may not define it");
        }
        if (word.equals(UNK)) {
            throw new TableFormatException(file, where(pos), "the word '[UNK]' is reserved: row 1 is tokvec's OOV row (all zeros)");
        }
        Long prev = seen.putIfAbsent(word, pos);
        if (prev != null) {
            throw new TableFormatException(file, where(pos), "the word '" + word + "' appears twice (first at " + unit + " " + prev + ")");
        }
        if ((long) (rows + 1) * rowBytes > data.length) {
            long grown = Math.min(EmbeddingTable.MAX_HEAP_BYTES / rowBytes * rowBytes, (long) data.length + Math.max(data.length / 2, rowBytes));
            if (grown < (long) (rows + 1) * rowBytes) {
                throw new TableFormatException(file, where(pos), "the table grows beyond the " + EmbeddingTable.MAX_HEAP_BYTES
                        + " bytes one table may hold");
            }
            data = Arrays.copyOf(data, (int) grown);
        }
        words.add(word);
        return rows++ * rowBytes;
    }

    byte[] data() {
        return data;
    }

    /**
     * Parses the {@code dim} values in {@code b[from, to)}, separated by one or more spaces, into the
     * row at {@code rowOffset}. See {@link #toFloat32} for the rounding; {@code nan} and {@code inf}
     * are read only when non-finite values are allowed.
     */
    void parseValues(byte[] b, int from, int to, int rowOffset, long pos) throws TableFormatException {
        int k = 0;
        int i = from;
        while (true) {
            while (i < to && b[i] == ' ') i++;
            if (i >= to) break;
            int start = i;
            while (i < to && b[i] != ' ') i++;
            if (k == dim) {
                throw new TableFormatException(file, where(pos), "has more than " + dim + " values");
            }
            EmbeddingTable.putFloat(data, rowOffset / Float.BYTES + k, parseFloat(b, start, i, k, pos));
            k++;
        }
        if (k != dim) {
            throw new TableFormatException(file, where(pos), "has " + k + " values, expected " + dim);
        }
    }

    private float parseFloat(byte[] b, int start, int end, int k, long pos) throws TableFormatException {
        boolean numeric = true;
        for (int j = start; j < end; j++) {
            byte c = b[j];
            if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) {
                numeric = false;
                break;
            }
        }
        if (numeric) {
            double fast = FastDecimal.parse(b, start, end);
            if (!Double.isNaN(fast)) {
                float v = (float) fast;
                if (allowNonFinite || !Float.isInfinite(v)) {
                    return v;
                }
            }
        }
        String text = new String(b, start, end - start, StandardCharsets.ISO_8859_1);
        float v;
        if (numeric) {
            try {
                v = toFloat32(text);
            } catch (NumberFormatException e) {
                throw notANumber(text, k, pos);
            }
        } else {
            v = nonFinite(text);
            if (!Float.isNaN(v) && !Float.isInfinite(v)) {
                throw notANumber(text, k, pos);
            }
        }
        if (!allowNonFinite && (Float.isNaN(v) || Float.isInfinite(v))) {
            throw new TableFormatException(file, where(pos), "value " + (k + 1) + " '" + text + "' is not a finite float32");
        }
        return v;
    }

    /**
     * The float32 numpy makes of a decimal text: {@code np.float32("0.418")}, {@code np.loadtxt(...,
     * dtype=np.float32)}, {@code np.fromstring(..., 'f', sep=' ')} and gensim all parse the text to the
     * nearest float64 and round that to float32, and so does this. For every decimal of up to 9
     * significant digits (what GloVe, word2vec and numpy's own repr write) that is the nearest float32
     * of the text, i.e. {@link Float#parseFloat}; for longer decimals lying within 2^-53 of a point
     * halfway between two float32 values, {@code Float.parseFloat} would round once and differ from
     * numpy in the last bit, so the two-step rounding is kept on purpose.
     */
    static float toFloat32(String text) {
        return (float) Double.parseDouble(text);
    }

    /** NaN or an infinity for Python's spellings ({@code nan}, {@code -inf}, {@code Infinity}), else 0. */
    private static float nonFinite(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        boolean neg = t.startsWith("-");
        if (neg || t.startsWith("+")) t = t.substring(1);
        if (t.equals("nan")) return Float.NaN;
        if (t.equals("inf") || t.equals("infinity")) return neg ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        return 0f;
    }

    private String where(long pos) {
        return unit + " " + pos;
    }

    private TableFormatException notANumber(String text, int k, long pos) {
        return new TableFormatException(file, where(pos), "value " + (k + 1) + " '" + text + "' is not a number");
    }

    /** Refuses NaN / infinity in a row filled from binary data (unless allowed). */
    void checkFinite(int rowOffset, long pos) throws TableFormatException {
        if (allowNonFinite) {
            return;
        }
        for (int k = 0; k < dim; k++) {
            float v = EmbeddingTable.floatAt(data, rowOffset / Float.BYTES + k);
            if (Float.isNaN(v) || Float.isInfinite(v)) {
                throw new TableFormatException(file, where(pos), "value " + (k + 1) + " is " + v + ", not a finite float32");
            }
        }
    }

    /**
     * Adds a text line {@code word v1 ... vd}: the word is everything before the first space (UTF-8),
     * the values follow, separated by one or more spaces. {@code n} must already be trimmed with
     * {@link #trimEnd}.
     */
    void addLine(byte[] b, int n, long lineNo) throws TableFormatException {
        int sp = wordEnd(b, n);
        if (sp < 0) {
            throw new TableFormatException(file, where(lineNo), "has a word but no values (expected " + dim + ")");
        }
        String word;
        try {
            word = Utf8.decode(b, 0, sp);
        } catch (CharacterCodingException e) {
            throw new TableFormatException(file, where(lineNo), "the word is not valid UTF-8");
        }
        int off = addWord(word, lineNo);
        parseValues(b, sp + 1, n, off, lineNo);
    }

    /** Length of {@code b[0, n)} without trailing spaces, tabs and {@code '\r'} (writers leave them). */
    static int trimEnd(byte[] b, int n) {
        while (n > 0 && (b[n - 1] == ' ' || b[n - 1] == '\t' || b[n - 1] == '\r')) n--;
        return n;
    }

    /** Index of the space ending the word of a text line, or -1. */
    static int wordEnd(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (b[i] == ' ') return i;
        }
        return -1;
    }

    /** Number of space-separated values after the word of a trimmed text line. */
    static int countValues(byte[] b, int n) {
        int sp = wordEnd(b, n);
        if (sp < 0) return 0;
        int count = 0;
        boolean in = false;
        for (int i = sp + 1; i < n; i++) {
            boolean field = b[i] != ' ';
            if (field && !in) count++;
            in = field;
        }
        return count;
    }

    EmbeddingTable build(String name, long version) {
        seen = null;
        int bytes = rows * rowBytes;
        byte[] exact = data.length == bytes ? data : Arrays.copyOf(data, bytes);
        data = null;
        return new EmbeddingTable(name, version, rows, dim, exact, Vocabulary.of(words));
    }
}
