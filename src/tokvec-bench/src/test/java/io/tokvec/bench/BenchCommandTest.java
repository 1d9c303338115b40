package io.tokvec.bench;

import io.tokvec.cli.Main;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code tokvec bench} end to end through the CLI, on a tiny workload (no timing assertions). */
class BenchCommandTest {

    private static String run(int expectedExit, String... args) {
        PrintStream before = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            exit = Main.execute(args);
        } finally {
            System.setOut(before);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(out).isEqualTo(expectedExit);
        return out;
    }

    @Test
    void shouldRunTheCoreAndTopologyPartsOnATinyWorkload() {
        String out = run(0, "bench", "--quick", "--parts", "core,topology", "--rows", "1000", "--dim", "8",
                "--max-len", "16", "--max-event-len", "32", "--events", "50", "--warmup", "0.05", "--seconds", "0.2");
        String[] lines = out.strip().split("\n");
        String last = lines[lines.length - 1];
        assertThat(last).matches(BenchReportTest.LAST_LINE);
        assertThat(last).matches("bench: core=\\d+ topology=\\d+ naive=n/a peer=n/a ceiling=n/a ceiling_default=n/a e2e_eos=n/a"
                + " e2e_alos=n/a e2e_f16=n/a e2e_lz4=n/a e2e_zstd=n/a ceiling_lz4=n/a ceiling_zstd=n/a e2e_lz4_ceiling_ratio=n/a ceiling_2p=n/a e2e_2threads=n/a e2e_2inst=n/a"
                + " swap_gap_ms=n/a heap_peak_ratio=n/a large_gap_ms=n/a large_rss_ratio=n/a publish_mb_s=n/a p99_ms=n/a swap_p99_ms=n/a"
                + " delta_live_ms=n/a delta_rss_mb=n/a delta_gap_ms=n/a delta_p99_ratio=n/a");
        assertThat(out).contains("core-list", "TopologyTestDriver", "table 1,000 x 8");
    }

    /**
     * The side-by-side parts on a tiny workload: a broker process, the ceiling producers, the Python
     * peer (when Debian's python3 with its packages is there), tokvec run instances with the shipped
     * config, float16 and compressed outputs, two partitions. Every figure is produced; none is judged.
     */
    @Test
    void shouldRunTheSideBySidePartsOnATinyWorkload() {
        String out = run(0, "bench", "--quick", "--parts", "ceiling,peer,e2e,bytes,scale", "--rows", "1000", "--dim", "8",
                "--max-len", "16", "--max-event-len", "32", "--events", "50", "--e2e-warmup", "20", "--e2e-events", "100",
                "--e2e-rounds", "1");
        String[] lines = out.strip().split("\n");
        String last = lines[lines.length - 1];
        assertThat(last).matches(BenchReportTest.LAST_LINE);
        assertThat(last).matches("bench: core=n/a topology=n/a naive=n/a peer=(\\d+|n/a) ceiling=\\d+ ceiling_default=\\d+ e2e_eos=\\d+"
                + " e2e_alos=\\d+ e2e_f16=\\d+ e2e_lz4=\\d+ e2e_zstd=\\d+ ceiling_lz4=\\d+ ceiling_zstd=\\d+ e2e_lz4_ceiling_ratio=\\d+\\.\\d\\d ceiling_2p=\\d+ e2e_2threads=\\d+ e2e_2inst=\\d+ .*");
        if (last.contains("peer=n/a")) {
            assertThat(out).contains("peer skipped: no python3");
        } else {
            assertThat(out).contains("Python loop");
        }
        // what each tokvec row wrote: EnrichedEvents of 16 x 8 float32 (float16: half the embeddings)
        assertThat(out).contains("tokvec run, shipped config (exactly_once_v2)", "tokvec.output.dtype=float16",
                "compression.type=zstd", "2 x tokvec run");
        // the compressed ceilings sent tokvec's own outputs of the 50 events: the first is byte for byte
        // what tokvec run wrote with lz4 and with zstd (the bench throws otherwise)
        assertThat(out).contains("producer, batch.size=1048576, linger.ms=5, compression.type=lz4, own JVM, tokvec's output records",
                "ceiling-lz4, ceiling-zstd: 50 distinct output records",
                "the first equals byte for byte the first output tokvec run wrote in e2e-lz4 round 1, e2e-zstd round 1");
        assertThat(out).containsPattern("e2e_lz4 / ceiling_lz4 +\\d+\\.\\d\\dx");
    }

    /**
     * The swap part on a tiny workload: tokvec run in its own JVM against the broker process, a
     * 5,000-row table published and swapped in while events flow; the gap and the pauses of its GC
     * log are reported, none judged.
     */
    @Test
    void shouldRunTheSwapPartOnATinyWorkload() {
        String out = run(0, "bench", "--quick", "--parts", "swap", "--rows", "1000", "--dim", "8", "--max-len", "16",
                "--max-event-len", "32", "--events", "50", "--swap-rows", "5000", "--swap-before", "1", "--swap-after", "1");
        String[] lines = out.strip().split("\n");
        String last = lines[lines.length - 1];
        assertThat(last).matches(BenchReportTest.LAST_LINE);
        assertThat(last).as(out).matches("bench: .* swap_gap_ms=\\d+ heap_peak_ratio=\\S+ .*");
    }

    @Test
    void shouldRunTheDeltaPartOnATinyTableAndReportItsFigures() {
        Map<String, String> tiny = Map.of("tokvec.bench.delta.rows", "20000", "tokvec.bench.delta.dim", "8",
                "tokvec.bench.delta.seconds", "3", "tokvec.bench.delta.rate", "200", "tokvec.bench.delta.rows.per.second", "100");
        tiny.forEach(System::setProperty);
        String out;
        try {
            out = run(0, "bench", "--quick", "--parts", "delta", "--warmup", "1");
        } finally {
            tiny.keySet().forEach(System::clearProperty);
        }
        String[] lines = out.strip().split("\n");
        String last = lines[lines.length - 1];
        assertThat(last).matches(BenchReportTest.LAST_LINE)
                .matches(".* delta_live_ms=\\d+ delta_rss_mb=\\d+ delta_gap_ms=\\d+ delta_p99_ratio=\\d+\\.\\d\\d");
        assertThat(out).contains("delta 1%: 200 rows", "delta lookups:", "delta copy-on-write", "delta sustained:",
                "overlay / dense lookups");
    }

    @Test
    void shouldRefuseAnUnknownPart() {
        run(2, "bench", "--parts", "core,warp");
    }
}
