package io.tokvec.cli;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.io.NumberOutput;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichResult;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes one JSON line per enriched event, fields in this order:
 * {@code id, table_version, ids, mask, length, truncated, dim, embeddings, oov}, with {@code pooled}
 * (the {@code [dim]} pooled vector) before {@code oov} when pooling. {@code embeddings} is the flat
 * row-major {@code [max_len, dim]} list of float32 values (empty with {@code --no-sequence}); every
 * float is printed as the shortest decimal that parses back to the same float32 bits (Schubfach, as Jackson's fast float writer and
 * Java 19+'s {@code Float.toString} print it). The id is echoed as the JSON string or integer it was.
 *
 * <p>Output is buffered here (see {@link EnrichByteSink}). Printing floats dominates the cost, so the
 * text of a table row is kept once printed (see {@link EnrichRowTexts}) and reused whenever an
 * output position holds exactly that row's bytes. Closing flushes but does not close the stream.
 */
final class EnrichJsonWriter implements Closeable {

    private static final byte[] ID = ascii("{\"id\":");
    private static final byte[] VERSION = ascii(",\"table_version\":");
    private static final byte[] IDS = ascii(",\"ids\":[");
    private static final byte[] MASK = ascii("],\"mask\":[");
    private static final byte[] LENGTH = ascii("],\"length\":");
    private static final byte[] TRUNCATED = ascii(",\"truncated\":");
    private static final byte[] DIM = ascii(",\"dim\":");
    private static final byte[] EMBEDDINGS = ascii(",\"embeddings\":[");
    private static final byte[] POOLED = ascii("],\"pooled\":[");
    private static final byte[] OOV = ascii("],\"oov\":");
    private static final byte[] TRUE = ascii("true");
    private static final byte[] FALSE = ascii("false");

    private final EnrichByteSink out;
    private final EmbeddingTable table;
    private final EnrichRowTexts rowTexts;
    private final byte[] digits = new byte[20];

    EnrichJsonWriter(OutputStream out, EmbeddingTable table, long rowTextBudgetBytes) {
        this.out = new EnrichByteSink(out, Math.max(1 << 16, 32 * table.dim()));
        this.table = table;
        this.rowTexts = new EnrichRowTexts(table, rowTextBudgetBytes);
    }

    void write(EnrichEvent ev, EnrichResult r) throws IOException {
        int maxLen = r.maxLen();
        out.write(ID);
        if (ev.idIsString) {
            out.write('"');
            out.write(JsonStringEncoder.getInstance().quoteAsUTF8(ev.id));
            out.write('"');
        } else {
            out.write(ev.id.getBytes(StandardCharsets.US_ASCII));
        }
        out.write(VERSION);
        writeLong(table.version());
        out.write(IDS);
        int[] ids = r.ids();
        for (int i = 0; i < maxLen; i++) {
            if (i > 0) out.write(',');
            writeLong(ids[i]);
        }
        out.write(MASK);
        boolean[] mask = r.mask();
        for (int i = 0; i < maxLen; i++) {
            if (i > 0) out.write(',');
            out.write(mask[i] ? TRUE : FALSE);
        }
        out.write(LENGTH);
        writeLong(r.length());
        out.write(TRUNCATED);
        out.write(r.truncated() ? TRUE : FALSE);
        out.write(DIM);
        writeLong(r.dim());
        out.write(EMBEDDINGS);
        if (r.embeddings().length > 0) {
            for (int p = 0; p < maxLen; p++) {
                if (p > 0) out.write(',');
                rowTexts.write(out, r.embeddings(), p, ids[p]);
            }
        }
        byte[] pooled = r.pooled();
        if (pooled != null) {
            out.write(POOLED);
            for (int k = 0; k < r.dim(); k++) {
                if (k > 0) out.write(',');
                out.write(NumberOutput.toString(EmbeddingTable.floatAt(pooled, k), true).getBytes(StandardCharsets.ISO_8859_1));
            }
        }
        out.write(OOV);
        writeLong(r.oovCount());
        out.write('}');
        out.write('\n');
    }

    private void writeLong(long v) throws IOException {
        if (v >= 0 && v < 10) {
            out.write('0' + (int) v);
            return;
        }
        if (v == Long.MIN_VALUE) {
            out.write(ascii(Long.toString(v)));
            return;
        }
        boolean negative = v < 0;
        long x = negative ? -v : v;
        int i = digits.length;
        do {
            digits[--i] = (byte) ('0' + x % 10);
            x /= 10;
        } while (x != 0);
        if (negative) digits[--i] = '-';
        out.write(digits, i, digits.length - i);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        out.flush();
    }
}
