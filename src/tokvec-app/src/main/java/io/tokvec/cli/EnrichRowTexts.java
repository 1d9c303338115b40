package io.tokvec.cli;

import com.fasterxml.jackson.core.io.NumberOutput;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableDtype;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Prints the {@code dim} float32 values of one output position as comma-separated JSON numbers
 * (shortest round-trip decimals), keeping the text of each table row the first time it is printed,
 * up to a byte budget. The cached text is used only when the position's bytes equal the row's bytes
 * in the table, so what is printed never depends on how the position was filled (padding with
 * zeros, OOV mapping): a mismatch is printed value by value. NaN and infinities (only in tables
 * loaded with {@code --allow-nonfinite}) are printed as {@code NaN}, {@code Infinity} and
 * {@code -Infinity}, as Python's {@code json} module reads and writes them.
 */
final class EnrichRowTexts {

    private static final int MAX_ROWS = 1 << 23;
    /** Longest float text plus its comma: {@code -1.17549435E-38,}. */
    private static final int MAX_FLOAT_CHARS = 16;

    private final EmbeddingTable table;
    private final int rowBytes;
    private final byte[][] texts;
    private final byte[] rowScratch;
    private long budget;

    EnrichRowTexts(EmbeddingTable table, long budgetBytes) {
        this.table = table;
        this.rowBytes = table.dim() * Float.BYTES;
        // one slot per row; a table of more rows than that (tiny dims) is printed without the cache
        this.texts = new byte[table.rows() <= MAX_ROWS ? table.rows() : 0][];
        this.rowScratch = new byte[rowBytes];
        this.budget = budgetBytes;
    }

    /** Writes position {@code p} of {@code embeddings}, which the enricher filled from table row {@code row}. */
    void write(EnrichByteSink out, byte[] embeddings, int p, int row) throws IOException {
        int from = p * rowBytes;
        boolean isRow = row >= 0 && row < texts.length && sameAsRow(embeddings, from, row);
        if (isRow && texts[row] != null) {
            out.write(texts[row]);
            return;
        }
        if (isRow && budget > 0) {
            out.reserve(MAX_FLOAT_CHARS * table.dim());
            long mark = out.position();
            print(out, embeddings, from);
            byte[] text = out.copySince(mark);
            if (text != null) {
                texts[row] = text;
                budget -= text.length + 16L;
            }
            return;
        }
        print(out, embeddings, from);
    }

    private boolean sameAsRow(byte[] embeddings, int from, int row) {
        table.copyRow(row, TableDtype.FLOAT32, rowScratch, 0);
        return Arrays.equals(embeddings, from, from + rowBytes, rowScratch, 0, rowBytes);
    }

    private void print(EnrichByteSink out, byte[] embeddings, int from) throws IOException {
        int first = from / Float.BYTES;
        for (int k = 0; k < table.dim(); k++) {
            if (k > 0) out.write(',');
            float v = EmbeddingTable.floatAt(embeddings, first + k);
            out.write(NumberOutput.toString(v, true).getBytes(StandardCharsets.ISO_8859_1));
        }
    }
}
