package io.tokvec.bench;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichOptions;
import io.tokvec.core.EnrichResult;
import io.tokvec.core.Enricher;

import java.util.ArrayList;
import java.util.List;

/**
 * The enrichment core alone: {@link Enricher#enrichIds} on pre-built events, one thread, Keras
 * defaults (padding and truncating {@code pre}, row 0 at padded positions). Two variants: ids in an
 * {@code int[]} (the core's own speed) and in a {@code List<Integer>} (what Avro hands the
 * processor). Output bytes are the {@code max_len x dim} float32 embeddings each event produces.
 */
final class CoreBench {

    /** Where results go so that the JIT cannot drop the work (read by nobody). */
    static volatile long blackhole;

    private final Workload workload;

    CoreBench(Workload workload) {
        this.workload = workload;
    }

    /** Events per second with {@code int[]} ids. */
    BenchReport.Row runIntArrays() throws Exception {
        BenchSettings s = workload.settings();
        EmbeddingTable table = workload.table();
        Enricher enricher = new Enricher(EnrichOptions.of(s.maxLen()));
        int n = workload.size();
        int[][] events = new int[n][];
        for (int i = 0; i < n; i++) {
            events[i] = workload.ids(i);
        }
        long[] sink = {0};
        TimedLoop.Run run = TimedLoop.run(s.warmupSeconds(), s.seconds(), i -> {
            int[] ids = events[(int) (i % n)];
            EnrichResult r = enricher.enrichIds(table, ids, ids.length);
            sink[0] += r.length() + r.embeddings()[r.embeddings().length - 1];
        });
        blackhole = sink[0];
        return row("core", run, s, "1 thread, int[] ids, Enricher.enrichIds");
    }

    /** Events per second with {@code List<Integer>} ids (the processor's input type). */
    BenchReport.Row runLists() throws Exception {
        BenchSettings s = workload.settings();
        EmbeddingTable table = workload.table();
        Enricher enricher = new Enricher(EnrichOptions.of(s.maxLen()));
        int n = workload.size();
        List<List<Integer>> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            events.add(workload.idList(i));
        }
        long[] sink = {0};
        TimedLoop.Run run = TimedLoop.run(s.warmupSeconds(), s.seconds(), i -> {
            EnrichResult r = enricher.enrichIds(table, events.get((int) (i % n)));
            sink[0] += r.length() + r.embeddings()[r.embeddings().length - 1];
        });
        blackhole = sink[0];
        return row("core-list", run, s, "1 thread, List<Integer> ids (as Avro decodes them)");
    }

    private static BenchReport.Row row(String name, TimedLoop.Run run, BenchSettings s, String what) {
        return BenchReport.Row.of(name, run, s.embeddingBytes(), what);
    }
}
