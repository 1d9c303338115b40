package io.tokvec.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BenchReportTest {

    static final String LAST_LINE = "bench: core=(\\d+|n/a) topology=(\\d+|n/a) naive=(\\d+|n/a) peer=(\\d+|n/a) ceiling=(\\d+|n/a) "
            + "ceiling_default=(\\d+|n/a) e2e_eos=(\\d+|n/a) e2e_alos=(\\d+|n/a) e2e_f16=(\\d+|n/a) e2e_lz4=(\\d+|n/a) "
            + "e2e_zstd=(\\d+|n/a) ceiling_lz4=(\\d+|n/a) ceiling_zstd=(\\d+|n/a) e2e_lz4_ceiling_ratio=(\\d+\\.\\d\\d|n/a) ceiling_2p=(\\d+|n/a) e2e_2threads=(\\d+|n/a) e2e_2inst=(\\d+|n/a) "
            + "swap_gap_ms=(\\d+|n/a) heap_peak_ratio=(\\d+\\.\\d\\d|n/a) large_gap_ms=(\\d+|n/a) "
            + "large_rss_ratio=(\\d+\\.\\d\\d|n/a) publish_mb_s=(\\d+|n/a) p99_ms=(\\d+|n/a) swap_p99_ms=(\\d+|n/a) "
            + "delta_live_ms=(\\d+|n/a) delta_rss_mb=(\\d+|n/a) delta_gap_ms=(\\d+|n/a) delta_p99_ratio=(\\d+\\.\\d\\d|n/a)";

    @Test
    void shouldFormatTheLastLineExactly() {
        BenchReport.Summary s = new BenchReport.Summary(Map.ofEntries(Map.entry("core", 123456.4), Map.entry("topology", 8031.5),
                Map.entry("naive", 54.2), Map.entry("peer", 1799.5), Map.entry("ceiling", 5440.0), Map.entry("ceiling_default", 2870.0),
                Map.entry("e2e_eos", 1468.0), Map.entry("e2e_alos", 2114.49), Map.entry("e2e_f16", 3000.0), Map.entry("e2e_lz4", 1.0),
                Map.entry("e2e_zstd", 2.0), Map.entry("ceiling_lz4", 6.4), Map.entry("ceiling_zstd", 7.0),
                Map.entry("e2e_lz4_ceiling_ratio", 0.156), Map.entry("ceiling_2p", 3.0), Map.entry("e2e_2threads", 4.0), Map.entry("e2e_2inst", 5.0),
                Map.entry("swap_gap_ms", 214.0), Map.entry("heap_peak_ratio", 1.234), Map.entry("p99_ms", 38.0),
                Map.entry("swap_p99_ms", 61.6)));
        assertThat(s.lastLine()).isEqualTo(
                "bench: core=123456 topology=8032 naive=54 peer=1800 ceiling=5440 ceiling_default=2870 e2e_eos=1468 e2e_alos=2114"
                        + " e2e_f16=3000 e2e_lz4=1 e2e_zstd=2 ceiling_lz4=6 ceiling_zstd=7 e2e_lz4_ceiling_ratio=0.16 ceiling_2p=3 e2e_2threads=4 e2e_2inst=5 swap_gap_ms=214"
                        + " heap_peak_ratio=1.23 large_gap_ms=n/a large_rss_ratio=n/a publish_mb_s=n/a p99_ms=38 swap_p99_ms=62"
                        + " delta_live_ms=n/a delta_rss_mb=n/a delta_gap_ms=n/a delta_p99_ratio=n/a");
        assertThat(s.lastLine()).matches(LAST_LINE);
    }

    @Test
    void shouldWriteNaForPartsThatDidNotRun() {
        BenchReport.Summary s = new BenchReport.Summary(Map.of("core", 90000.0));
        assertThat(s.lastLine()).isEqualTo(
                "bench: core=90000 topology=n/a naive=n/a peer=n/a ceiling=n/a ceiling_default=n/a e2e_eos=n/a e2e_alos=n/a"
                        + " e2e_f16=n/a e2e_lz4=n/a e2e_zstd=n/a ceiling_lz4=n/a ceiling_zstd=n/a e2e_lz4_ceiling_ratio=n/a ceiling_2p=n/a e2e_2threads=n/a e2e_2inst=n/a swap_gap_ms=n/a"
                        + " heap_peak_ratio=n/a large_gap_ms=n/a large_rss_ratio=n/a publish_mb_s=n/a p99_ms=n/a swap_p99_ms=n/a"
                        + " delta_live_ms=n/a delta_rss_mb=n/a delta_gap_ms=n/a delta_p99_ratio=n/a");
        assertThat(s.lastLine()).matches(LAST_LINE);
    }

    @Test
    void shouldUseADotAndTwoDecimalsForTheRatioWhateverTheLocale() {
        java.util.Locale before = java.util.Locale.getDefault();
        try {
            java.util.Locale.setDefault(java.util.Locale.GERMANY);
            BenchReport.Summary s = new BenchReport.Summary(Map.of("swap_gap_ms", 6.0, "heap_peak_ratio", 2.0, "large_gap_ms", 70.4,
                    "large_rss_ratio", 2.1, "publish_mb_s", 151.6, "p99_ms", 7.0, "swap_p99_ms", 8.0));
            assertThat(s.lastLine()).endsWith("swap_gap_ms=6 heap_peak_ratio=2.00 large_gap_ms=70 large_rss_ratio=2.10 publish_mb_s=152"
                    + " p99_ms=7 swap_p99_ms=8 delta_live_ms=n/a delta_rss_mb=n/a delta_gap_ms=n/a delta_p99_ratio=n/a");
            BenchReport.Summary d = new BenchReport.Summary(Map.of("core", 1.0, "delta_live_ms", 412.4, "delta_rss_mb", 97.6,
                    "delta_gap_ms", 12.0, "delta_p99_ratio", 1.046));
            assertThat(d.lastLine()).endsWith(" delta_live_ms=412 delta_rss_mb=98 delta_gap_ms=12 delta_p99_ratio=1.05")
                    .matches(LAST_LINE);
        } finally {
            java.util.Locale.setDefault(before);
        }
    }

    @Test
    void shouldPrintTheTableAndEndWithTheLastLine() {
        BenchReport r = new BenchReport();
        r.core = 100_000.0;
        r.numpy = 50_000.0;
        r.add(new BenchReport.Row("core", 100_000, 101_000, 6553.6, "int[]"));
        r.add(new BenchReport.Row("numpy", 50_000, Double.NaN, 3276.8, "W[ids]"));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        r.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String[] lines = bytes.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertThat(lines[lines.length - 1]).isEqualTo(r.summary().lastLine()).matches(LAST_LINE);
        assertThat(String.join("\n", lines)).contains("core", "100,000", "core / numpy gather", "2.00x", "met");
    }

    @Test
    void shouldReportTheCompressedCeilingsAndTokvecsLz4FigureOverItsCeiling() {
        BenchReport r = new BenchReport();
        r.e2eLz4 = 5_825.0;
        r.ceilingLz4 = 8_000.0;
        r.e2eZstd = 3_587.0;
        r.ceilingZstd = 3_000.0;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        r.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        // 5,825 / 8,000 = 0.728; 3,587 / 3,000 = 1.196
        assertThat(r.summary().lastLine()).contains(" e2e_lz4=5825 e2e_zstd=3587 ceiling_lz4=8000 ceiling_zstd=3000"
                + " e2e_lz4_ceiling_ratio=0.73 ").matches(LAST_LINE);
        assertThat(out).containsPattern("e2e_lz4 / ceiling_lz4 +0\\.73x").containsPattern("e2e_zstd / ceiling_zstd +1\\.20x");
        assertThat(new BenchReport().summary().lastLine()).contains(" e2e_lz4_ceiling_ratio=n/a ");
    }
}
