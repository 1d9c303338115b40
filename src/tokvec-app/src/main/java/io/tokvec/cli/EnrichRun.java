package io.tokvec.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichException;
import io.tokvec.core.EnrichOptions;
import io.tokvec.core.EnrichResult;
import io.tokvec.core.Enricher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The line loop of {@code tokvec enrich}: parse a line, enrich it with the core {@link Enricher},
 * write it; a line that fails is counted and named on stderr ({@code line N: reason}), and the
 * loop goes on. Memory is bounded whatever the input size: one reused event and result, buffered
 * streams, and at most {@link #rowTextBudget} bytes of printed table rows.
 */
final class EnrichRun {
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    /** The most bytes of printed table rows kept for reuse (see {@link EnrichRowTexts}). */
    static final long MAX_ROW_TEXT_BUDGET = 64L << 20;

    private final EmbeddingTable table;
    private final EnrichOptions options;
    private final PrintStream err;
    long events;
    long failed;

    EnrichRun(EmbeddingTable table, EnrichOptions options, PrintStream err) {
        this.table = table;
        this.options = options;
        this.err = err;
    }

    void process(InputStream in, OutputStream out) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        Enricher enricher = new Enricher(options);
        EnrichEventParser parser = new EnrichEventParser(JSON);
        EnrichEvent ev = new EnrichEvent();
        try (EnrichJsonWriter writer = new EnrichJsonWriter(out, table, rowTextBudget(Runtime.getRuntime().maxMemory()))) {
            String line;
            long lineNo = 0;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                events++;
                try {
                    parser.parse(line, ev);
                    writer.write(ev, enrich(enricher, ev));
                } catch (EnrichLineException | EnrichException e) {
                    failed++;
                    err.println("line " + lineNo + ": " + e.getMessage());
                }
            }
        }
    }

    /**
     * Bytes of printed table rows kept for reuse in a JVM of {@code maxHeap} bytes: a sixteenth of
     * the heap, at most {@link #MAX_ROW_TEXT_BUDGET}, so that a small heap that just holds a large
     * vocabulary is not filled by the cache (16 MiB at {@code -Xmx256m}).
     */
    static long rowTextBudget(long maxHeap) {
        return Math.max(0, Math.min(MAX_ROW_TEXT_BUDGET, maxHeap / 16));
    }

    private EnrichResult enrich(Enricher enricher, EnrichEvent ev) throws EnrichException {
        float[] weights = ev.hasWeights ? ev.weights : null;
        if (ev.hasTokens) {
            return enricher.enrichTokens(table, ev.tokens, weights, ev.weightCount);
        }
        if (ev.hugeCount > 0 && options.oov() == EnrichOptions.OovPolicy.ERROR) {
            checkHugeIds(ev);
        }
        return enricher.enrichIds(table, ev.ids, ev.idCount, weights, ev.weightCount);
    }

    /**
     * Ids too large for an int are held as -1; report the first kept out-of-range id with its real
     * text when it is one of them, as the Enricher would for an id that fits.
     */
    private void checkHugeIds(EnrichEvent ev) throws EnrichException {
        int n = ev.idCount;
        int maxLen = options.maxLen();
        int from = n > maxLen && options.truncating() == EnrichOptions.Side.PRE ? n - maxLen : 0;
        int to = from + Math.min(n, maxLen);
        int h = 0;
        for (int i = from; i < to; i++) {
            while (h < ev.hugeCount && ev.hugePositions[h] < i) h++;
            if (h < ev.hugeCount && ev.hugePositions[h] == i) {
                throw new EnrichException(EnrichException.Reason.ID_OUT_OF_RANGE, "token id " + ev.hugeTexts[h]
                        + " at position " + i + " is outside table " + table.name() + " v" + table.version()
                        + " (rows 0.." + (table.rows() - 1) + ")");
            }
            int id = ev.ids[i];
            if (id < 0 || id >= table.rows()) {
                return; // the Enricher reports this one
            }
        }
    }

    void summary(long startNanos) {
        err.println(String.format(Locale.ROOT, "enrich: %d events, %d failed, %.3f s", events, failed,
                (System.nanoTime() - startNanos) / 1e9));
    }
}
