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
        List<HeapMonitor.Point> samples = List.of(new HeapMonitor.Point(10, 5, 1), new HeapMonitor.Point(20, 9, 3),
                new HeapMonitor.Point(30, 7, 2));
        assertThat(SwapAnalysis.peakSample(samples, 15, 40)).isEqualTo(9);
        assertThat(SwapAnalysis.peakOldSample(samples, 25, 40)).isEqualTo(2);
        List<HeapMonitor.Gc> gcs = List.of(new HeapMonitor.Gc(10, 50, 3, "young", "x"), new HeapMonitor.Gc(20, 80, 7, "young", "x"),
                new HeapMonitor.Gc(30, 60, 2, "young", "x"));
        assertThat(SwapAnalysis.lastAfterGc(gcs, 25)).isEqualTo(80);
        assertThat(SwapAnalysis.peakAfterGc(gcs, 25, 40)).isEqualTo(60);
        assertThat(SwapAnalysis.longestPause(gcs, 0, 40)).isEqualTo(7);
    }
}
