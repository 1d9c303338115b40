package io.tokvec.tables;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableDtype;
import io.tokvec.core.Vocabulary;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Builds the table of a word-vector file (GloVe, word2vec): row 0 is the padding token {@code ''}
 * and row 1 the OOV token {@code '[UNK]'}, both all zeros; file word {@code i} becomes row
 * {@code i + 2}. Refuses the reserved words, duplicates and non-finite values, naming the position
 * ({@code "line 12"} or {@code "word 12"}) the reader passes.
 */
final class WordTableBuilder implements AutoCloseable {

    static final String PAD = "";
    static final String UNK = "[UNK]";
    private static final int RESERVED = 2;

    private final Path file;
    private final String unit;
    private final int dim;
    private final boolean allowNonFinite;
    private final int rowBytes;
    private final ScratchRows storage;
    private final byte[] row;
    private int rows = RESERVED;
    /** The words so far, indexed as they come: checks for duplicates, then becomes the vocabulary. */
    private final Vocabulary.Builder words;
    /** Line of each row's word (text files; in binary files word {@code w} is row {@code w + 1}). */
    private final long[] lines;

    /**
     * Allocates the off-heap storage of {@code expectedWords + 2} rows (see {@link ScratchRows}): the
     * heap holds one row and the words, whatever the table's size. Close the builder if the file
     * fails to load, to free the storage at once.
     *
     * @param unit          what positions count in error messages: {@code "line"} or {@code "word"}
     * @param expectedWords how many words the file holds at most (the word2vec header count, or GloVe's line count)
     * @throws TableFormatException naming the file and the size when that storage cannot be had
     */
    WordTableBuilder(Path file, String unit, int dim, long expectedWords, boolean allowNonFinite) throws TableFormatException {
        this.file = file;
        this.unit = unit;
        this.dim = dim;
        this.allowNonFinite = allowNonFinite;
        if (dim > (Integer.MAX_VALUE - 16) / Float.BYTES) {
            throw new TableFormatException(file, null, "dim " + dim + " is larger than a row may be");
        }
        this.rowBytes = dim * Float.BYTES;
        long capacity = expectedWords + RESERVED;
        this.storage = ScratchRows.allocate(file, capacity + " rows x " + dim + " float32", capacity, rowBytes);
        this.row = new byte[rowBytes];
        int sizeHint = (int) Math.min(capacity, 1 << 24);
        this.words = new Vocabulary.Builder(sizeHint);
        this.lines = unit.equals("line") ? new long[(int) capacity] : null;
        words.addOrFind(PAD);
        words.addOrFind(UNK);
    }

    int dim() {
        return dim;
    }

    /** Number of file words added so far. */
    int wordCount() {
        return rows - RESERVED;
    }

    /**
     * Adds a word; the caller then fills {@link #row()} and stores it with {@link #putRow}.
     *
     * @param pos the word's line or word number, for error messages
     */
    void addWord(String word, long pos) throws TableFormatException {
        if (word.isEmpty()) {
            throw new TableFormatException(file, where(pos), "the word is empty; row 0 is the padding token '' and the file may not define it");
        }
        if (word.equals(UNK)) {
            throw new TableFormatException(file, where(pos), "the word '[UNK]' is reserved: row 1 is tokvec's OOV row (all zeros)");
        }
        if (rows == storage.capacity()) {
            throw new TableFormatException(file, where(pos), "is more than the " + (storage.capacity() - RESERVED)
                    + " words the file was sized for");
        }
        int prev = words.addOrFind(word);
        if (prev != Vocabulary.NOT_FOUND) {
            long first = lines != null ? lines[prev] : prev - 1;
            throw new TableFormatException(file, where(pos), "the word '" + word + "' appears twice (first at " + unit + " " + first + ")");
        }
        if (lines != null) {
            lines[rows] = pos;
        }
        rows++;
    }

    /** The values of the word added last, {@code dim} little-endian float32 ({@link #putRow} stores them). */
    byte[] row() {
        return row;
    }

    /** Stores {@link #row()} as the row of the word added last, refusing NaN / infinity (unless allowed). */
    void putRow(long pos) throws TableFormatException {
        checkFinite(pos);
        storage.put(rows - 1, row, 0);
    }

    /**
     * Parses the {@code dim} values in {@code b[from, to)}, separated by one or more spaces, into
     * {@link #row()}. See {@link #toFloat32} for the rounding; {@code nan} and {@code inf}
     * are read only when non-finite values are allowed.
     */
    void parseValues(byte[] b, int from, int to, long pos) throws TableFormatException {
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
            EmbeddingTable.putFloat(row, k, parseFloat(b, start, i, k, pos));
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

    /** Refuses NaN / infinity in {@link #row()} (unless allowed); text values were checked as they were parsed. */
    private void checkFinite(long pos) throws TableFormatException {
        if (allowNonFinite) {
            return;
        }
        for (int k = 0; k < dim; k++) {
            float v = EmbeddingTable.floatAt(row, k);
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
        addWord(word, lineNo);
        parseValues(b, sp + 1, n, lineNo);
        storage.put(rows - 1, row, 0);
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

    /**
     * The table of the words added: off-heap, in the file's storage trimmed to the rows written (a
     * GloVe file with blank lines holds fewer words than lines). Freeing the table frees the storage.
     */
    EmbeddingTable build(String name, long version) throws TableFormatException {
        Vocabulary vocabulary = words.build();
        return new EmbeddingTable(name, version, rows, dim, TableDtype.FLOAT32, storage.finish(rows), vocabulary);
    }

    /** Frees the storage unless {@link #build} handed it to a table. */
    @Override
    public void close() {
        storage.close();
    }
}
