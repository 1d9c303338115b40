package io.tokvec.bench;

import io.tokvec.cli.Main;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

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
                + " large_gap_ms=n/a large_rss_ratio=n/a publish_mb_s=n/a p99_ms=n/a swap_p99_ms=n/a");
        assertThat(out).contains("core-list", "TopologyTestDriver", "table 1,000 x 8");
    }

    @Test
    void shouldRefuseAnUnknownPart() {
        run(2, "bench", "--parts", "core,warp");
    }
}
