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
 * up to a byte budget, which also pays for the cache's slots (sized to what the budget can hold, so
 * a table of millions of rows costs no per-row array). The cached text is used only when the
 * position's bytes equal the row's bytes in the table, so what is printed never depends on how the
 * position was filled (padding with zeros, OOV mapping): a mismatch is printed value by value. NaN and infinities (only in tables
 * loaded with {@code --allow-nonfinite}) are printed as {@code NaN}, {@code Infinity} and
 * {@code -Infinity}, as Python's {@code json} module reads and writes them.
 */
final class EnrichRowTexts {

    /** Longest float text plus its comma: {@code -1.17549435E-38,}. */
    private static final int MAX_FLOAT_CHARS = 16;
    /** Shortest float text plus its comma ({@code 0.0,}). */
    private static final int MIN_FLOAT_CHARS = 4;
    /** What a cached text costs besides its characters: the array header. */
    private static final int TEXT_OVERHEAD = 16;
    private static final int MAX_SLOTS = 1 << 24;

    private final EmbeddingTable table;
    private final int rowBytes;
    private final byte[] rowScratch;
    /** Open addressing, linear probing: row + 1 in {@code keys} (0 = free), its text in {@code texts}. */
    private final int[] keys;
    private final byte[][] texts;
    private final int mask;
    private int cached;
    private long budget;

    EnrichRowTexts(EmbeddingTable table, long budgetBytes) {
        this.table = table;
        this.rowBytes = table.dim() * Float.BYTES;
        this.rowScratch = new byte[rowBytes];
        // room for as many rows as the budget holds at the shortest texts, and no more than the table
        // has: 2 to 4 slots of 8 bytes per row (a power of two, at most half full), paid from the budget
        long perRow = (long) MIN_FLOAT_CHARS * table.dim() + TEXT_OVERHEAD + 4 * 8;
        long fits = Math.min(table.rows(), Math.max(0, budgetBytes) / perRow);
        int slots = fits == 0 ? 0 : Integer.highestOneBit((int) Math.min(MAX_SLOTS / 2, fits) * 2 - 1) << 1;
        this.keys = new int[slots];
        this.texts = new byte[slots][];
        this.mask = slots - 1;
        this.budget = budgetBytes - 8L * slots;
    }

    /** Rows whose text is kept. */
    int cachedRows() {
        return cached;
    }

    /** Slots of the cache (a power of two; at most half of them are used). */
    int slots() {
        return keys.length;
    }

    /** What is left of the budget: the last text kept may take it below zero, by less than one text. */
    long budgetLeft() {
        return budget;
    }

    /** Writes position {@code p} of {@code embeddings}, which the enricher filled from table row {@code row}. */
    void write(EnrichByteSink out, byte[] embeddings, int p, int row) throws IOException {
        int from = p * rowBytes;
        if (keys.length == 0 || row < 0 || row >= table.rows() || !sameAsRow(embeddings, from, row)) {
            print(out, embeddings, from);
            return;
        }
        int slot = slotOf(row);
        if (keys[slot] == row + 1) {
            out.write(texts[slot]);
            return;
        }
        if (budget > 0 && cached < keys.length / 2) {
            out.reserve(MAX_FLOAT_CHARS * table.dim());
            long mark = out.position();
            print(out, embeddings, from);
            byte[] text = out.copySince(mark);
            if (text != null) {
                keys[slot] = row + 1;
                texts[slot] = text;
                cached++;
                budget -= text.length + TEXT_OVERHEAD;
            }
            return;
        }
        print(out, embeddings, from);
    }

    /** The slot that holds {@code row}, or the free slot where it would go. */
    private int slotOf(int row) {
        int slot = (row * 0x9E3779B9) >>> 7 & mask;
        while (keys[slot] != 0 && keys[slot] != row + 1) {
            slot = slot + 1 & mask;
        }
        return slot;
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
