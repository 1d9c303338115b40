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
        assertThat(last).matches("bench: core=\\d+ topology=\\d+ naive=n/a e2e=n/a passthrough=n/a swap_gap_ms=n/a heap_peak_ratio=n/a"
                + " large_gap_ms=n/a large_rss_ratio=n/a publish_mb_s=n/a p99_ms=n/a swap_p99_ms=n/a"
                + " delta_live_ms=n/a delta_rss_mb=n/a delta_gap_ms=n/a delta_p99_ratio=n/a");
        assertThat(out).contains("core-list", "TopologyTestDriver", "table 1,000 x 8");
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
