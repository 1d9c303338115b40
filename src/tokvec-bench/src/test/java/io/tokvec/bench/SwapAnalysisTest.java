package io.tokvec.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SwapAnalysisTest {

    @Test
    void shouldFindTheLongestGapIncludingTheOneIntoTheWindow() {
        long[] t = {100, 110, 120, 300, 310, 320};
        assertThat(SwapAnalysis.longestGap(t, 115, 400)).isEqualTo(180); // 120 -> 300
        assertThat(SwapAnalysis.longestGap(t, 200, 400)).isEqualTo(180); // the gap started before the window
        assertThat(SwapAnalysis.longestGapAt(t, 200, 400)).containsExactly(300, 180);
    }

    @Test
    void shouldCountAStallStillGoingOnAtTheEnd() {
        long[] t = {100, 110, 120};
        assertThat(SwapAnalysis.longestGap(t, 105, 500)).isEqualTo(380);
    }

    @Test
    void shouldSortTimesFromSeveralPartitions() {
        long[] t = {300, 100, 310, 110};
        assertThat(SwapAnalysis.longestGap(t, 100, 310)).isEqualTo(190);
    }

    @Test
    void shouldComputeRatesAndHeapPeaks() {
        long[] t = {0, 100, 200, 300, 1500};
        assertThat(SwapAnalysis.rate(t, 0, 1000)).isEqualTo(4.0);
        List<GcLog.Pause> pauses = List.of(new GcLog.Pause(10, 3, 50, "Pause Young"), new GcLog.Pause(10, 3.2, -1, "safepoint G1"),
                new GcLog.Pause(20, 7, 80, "Pause Young"), new GcLog.Pause(20, 7.5, -1, "safepoint G1"),
                new GcLog.Pause(30, 2, 60, "Pause Young"), new GcLog.Pause(35, 9, -1, "safepoint Deoptimize"));
        assertThat(SwapAnalysis.lastAfterGc(pauses, 25)).isEqualTo(80);
        assertThat(SwapAnalysis.peakAfterGc(pauses, 25, 40)).isEqualTo(60);
        assertThat(SwapAnalysis.longestPause(pauses, 0, 30)).isEqualTo(7.5);
        assertThat(SwapAnalysis.longestPause(pauses, 0, 40)).isEqualTo(9);
    }

    @Test
    void shouldReadPausesAndHeapFromAUnifiedGcLog(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path log = dir.resolve("gc.log");
        java.nio.file.Files.writeString(log, String.join("\n",
                "[1796599740681ms] Using G1",
                "[1796599743852ms] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 6M->3M(64M) 75.330ms",
                "[1796599743852ms] Safepoint \"G1CollectForAllocation\", Time since last: 960873132 ns, Reaching safepoint: 4949 ns,"
                        + " Cleanup: 38703 ns, At safepoint: 75556241 ns, Total: 75599893 ns",
                "[1796599744000ms] GC(1) Pause Remark 2G->1G(4G) 1.250ms", ""));
        List<GcLog.Pause> p = GcLog.read(log);
        assertThat(p).containsExactly(new GcLog.Pause(1796599743852L, 75.33, 3L << 20, "Pause Young (Normal) (G1 Evacuation Pause)"),
                new GcLog.Pause(1796599743852L, 75.599893, -1, "safepoint G1CollectForAllocation"),
                new GcLog.Pause(1796599744000L, 1.25, 1L << 30, "Pause Remark"));
    }
}
